// A call leg as the CallController keeps it. Private to the controller's
// .cc files (call_controller.cc: SIP and the media leg's joining;
// call_rooms.cc: dial-in, prompts, presence; call_keys.cc: key controls;
// call_media_events.cc: worker events; call_api.cc: the control API).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/dial_in.h"
#include "signaling/call/dial_outs.h"
#include "signaling/call/invite_session.h"
#include "signaling/call/media_leg.h"
#include "signaling/call/video_rates.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti {

struct CallController::Call {
  uint64_t id = 0;
  // Empty while in the dial-in IVR; the room's name from the moment the
  // caller is on its way in.
  std::string room;
  std::string call_id;  // SIP Call-ID, for logs
  sip::MessageSource source;
  sip::TransactionId initial_invite = 0;
  // The dialog's own life: answering, ACK, session timer, BYE.
  std::unique_ptr<InviteSession> session;
  // Its participant on a media worker (the lobby's, then the room's).
  MediaLeg media;
  bool talking = false;
  bool muted = false;  // by the caller or an operator
  // Dial-in: the conversation while in the IVR (null once in a room), and
  // the timer that ends an entry nobody finishes.
  std::unique_ptr<DialIn> dial_in;
  OwnedTimer digit_timer;
  // A PIN answer held because its room is being guessed at (DialInStep
  // hold): run when hold_timer fires; keys meanwhile are ignored.
  std::optional<DialInStep> held_step;
  OwnedTimer hold_timer;
  RoomMember member;            // in the room (RoomPresence): moderator, waiting
  std::string keys_in_transit;  // pressed between the IVR and the room
  // Prompts: the ones queued after the one playing, music to loop when they
  // are done, and whether the call ends then (goodbye).
  std::deque<const media::Prompt*> prompts;
  bool prompt_playing = false;
  bool music = false;
  bool hang_up_after_prompts = false;
  std::string hang_up_why;
  OwnedTimer hang_up_timer;  // when the goodbye never ends (no audio)
  int listen_db = 0;
  int talk_db = 0;
  std::string keys;  // DTMF typed so far towards a control sequence
  absl::Time last_key;
  std::string from_uri;
  std::string from_display_name;  // as the From header had it, may be empty
  // Messaging (call_messages.cc): its INVITE's Accept named message/cpim,
  // so the room's messages reach it wrapped in CPIM naming their sender.
  bool accepts_cpim = false;
  absl::Time wall_started;
  absl::Time answered = absl::InfinitePast();
  sdp::LocalMedia local_media;
  // The family its media ports are bound in (the caller's c=; for a call we
  // offer to, the family it called us in).
  media::IpFamily media_family = media::IpFamily::kIpv4;
  std::optional<sdp::SessionDescription> remote_offer;  // the offer we answer in the 2xx
  std::optional<sdp::SessionDescription> our_offer;     // we offered in the 2xx; the ACK answers
  std::optional<sdp::NegotiatedAudio> audio;
  // Video (call_video_legs.cc): the camera and content streams as
  // negotiated (nullopt: none). `video_off`: its room refused the caller's
  // video (it came from the IVR with a codec the room does not share, or the
  // room shows none): declined from then on, and `video_off_unposted` until
  // the worker is told. `wants_*`: the offer's trial answer took such a
  // stream, so a pair is bound for it with the audio pair.
  std::optional<sdp::NegotiatedVideo> video;
  std::optional<sdp::NegotiatedVideo> slides;
  bool video_off = false;
  bool video_off_unposted = false;
  bool wants_video = false;
  bool wants_slides = false;
  absl::Time started;
  // Its camera stream as the worker reports it: the bit rates between two
  // reports, and whose camera it sees (a participant id; 0: nobody).
  VideoRates video_rates;
  uint64_t video_sees = 0;
  // MSRP (call_chat_legs.cc): the m=message stream registered with the MSRP
  // service under our session-id (nullopt: none, or it ended). A call with
  // no audio is `chat_only`: a member by chat alone (presence, roster, the
  // API; no media participant), or, with a file offer, `file_call`: it only
  // brings a file to the room and is no participant at all.
  struct ChatLeg {
    std::string session_id;  // ours, in local_path
    sdp::NegotiatedChat negotiated;
  };
  std::optional<ChatLeg> chat;
  bool chat_only = false;
  bool file_call = false;

  // ---- Inbound trunk call (call_trunk_calls.cc) ----
  // The trunk it came from (null: not a trunk's call), the number it
  // called and who called (CallerOf), for its name, events and record.
  // Its settings as the call began: a reload that changes or removes the
  // trunk leaves them to the call until it ends (CallController::HoldTrunk).
  std::shared_ptr<const trunk::TrunkConfig> trunk;
  std::string called_number;
  std::string caller_number;
  bool caller_withheld = false;  // Privacy: kept for its record, shown as "anonymous"
  // Early media: the SDP answer our 183 carried, for the 200 OK.
  std::string early_answer;
  // The caller's number as others see it (API, events); empty: no trunk's call.
  std::string shown_caller_number() const {
    if (trunk == nullptr) return {};
    return caller_withheld ? "anonymous" : caller_number;
  }
  // ---- end inbound trunk call ----

  // ---- Dial-out (call_dial_out.cc, call_refer.cc) ----
  // A call tutti placed (null: the callee called us): ringing in
  // `dialing_`, a participant in `calls_` once answered.
  std::unique_ptr<DialOutLeg> dial_out;
  // Dial-outs its REFERs started that are not over yet (bounded).
  int refers_in_flight = 0;
  // A moderator's dial_out key (call_keys.cc): the number typed so far
  // (nullopt: not typing one), given up after a pause.
  std::optional<std::string> dial_out_entry;
  OwnedTimer dial_out_entry_timer;
  // ---- end dial-out ----

  bool ringing() const { return session->state() == InviteSession::State::kRinging; }
};

template <typename Fn>
void CallController::WithCall(uint64_t key, Fn&& fn) {
  auto it = calls_.find(key);
  if (it != calls_.end()) fn(*it->second);
}

}  // namespace tutti
