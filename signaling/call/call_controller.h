// The transaction user for every call leg: tutti is the UAS of each caller
// (DESIGN.md "Signaling"). It finds the room from the Request-URI, negotiates
// SDP, binds media ports, answers, keeps the dialog (2xx retransmission until
// ACK, re-INVITE for hold/resume, BYE, CANCEL) and ends every call with BYE on
// shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/event_hub.h"
#include "common/event_loop.h"
#include "common/thread_owner.h"
#include "mediaplane/port_allocator.h"
#include "mixer/media_workers.h"
#include "signaling/call/call_record.h"
#include "signaling/call/call_records.h"
#include "signaling/call/call_responses.h"
#include "signaling/call/call_timers.h"
#include "signaling/call/dial_in.h"
#include "signaling/call/dial_outs.h"
#include "signaling/call/file_offers.h"
#include "signaling/call/invite_session.h"
#include "signaling/call/media_family.h"
#include "signaling/call/overload_guard.h"
#include "signaling/call/pin_guard.h"
#include "signaling/call/room_chat.h"
#include "signaling/call/room_directory.h"
#include "signaling/call/room_presence.h"
#include "signaling/call/room_recordings.h"
#include "signaling/call/room_subscriptions.h"
#include "signaling/call/room_video_codecs.h"
#include "signaling/call/session_timer.h"
#include "signaling/msrp/chat_message.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sip/dialog.h"
#include "signaling/sip/digest_auth.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/trunk/dial_plan.h"
#include "signaling/trunk/trunk_config.h"
#include "signaling/trunk/trunk_guard.h"
#include "signaling/trunk/trunk_links.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti {

// Instant messages in rooms ([messaging]): pager mode (RFC 3428) here,
// MSRP's limits in msrp::MsrpOptions.
struct MessagingOptions {
  bool enabled = true;  // false: MESSAGE gets 405, m=message is declined
  // A MESSAGE body above this gets 413 (and an API post 413).
  size_t max_message_bytes = 16 * 1024;
  // Content types relayed; others get 415 (with Accept listing these)
  // unless relay_other_types.
  std::vector<std::string> content_types = {"text/plain", "message/cpim"};
  bool relay_other_types = false;
  size_t history = 200;       // messages kept per room (API, replay)
  size_t replay_on_join = 0;  // the last N sent to a member who joins; 0: none
  // MESSAGE transactions in flight per room; past it a relay is refused
  // (503 to the sender) rather than queued without bound.
  size_t max_in_flight_per_room = 2000;
};

struct CallControllerOptions {
  sip::LocalEndpoint local;     // how we appear in Contact and Via
  MediaAddresses media;         // c= in our SDP, per family (media_family.h)
  absl::Duration answer_delay;  // ring this long before answering (0: at once)
  SessionTimerPolicy session_timers;
  // In-call key sequences and their actions (ControlsConfig): everyone's,
  // and the moderators' on top.
  std::vector<std::pair<std::string, std::string>> participant_controls;
  std::vector<std::pair<std::string, std::string>> moderator_controls;
  // Dial-in (IvrConfig): the IVR's user part (empty: none), retries, how
  // long an entry may pause, and the wrong-PIN lockout.
  std::string ivr_number;
  DialInOptions dial_in;
  absl::Duration digit_timeout = absl::Seconds(8);
  PinGuardOptions pin_guard;
  // Where rooms with `record` are recorded, and how.
  std::string recording_dir = "recordings";
  mixer::RecordingFormat recording_format = mixer::RecordingFormat::kOggOpus;
  int retry_after_s = 5;
  std::string user_agent = "tutti";

  // Media encryption ([media] srtp, sdes_over_plain_sip) and the DTLS-SRTP
  // certificate's fingerprint (empty algorithm: no DTLS-SRTP).
  std::string srtp_default = "optional";
  bool sdes_over_plain_sip = false;
  sdp::Fingerprint dtls_fingerprint;
  // The process's DTLS identity (outlives the controller); null: none.
  const media::DtlsContext* dtls_context = nullptr;

  // Conference event subscriptions ([conference_events]): their bounds and
  // timing, and whether anyone may see an open room's roster (rooms with a
  // PIN show it to their participants only).
  SubscriptionLimits subscriptions;
  bool roster_open_rooms = true;

  // [video] mode: what a room whose video_mode is kDefault shows.
  mixer::VideoMode video_mode = mixer::VideoMode::kFollowTalker;
  // [media] audio_codecs: the IVR's audio codecs (it answers before it
  // knows the room), in our preference order (sdp::AudioCodecName's names).
  std::vector<std::string> audio_codecs = {"opus", "G722", "PCMU", "PCMA", "G729"};
  // [media] video_codecs: a room's video codecs when it names none (and the
  // IVR's, which answers before it knows the room), in our preference order.
  std::vector<std::string> video_codecs = {"VP8", "H264", "VP9"};
  // [media] video_max_kbps in b/s: what we ask a video peer to send at most
  // (b=TIAS and b=AS in our SDP); 0 says nothing.
  uint32_t video_max_bps = 0;

  MessagingOptions messaging;
  // Stored files offered to members (call_file_offers.cc): answer timeout, bounds.
  FileOfferOptions file_offers;

  // Trunks: calls from addresses no trunk has ([trunks]), and dial-outs'
  // room limits and answer timeout ([dial_out]).
  trunk::TrunkPolicy trunk_policy;
  trunk::DialOutConfig dial_out;
};

// Calls from trunks (call_trunk_calls.cc), for /metrics.
struct InboundTrunkCounters {
  uint64_t calls = 0;             // INVITEs recognised as a trunk's
  uint64_t refused_stranger = 0;  // 403: no trunk's address, and not a room call allowed
  uint64_t refused_no_route = 0;  // 404: the dial plan has no rule for the number
  uint64_t refused_busy = 0;      // 503: the trunk at max_calls or max_calls_per_second
  uint64_t early_media = 0;       // answered 183 with SDP first
};

// Dial-outs and REFER (call_dial_out.cc, call_refer.cc), for /metrics.
struct DialOutCounters {
  uint64_t started = 0;   // INVITEs sent
  uint64_t refused = 0;   // refused before any INVITE (toll-fraud guard, limits, no trunk)
  uint64_t answered = 0;  // 2xx: the callee joined its room
  uint64_t failed = 0;    // final responses >= 300, timeouts, CANCELs
  uint64_t refers = 0;    // REFERs accepted (202)
};

// What asks a dial-out (CallController::DialOut).
struct DialOutRequest {
  std::string room;
  // A number (dialled form: "+44 20 7946 0000", "02079460000") or a sip:/sips:/tel: URI.
  std::string target;
  std::string caller_id;     // our number shown to the callee; empty: the trunk's caller_id
  std::string display_name;  // shown in the room for the callee; empty: the number
  absl::Duration timeout =
      absl::ZeroDuration();  // CANCEL when not answered; 0: [dial_out] answer_timeout_s
  // Who asked, for the call record and events: "api", "key:<call id>", "refer:<call id>".
  std::string requested_by;
};

// Instant messages (call_messages.cc), for /metrics.
struct MessagingCounters {
  uint64_t received = 0;           // MESSAGEs and MSRP messages taken from members
  uint64_t posted_by_api = 0;      // messages the API posted
  uint64_t relayed = 0;            // MESSAGE deliveries started (one per recipient)
  uint64_t delivered = 0;          // ... answered 2xx
  uint64_t delivery_failed = 0;    // ... answered >= 300
  uint64_t delivery_timeouts = 0;  // ... never answered (timer F)
  uint64_t senders_told = 0;       // senders told no delivery succeeded
  uint64_t refused_stranger = 0;   // 403: not a member of the room
  uint64_t refused_too_large = 0;  // 413
  uint64_t refused_type = 0;       // 415
  uint64_t refused_busy = 0;       // 503: the room's deliveries in flight at their bound
  uint64_t replayed = 0;           // history messages sent to members who joined
};

// File transfer (call_file_offers.cc), for /metrics.
struct FileCounters {
  uint64_t offers_sent = 0;      // INVITEs offering a stored file to a member
  uint64_t offers_accepted = 0;  // ... answered 2xx with the stream
  uint64_t offers_declined = 0;  // ... refused (4xx-6xx, or the stream declined)
  uint64_t offers_timed_out = 0;
  uint64_t sends_completed = 0;  // the member took every byte
  uint64_t sends_failed = 0;     // ... or not (an error, the connection gone or never made)
  uint64_t offers_skipped = 0;   // members not offered a file: offers in flight at their bound
  uint64_t ended_by_member = 0;  // a member's BYE during the send
};

// What the dial-in IVR did, for /metrics.
struct DialInCounters {
  uint64_t started = 0;           // callers who reached the IVR
  uint64_t joined = 0;            // ... and were let into a room
  uint64_t failed = 0;            // ... and were said goodbye to
  uint64_t wrong_entries = 0;     // wrong room numbers, PINs, empty entries
  uint64_t pin_lockouts = 0;      // lockouts of an address started
  uint64_t rooms_slowed = 0;      // rooms that reached their wrong-PIN limit
  uint64_t pin_answers_held = 0;  // PIN answers held because their room is guessed at
};

// SIP digest authentication of INVITEs (call_auth.cc), for /metrics.
struct AuthCounters {
  uint64_t challenged = 0;  // 401s sent (no, stale or wrong credentials)
  uint64_t accepted = 0;    // INVITEs that authenticated
  uint64_t failed = 0;      // wrong credentials
  uint64_t refused = 0;     // 403: the source is locked out
};

// A participant's camera stream as the control API shows it.
struct VideoInfo {
  std::string codec;   // "VP8", "VP9", "H264"
  uint16_t width = 0;  // the last keyframe's picture size; 0: not known (yet)
  uint16_t height = 0;
  uint32_t kbps_in = 0;  // between the worker's last two reports
  uint32_t kbps_out = 0;
  uint64_t sees = 0;  // whose camera it sees (a participant id); 0: nobody
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
};

// A participant as the control API shows it.
struct ParticipantInfo {
  uint64_t id = 0;
  std::string call_id;
  std::string room;
  std::string from;  // the caller's From URI
  std::string codec;
  bool talking = false;
  bool muted = false;
  bool held = false;
  bool moderator = false;
  bool waiting = false;  // for the moderator (muted by the room)
  int listen_db = 0;     // volume of what it hears
  int talk_db = 0;       // volume at which others hear it
  double seconds = 0;    // since answered
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  int64_t lost = 0;
  uint32_t jitter_ms = 0;
  double rtt_ms = 0;
  // A trunk's call: the caller's number (canonical), "anonymous" when the
  // caller withheld it; empty for other calls.
  std::string caller_number;

  std::string media_encryption;  // "sdes", "dtls-srtp", "none"
  uint64_t srtp_auth_failed = 0;
  uint64_t srtp_replayed = 0;
  uint32_t max_gap_ms = 0;         // longest time between two RTP packets received
  std::optional<VideoInfo> video;  // only with a camera stream
};

class CallController : public sip::TransactionUser {
 public:
  // `media` (may be null: signaling only) receives a participant for every
  // answered call whose audio was negotiated (mixer::WorkerPool in the
  // daemon).
  // `rooms` changes when a moderator locks or unlocks a room by key.
  CallController(EventLoop* loop, sip::CallSignaling* transactions, RoomDirectory* rooms,
                 media::PortAllocator* ports, OverloadGuard* overload, mixer::MediaWorkers* media,
                 CallControllerOptions options);
  // The same on other timers (a manual clock in the unit tests); the worker
  // events are drained every 20 ms of them.
  CallController(CallTimers* timers, sip::CallSignaling* transactions, RoomDirectory* rooms,
                 media::PortAllocator* ports, OverloadGuard* overload, mixer::MediaWorkers* media,
                 CallControllerOptions options);
  ~CallController() override;

  void OnRequest(sip::TransactionId id, const sip::SipMessage& request,
                 const sip::MessageSource& source) override;
  void OnAck(const sip::SipMessage& ack, const sip::MessageSource& source) override;
  void OnCancel(sip::TransactionId invite_id) override;
  // Admission of a request before any transaction (SipEndpoint): out of a
  // dialog, the source's and the global request rates; inside one, the
  // call's and the source's in-dialog rates (OverloadGuard).
  bool Admit(const sip::SipMessage& request, const sip::MessageSource& source);
  const OverloadGuard& overload() const { return *overload_; }

  // Stops taking calls (503 from now on), ends every call (BYE for answered
  // ones, 480 for ringing ones) and runs `done` once every BYE has been
  // answered or has timed out.
  void Shutdown(std::function<void()> done);
  bool shutting_down() const { return shutting_down_; }

  // ---- Live reload, public (call_reconfigure.cc; issue 19) ----
  // New settings from a reloaded configuration, on the control thread,
  // without ending a call: the IVR ([ivr]), the keys ([controls]), the PIN
  // guard's limits, [conference_events], [messaging] limits and the other
  // fields of CallControllerOptions the daemon's reload calls live. Calls
  // already up keep what they were set up with where changing it under them
  // would surprise the caller (an IVR entry in progress finishes under the
  // old rules); the next caller gets the new ones. Fields that need a
  // restart (the daemon refuses a reload that changes them) are ignored.
  void Reconfigure(const CallControllerOptions& options);

  int active_calls() const { return static_cast<int>(calls_.size()); }
  int participants() const;  // answered calls in rooms

  // Control API (control thread). Participants of one room, or of all rooms
  // when `room` is empty.
  std::vector<ParticipantInfo> Participants(std::string_view room) const;
  std::optional<ParticipantInfo> Participant(uint64_t id) const;
  // False when there is no such participant.
  bool SetMuted(uint64_t id, bool muted);
  bool Kick(uint64_t id, std::string_view why);
  // Volumes in dB (the API checks the range).
  bool SetVolume(uint64_t id, int listen_db, int talk_db);
  // Records a room's mix into `directory` (Ogg Opus or WAV). Returns the
  // file's path, or why not (no such room, nobody in it, already recording,
  // the file cannot be made).
  absl::StatusOr<std::string> StartRecording(std::string_view room, std::string_view directory,
                                             mixer::RecordingFormat format);
  absl::Status StopRecording(std::string_view room);
  // The path being recorded to, empty when not recording.
  std::string RecordingPath(std::string_view room) const;
  // Every recording's path still being written (RoomRecordings::Paths).
  std::vector<std::string> RecordingPaths() const;

  // Plays a prompt to one participant (over what it hears); false when there
  // is no such participant or it has no audio.
  bool Play(uint64_t id, const media::Prompt* prompt);
  // Ends every call in a room (it was deleted) and every subscription to it.
  void EndRoom(std::string_view room);

  // Video control (call_video.cc). The mode `room` shows ([video] mode for
  // a room that sets none).
  mixer::VideoMode VideoModeOf(const RoomConfig& room) const;
  // Whether `id` may be `room`'s presenter (`slides`: its content presenter)
  // with the room's settings as `room` has them: NotFound when it is no
  // participant in the room (still in the IVR counts as not), FailedPrecondition
  // for a camera presenter in a room whose mode is not presenter.
  absl::Status CheckPresenter(const RoomConfig& room, uint64_t id, bool slides) const;
  // Makes `id` (0: nobody) the room's presenter or content presenter: the
  // room's worker and the event stream (presenter_changed) are told. `by`
  // says who did ("api", "key", "left", "video_mode"). Checked beforehand.
  void SetPresenter(std::string_view room, uint64_t id, bool slides, std::string_view by);
  // The room's video mode was changed (`by` "api" or "key"): video_mode_changed
  // on the event stream; a room no longer in presenter mode has no presenter.
  void VideoModeChanged(std::string_view room, std::string_view by);
  // Messaging (call_messages.cc). Posts to `room` as the room, naming
  // `sender_name` ("operator" when empty): kept, published, relayed to
  // every member. NotFound for no such room, OutOfRange above
  // max_message_bytes, InvalidArgument for a content type not relayed.
  absl::StatusOr<msrp::ChatMessage> PostMessage(std::string_view room, std::string_view sender_name,
                                                std::string_view content_type, std::string body);
  // The room's kept messages with ids above `after_id`, oldest first, at most `limit`.
  std::vector<msrp::ChatMessage> Messages(std::string_view room, uint64_t after_id,
                                          size_t limit) const;
  const MessagingCounters& messaging_counters() const;
  const FileCounters& file_counters() const;
  // MSRP (call_chat_legs.cc): the service that serves chat and file
  // streams, and the room's files; null: m=message is declined.
  void set_msrp(msrp::MsrpService* msrp, msrp::FileStore* files) {
    msrp_ = msrp;
    files_ = files;
  }
  // An event of the MSRP service, on the control thread (the daemon posts
  // it from the MSRP thread): call_msrp_events.cc sends each kind on.
  void OnMsrpEvent(msrp::MsrpEvent event);
  // Events for the API's event stream; may be null.
  void set_event_hub(EventHub* events) {
    events_ = events;
    recordings_.set_event_hub(events);
  }
  // Where a record of every ended call leg goes; may be null.
  void set_call_records(CallRecordWriter* records) { records_.set_writer(records); }
  // Prompts for the IVR, announcements, tones and music; may be null (none).
  void set_prompts(std::shared_ptr<const media::PromptLibrary> prompts) {
    prompts_ = std::move(prompts);
  }
  // Digest authentication (may be null: none). `all`: [sip] auth = "all";
  // a room's own auth setting wins over it.
  void set_digest_auth(const sip::DigestAuthenticator* digest, bool all) {
    digest_ = digest;
    auth_all_ = all;
  }
  const AuthCounters& auth_counters() const { return auth_counters_; }
  uint64_t calls_answered() const { return calls_answered_; }

  // ---- Trunks, public (call_trunk_calls.cc, call_dial_out.cc) ----
  // The trunks and their state (null: none, calls to numbers get 404 and
  // dial-outs are refused); a reload sets them again. The dial plan, guard
  // and links outlive the controller or the next set_trunks; the guard,
  // once given, stays the same object for the controller's life (calls in
  // progress are released on it). A call keeps its trunk's settings
  // (shared with the table it came from) until it ends, so the table may
  // go with the next set_trunks.
  void set_trunks(std::shared_ptr<const trunk::TrunkTable> trunks, const trunk::DialPlan* dial_plan,
                  trunk::TrunkGuard* guard, const trunk::TrunkLinks* links) {
    trunks_ = std::move(trunks);
    dial_plan_ = dial_plan;
    trunk_guard_ = guard;
    trunk_links_ = links;
  }
  // Places a call from `request.room` (call_dial_out.cc): the call's id
  // (its participant id once answered), or why not: NotFound (no such
  // room), InvalidArgument (not a number or URI), PermissionDenied (the
  // toll-fraud guard: no trunk may reach it), ResourceExhausted (a limit),
  // Unavailable (shutting down, every trunk for it down). Nothing is sent
  // when refused.
  absl::StatusOr<uint64_t> DialOut(DialOutRequest request);
  const InboundTrunkCounters& inbound_trunk_counters() const { return inbound_trunk_counters_; }
  const DialOutCounters& dial_out_counters() const { return dial_out_counters_; }
  // ---- end trunks, public ----
  const DialInCounters& dial_in_counters() const { return dial_in_counters_; }
  int in_ivr() const;  // callers talking to the IVR now
  // RFC 4575 subscriptions to rooms' rosters now.
  int conference_subscriptions() const { return static_cast<int>(subscriptions_.size()); }

 private:
  struct Call;

  void OnInvite(sip::TransactionId id, const sip::SipMessage& invite,
                const sip::MessageSource& source);
  // An INVITE out of a dialog, in steps: may the call be taken (each
  // refusal answered), the call leg, its SDP offer (false: answered).
  struct Admission {
    const RoomConfig* room;  // null: the IVR number
    SessionTimerDecision session;
    // A trunk's call (call_trunk_calls.cc): its trunk and the number it called.
    const trunk::TrunkConfig* trunk = nullptr;
    std::string called_number;
  };
  std::optional<Admission> AdmitInvite(sip::TransactionId id, const sip::SipMessage& invite,
                                       const sip::MessageSource& source);
  std::unique_ptr<Call> NewCall(sip::TransactionId id, const sip::SipMessage& invite,
                                const sip::MessageSource& source, const RoomConfig* room);
  bool TakeOffer(sip::TransactionId id, const sip::SipMessage& invite, Call& call,
                 const RoomConfig* room);
  void OnReInvite(Call& call, sip::TransactionId id, const sip::SipMessage& invite);
  // call_admission.cc (issue 20): the media workers' load. A new call with
  // audio (answered 503 when refused), and a caller in the IVR moving to
  // a room's conference (false: refused, the caller not told yet).
  bool AdmitMediaLoad(sip::TransactionId id, const Call& call);
  bool AdmitMoveToRoom(const Call& call, uint32_t to_conference_id);
  // A dial-out (the API's or a REFER's) into a room: an Unavailable error
  // (503) when the workers would refuse a caller there.
  absl::Status AdmitDialOutMedia(uint32_t conference_id);
  // A re-INVITE's offer answered (binding pairs for video streams it adds);
  // nullopt when refused (answered 4xx, the session as it was).
  std::optional<sdp::AnswerResult> AnswerReOffer(Call& call, sip::TransactionId id,
                                                 const sip::SipMessage& invite);
  // What a re-INVITE's (or a late answer's) media changes: hold, the
  // streams, the worker.
  void ApplyMedia(Call& call, const sdp::NegotiatedAudio& audio,
                  std::optional<sdp::NegotiatedVideo> camera,
                  std::optional<sdp::NegotiatedVideo> slides);
  void OnBye(sip::TransactionId id, const sip::SipMessage& bye);
  void OnOptions(sip::TransactionId id, const sip::SipMessage& options,
                 const sip::MessageSource& source);
  void OnInfo(sip::TransactionId id, const sip::SipMessage& info);
  void OnUpdate(sip::TransactionId id, const sip::SipMessage& update);

  // ---- Messaging: pager mode and the rooms' chat (call_messages.cc) ----
  void OnMessage(sip::TransactionId id, const sip::SipMessage& message,
                 const sip::MessageSource& source);
  // A complete chat message from an MSRP member (the MSRP service relayed
  // it to the room's other MSRP members already).
  void OnChatReceived(msrp::ChatReceived& received);
  // The call in `room` the request comes from (its source address and From
  // URI, as IsParticipant asks); null for a stranger.
  Call* FindParticipant(const sip::SipMessage& request, const sip::MessageSource& source,
                        std::string_view room);
  // The MESSAGE's room and sender, each refusal answered: null when refused.
  Call* MessageSender(sip::TransactionId id, const sip::SipMessage& message,
                      const sip::MessageSource& source);
  // The content of an admitted MESSAGE (a CPIM wrapper taken off), or
  // nullopt when refused (answered 413, 415, 400).
  std::optional<msrp::ChatMessage> MessageContent(sip::TransactionId id,
                                                  const sip::SipMessage& message,
                                                  const Call& sender);
  // Kept, published, relayed to the room's pager members (and, unless it
  // came over MSRP, to its MSRP members). Nullopt when the room's deliveries
  // in flight are at their bound (nothing kept or relayed) - except for a
  // message from MSRP, which its MSRP members have already: kept, the pager
  // members left out.
  // Answers `accepted` (a MESSAGE; 0: none) 202 once taken, before anything
  // is relayed. Returns the message as kept (with its id).
  std::optional<msrp::ChatMessage> TakeChatMessage(msrp::ChatMessage message,
                                                   sip::TransactionId accepted = 0);
  // `kept` to each of `members` as a MESSAGE, counted; when `tell_sender`
  // and none of them took it, its sender hears so.
  void RelayToMembers(const msrp::ChatMessage& kept, const std::vector<Call*>& members,
                      bool tell_sender);
  // One MESSAGE taking `message` to `member` inside its dialog; `answered`
  // hears its responses, or nullptr for its timeout (or at once when the
  // request could not be sent).
  void SendChat(Call& member, const msrp::ChatMessage& message,
                sip::CallSignaling::ResponseCallback answered);
  // Tells a pager-mode sender (from the room) that its message reached nobody.
  void TellSender(uint64_t sender_call, std::string_view why);
  // replay_on_join: the room's last messages to a member who just entered.
  void ReplayChat(Call& member);
  std::string RoomUri(std::string_view room) const;
  // ---- end messaging ----

  // ---- MSRP legs: m=message chat and incoming files (call_chat_legs.cc) ----
  void OnMsrpSessionEnded(const msrp::SessionEnded& ended);
  // LocalMedia::chat for the call's next answer: a fresh session-id's path
  // where chat is served and its room is known (not in the dial-in IVR),
  // else none (chat lines declined). The path of the stream in use is kept.
  void SetChatChoice(Call& call);
  // After the offer is answered (trial): a file offer makes the call a file
  // call, from a member of the room only (else 403, false); chat in the IVR
  // is declined. False when answered with a refusal.
  bool TakeChatOffer(sip::TransactionId id, const sip::SipMessage& invite,
                     const sdp::SessionDescription& offer, Call& call, sdp::AnswerResult* answer);
  // Whether a refused "room full" INVITE is a member's file offer (no seat taken).
  static bool OffersFile(const sip::SipMessage& invite);
  // The negotiated stream (nullopt: none or declined) becomes the call's:
  // registered with the MSRP service (before the 2xx goes: the peer may
  // connect at once), re-registered when its peer moved, removed when gone.
  void TakeChat(Call& call, std::optional<sdp::NegotiatedChat> negotiated);
  void EndChat(Call& call);
  // ---- end MSRP legs ----

  // ---- Inbound trunk calls (call_trunk_calls.cc) ----
  // Where an INVITE out of a dialog goes. A trunk's (by its source
  // address): by the dial plan, the room a pattern pre-fills taken as a
  // call to that room. Anyone else's: the Request-URI's user names the room
  // or the IVR number, as before trunks.
  struct InboundRoute {
    const trunk::TrunkConfig* trunk = nullptr;
    std::string called_number;  // canonical; a trunk's call only
    std::string room;           // the room asked for (may not exist: 404)
    bool ivr = false;           // the IVR, asking for the conference number
  };
  // Nullopt when refused, answered: 403 (no trunk's address and not a room
  // call allowed), 404 (no dial plan rule), 420 (100rel on a trunk with
  // prack = "off").
  std::optional<InboundRoute> RouteInbound(sip::TransactionId id, const sip::SipMessage& invite,
                                           const sip::MessageSource& source);
  std::optional<InboundRoute> RouteTrunkCall(sip::TransactionId id, const sip::SipMessage& invite,
                                             const trunk::TrunkConfig& trunk);
  // A stranger's INVITE names a number (tel:, ;user=phone, '+', or one the
  // dial plan knows) rather than a room: only trunks may call those.
  bool CallsNumber(const sip::SipMessage& invite) const;
  // The trunk whose addresses hold `source`; null: none.
  const trunk::TrunkConfig* TrunkOf(const sip::MessageSource& source) const;
  // A trunk's new call: its trunk, numbers and caller's name (CallerOf).
  void TakeTrunkCaller(Call& call, const sip::SipMessage& invite, const Admission& admitted);
  // The trunk's limits (TrunkGuard::AdmitInbound): false when answered 503.
  bool AdmitTrunkLimits(sip::TransactionId id, const Call& call);
  // Our 1xx go reliably (RFC 3262) when the INVITE requires it, or supports
  // it and comes from a trunk whose prack is not "off".
  void ChooseProvisionals(Call& call, const sip::SipMessage& invite);
  // The answer to the initial INVITE: 200 OK, or for a trunk with
  // early_media whose caller starts in the IVR, 183 with the SDP first.
  void SendAnswer(Call& call, std::string_view body);
  // The caller left the IVR for a room: the 200 OK after its early media.
  void AnswerEarlyMedia(Call& call);
  void OnPrack(sip::TransactionId id, const sip::SipMessage& prack);
  // The audio codecs a re-INVITE's offer may have: the call's own when the
  // offer still lists it, else any of `local`'s (carriers move calls from
  // G.711 to G.729, or PCMU to PCMA, by re-INVITE).
  std::vector<sdp::AudioCodec> ReOfferCodecs(const Call& call, const sdp::SessionDescription& offer,
                                             const sdp::LocalMedia& local) const;
  // The call ended: its trunk's count goes down.
  void TrunkCallEnded(const Call& call);
  // `trunk` (of trunks_) as a call keeps it: sharing the table's life.
  std::shared_ptr<const trunk::TrunkConfig> HoldTrunk(const trunk::TrunkConfig& trunk) const {
    return std::shared_ptr<const trunk::TrunkConfig>(trunks_, &trunk);
  }
  // ---- end inbound trunk calls ----

  // ---- Dial-out and REFER (call_dial_out.cc, call_refer.cc) ----
  // DialOut's checks, in order; nothing is sent. The room, the target's
  // trunk and number, our caller ID; the guard has counted it when OK.
  struct DialOutPlan {
    const RoomConfig* room = nullptr;
    DialOutTarget target;
    std::string caller_id;
    absl::Duration timeout;
  };
  absl::StatusOr<DialOutPlan> PlanDialOut(const DialOutRequest& request);
  // The callee's call, not yet answered: media ports, our offer, the dialog.
  absl::StatusOr<std::unique_ptr<Call>> NewDialOutCall(const DialOutRequest& request,
                                                       const DialOutPlan& plan);
  // The INVITE (again after a challenge, with the credentials the leg holds).
  void SendDialOutInvite(Call& call);
  void OnDialOutResponse(uint64_t id, const sip::SipMessage* response);
  void OnDialOutProvisional(Call& call, const sip::SipMessage& response);
  // A 401/407 answered with credentials (true), or not answerable.
  bool AnswerDialOutChallenge(Call& call, const sip::SipMessage& response);
  void OnDialOutAnswered(uint64_t id, const sip::SipMessage& ok);
  void CancelDialOut(Call& call, std::string_view outcome);
  // Not answered (or answered and refused): event, record, counts; gone.
  void FailDialOut(uint64_t id, int status, std::string_view reason, std::string_view outcome);
  // EndCall of an answered dial-out: the guard's counts, the event.
  void DialOutCallEnded(const Call& call, std::string_view why);
  void PublishDialOut(const Call& call, std::string_view state);
  void AddDialOutRecord(const Call& call, CallRecord* record) const;
  // call_keys.cc: a moderator's dial_out key: the number typed, then #
  // (* or a pause of digit_timeout gives up).
  void StartDialOutEntry(Call& call);
  void OnDialOutEntryKey(Call& call, char digit);
  // Shutdown and a room removed: the unanswered ones are CANCELled.
  void EndDialOuts(std::string_view room = {});
  // call_refer.cc: REFER inside a participant's dialog (RFC 3515, RFC 4579).
  void OnRefer(sip::TransactionId id, const sip::SipMessage& refer,
               const sip::MessageSource& source);
  // Refer-To a room of ours: checked (PIN, lock, SRTP, full), 202, NOTIFY 200.
  void ReferToRoom(sip::TransactionId id, const sip::SipMessage& refer, Call& call,
                   const RoomConfig& room);
  // Refer-To anything else: a dial-out into the call's room, or refused.
  void ReferDialOut(sip::TransactionId id, const sip::SipMessage& refer, Call& call,
                    std::string target);
  void AcceptRefer(sip::TransactionId id, const sip::SipMessage& refer);  // 202
  // Blind transfer: the call leaves its room for `room`.
  void TransferToRoom(Call& call, const RoomConfig& room);
  // The referrer of a dial-out hears its progress (a NOTIFY unless it asked
  // for none); `final` ends the subscription and frees its REFER's place.
  void NotifyReferrer(const DialOutLeg& leg, int status, std::string_view reason, bool final);
  // A NOTIFY with a sipfrag of a REFER's progress in the referrer's dialog.
  void SendReferNotify(Call& referrer, uint32_t refer_cseq, int status, std::string_view reason,
                       bool final);
  // ---- end dial-out and REFER ----

  // ---- Files offered to members (call_file_offers.cc) ----
  void OnFileReceived(const msrp::FileReceived& received);
  void OnFileTransferFailed(const msrp::FileTransferFailed& failed);
  void OnFileSent(const msrp::FileSent& sent);
  // An offer's MSRP session ended before FileSent (never connected, dropped).
  void OnFileOfferSessionEnded(const msrp::SessionEnded& ended);
  // A BYE inside one of our offers' dialogs: answered 200 and true; false
  // when it belongs to none.
  bool OnFileOfferBye(sip::TransactionId id, const sip::SipMessage& bye);
  // Shutdown: CANCEL the offers not answered, BYE the ones sending.
  void EndFileOffers();
  void OfferFile(const Call& member, const msrp::StoredFile& file);
  void OnFileOfferResponse(uint64_t offer_id, const sip::SipMessage* response);
  void OnFileOfferAnswered(FileOffer& offer, const sip::SipMessage& ok);
  // Registers the offer's kFileSend session: passive with no path when the
  // INVITE goes, active with the member's path when its answer says so.
  void AddFileSendSession(FileOffer& offer, std::vector<std::string> remote_path, bool active);
  void CancelFileOffer(FileOffer& offer, std::string_view outcome);
  void ByeFileOffer(FileOffer& offer, std::string_view outcome);
  // The offer is over: its file_offer event, and its slot freed.
  void FinishFileOffer(uint64_t offer_id);
  // ---- end files ----
  // call_subscriptions.cc: SUBSCRIBE to a room's conference state.
  void OnSubscribe(sip::TransactionId id, const sip::SipMessage& subscribe,
                   const sip::MessageSource& source);
  // False when the subscriber may not see `room`'s roster (answered 401 or 403).
  bool MaySeeRoster(sip::TransactionId id, const sip::SipMessage& subscribe,
                    const sip::MessageSource& source, const RoomConfig& room);
  // A call in `room` from the request's source address and From URI.
  bool IsParticipant(const sip::SipMessage& request, const sip::MessageSource& source,
                     std::string_view room);
  RosterEndpoint EndpointOf(const Call& call) const;
  ConferenceRoster RosterOf(std::string_view room);
  // The call's room's subscribers hear of it (when the call is in the room).
  void RosterChanged(const Call& call, RoomSubscriptions::Change change);
  void Answer(uint64_t call_id);
  // Runs `fn` on the call if it has not ended (timers, late answers).
  template <typename Fn>
  void WithCall(uint64_t call_id, Fn&& fn);
  void SendBye(Call& call, std::string_view why);
  void EndCall(uint64_t call_id, std::string_view why);
  // `warning`: the text of a Warning header (why media was refused), with
  // `warn_code` (399, or sdp::WarnCodeFor's); empty: a 488 gets the generic
  // 305 "Incompatible media format".
  void Reject(sip::TransactionId id, int status_code, std::string_view reason = {},
              std::string_view warning = {}, int warn_code = 399);
  // call_auth.cc: true when the INVITE (or SUBSCRIBE) may go on; otherwise
  // it has been answered (401 challenge, 403 for a locked-out source).
  bool Authenticated(sip::TransactionId id, const sip::SipMessage& invite,
                     const sip::MessageSource& source);
  void MaybeFinishShutdown();
  // Media: the call's participant on its room's worker.
  void JoinMedia(Call& call);
  void UpdateMedia(Call& call);
  // call_media_events.cc: the workers' events, routed.
  void PollMediaEvents();
  void OnMediaEvent(mixer::WorkerEvent& event);
  // A participant's talking state; `call` is null for a departed leg.
  void OnTalking(Call* call, const std::string& call_id, const std::string& room, bool started);
  // The worker already let the leg go (RTP timeout, DTLS failure): the call
  // ends with BYE, its record with the final counters. No-op for null.
  void EndedByWorker(Call* call, const mixer::ParticipantStats& final_stats,
                     const std::string& why);
  void Publish(std::string_view type, const Call& call, std::string_view extra_json = {});
  const media::Prompt* PromptNamed(std::string_view name) const;
  // call_api.cc: a participant as the control API shows it.
  ParticipantInfo InfoFor(const Call& call) const;

  // call_video_legs.cc: the call's camera and content streams.
  // The room its video is negotiated for: its room, its PIN room while in
  // the IVR, null for the IVR number (the room is not known yet).
  const RoomConfig* VideoRoomOf(const Call& call) const;
  // Empty when `call` may have video now; else why not (for the log and the
  // declined line): the room shows none, or refused this call's video.
  std::string WhyNoVideo(const Call& call) const;
  // LocalMedia's video for a new negotiation: the call's own codec once it
  // has one, else its room's lock or preference (the IVR: [media]
  // video_codecs), and why a video line would be declined.
  void SetVideoChoices(Call& call);
  // `local` with a stand-in port for each stream the call may take and has
  // no pair for: the trial answer that says which pairs to bind.
  sdp::LocalMedia WithVideoPlaceholders(const Call& call, sdp::LocalMedia local) const;
  // Binds a pair for each stream `wants_*` names (a failure declines that
  // stream, the call keeps its audio); the leg holds them until posted.
  void BindVideoPorts(Call& call, sdp::LocalMedia* local, bool camera, bool slides);
  // The streams an answer (ours or the peer's) agreed on become the call's:
  // pairs for streams not taken go back, the room's codec lock is taken or
  // left, and the leg posts them with its next Join or Update.
  void TakeVideo(Call& call, std::optional<sdp::NegotiatedVideo> camera,
                 std::optional<sdp::NegotiatedVideo> slides);
  // A caller from the IVR enters `room` with the video it negotiated there:
  // kept when the room shows video, takes its codec and fits its lock
  // (it may lock the room); otherwise off for the rest of the call.
  void AdmitVideo(Call& call, const RoomConfig& room);

  // call_keys.cc: a key press from any source (RFC 4733, SIP INFO, in-band).
  void OnDigit(Call& call, char digit, std::string_view via);
  // The key's meaning: an IVR entry or an in-call control.
  void HandleKey(Call& call, char digit);
  void RunControl(Call& call, std::string_view action);
  bool RunModeratorControl(Call& call, std::string_view action);
  // call_video.cc: toggle_presenter and toggle_content; false for other actions.
  bool RunVideoControl(Call& call, std::string_view action);
  // A participant left its room: it presents nothing any more.
  void ClearPresenterOf(const Call& gone);
  // Worker reports about a participant's video: whom it sees, its rates.
  void OnVideoSourceChanged(Call* call, const mixer::VideoSourceChanged& changed);
  void OnVideoStats(Call& call, const mixer::ParticipantStats& stats);
  std::optional<VideoInfo> VideoInfoFor(const Call& call) const;

  // call_rooms.cc: the dial-in IVR, prompts and presence in rooms.
  void StartDialIn(Call& call);
  void OnDialInDigit(Call& call, char digit);
  void OnDigitTimeout(Call& call);
  void RunDialInStep(Call& call, const DialInStep& step);
  // Lobby -> room: checks the room takes the caller, then moves its media.
  void EnterRoom(Call& call, const std::string& room, bool moderator);
  void OnDetached(mixer::Detached& event);
  // The caller's media is in the room: events, tones, counts, waiting.
  void OnEnteredRoom(Call& call);
  // Out of the room's presence (the call has ended); the others hear it.
  void OnLeftRoom(Call& call);
  // Plays prompts one after another (replacing what plays), then music if
  // `music`; the call ends after them when `hang_up_why` is set. Returns
  // how long they take (zero when nothing new plays: ending or goodbye).
  absl::Duration PlayPrompts(Call& call, const std::vector<std::string>& names, bool music = false,
                             std::string_view hang_up_why = {});
  void PlayNextPrompt(Call& call);
  void StartMusic(Call& call);
  void StopMusic(Call& call);
  // Calls whose media is in `room`.
  std::vector<Call*> InRoom(std::string_view room, const Call* except = nullptr);
  void SetWaiting(Call& call, bool waiting);
  void SendMuted(Call& call);  // muted or waiting, to the worker
  // The leg's record as it ends (with the last media counters reported).
  CallRecord RecordFor(const Call& call, std::string_view why) const;
  Call* FindByDialog(const sip::SipMessage& request);

  // Every entry point runs on the control thread (the API's too: posted to
  // the loop).
  [[no_unique_address]] OwnerThread control_thread_;
  std::unique_ptr<CallTimers> loop_timers_;  // on the EventLoop, when given one
  CallTimers* timers_;
  sip::CallSignaling* transactions_;
  RoomDirectory* rooms_;
  media::PortAllocator* ports_;
  OverloadGuard* overload_;
  mixer::MediaWorkers* media_;
  CallControllerOptions options_;
  ServerIdentity server_;
  InviteSessionOptions session_options_;
  CallTimers::TimerId media_poll_timer_ = 0;
  EventHub* events_ = nullptr;
  // Records of ended legs, some waiting for their worker's final counters.
  CallRecords records_;
  std::shared_ptr<const media::PromptLibrary> prompts_;
  RoomRecordings recordings_;
  RoomSubscriptions subscriptions_;

  uint64_t next_call_id_ = 1;
  // Each caller in the IVR has a conference of its own (a lobby), numbered
  // far above the rooms' ids.
  uint32_t next_lobby_id_ = 0x80000000u;
  PinGuard pin_guard_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Call>> calls_;
  RoomPresence presence_;
  RoomVideoCodecs video_codecs_;  // one video codec per room

  // ---- Messaging state (call_messages.cc) ----
  MessagingCounters messaging_counters_;
  RoomChat room_chat_{options_.messaging.history};
  // ---- end messaging state ----

  // ---- MSRP state (call_chat_legs.cc) ----
  msrp::MsrpService* msrp_ = nullptr;
  msrp::FileStore* files_ = nullptr;
  // ---- end MSRP state ----

  // ---- Trunk state, shared (set_trunks) ----
  std::shared_ptr<const trunk::TrunkTable> trunks_;
  const trunk::DialPlan* dial_plan_ = nullptr;
  trunk::TrunkGuard* trunk_guard_ = nullptr;
  const trunk::TrunkLinks* trunk_links_ = nullptr;
  // ---- Inbound trunk calls state (call_trunk_calls.cc) ----
  InboundTrunkCounters inbound_trunk_counters_;
  // ---- end inbound trunk calls state ----
  // ---- Dial-out and REFER state (call_dial_out.cc, call_refer.cc) ----
  DialOutCounters dial_out_counters_;
  // Dial-outs not answered yet, by id (the call's id once answered). The
  // guard bounds them (per trunk and per room).
  absl::flat_hash_map<uint64_t, std::unique_ptr<Call>> dialing_;
  // ---- end dial-out and REFER state ----

  // ---- File offers state (call_file_offers.cc) ----
  FileCounters file_counters_;
  FileOffers file_offers_{options_.file_offers};
  // ---- end file offers state ----
  absl::flat_hash_map<sip::DialogId, uint64_t> by_dialog_;
  absl::flat_hash_map<sip::TransactionId, uint64_t> by_invite_;
  uint64_t calls_answered_ = 0;
  DialInCounters dial_in_counters_;
  const sip::DigestAuthenticator* digest_ = nullptr;
  bool auth_all_ = false;
  AuthCounters auth_counters_;
  bool shutting_down_ = false;
  int byes_in_flight_ = 0;
  std::function<void()> shutdown_done_;
};

}  // namespace tutti
