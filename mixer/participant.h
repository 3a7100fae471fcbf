// One call leg inside a media worker: its RTP in (statistics, jitter buffer,
// decoder, DTMF) and out (encoder for its own mix-minus, RTP sequence and
// timestamp, SSRC), its talker state and its RTCP. Built on the control
// thread (all allocation happens there or when the conference rate changes),
// then owned and used by exactly one worker thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/thread_owner.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/resampler.h"
#include "mediaplane/dtls_srtp.h"
#include "mediaplane/dtmf_detector.h"
#include "mediaplane/jitter_buffer.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/prompt_library.h"
#include "mediaplane/rtp/receive_statistics.h"
#include "mediaplane/srtp_session.h"
#include "mediaplane/telephone_event.h"
#include "mixer/header_levels.h"
#include "mixer/media_transport.h"
#include "mixer/talker_detector.h"
#include "mixer/video_spec.h"
#include "mixer/video_stream.h"

namespace tutti::mixer {

class TickSink;

// What signaling negotiated for the leg.
struct ParticipantSpec {
  uint64_t id = 0;
  uint32_t conference_id = 0;
  media::CodecFormat codec;
  uint8_t payload_type = 0;
  int telephone_event_pt = -1;
  // The RFC 6464 audio level header extension's id (1-255; 0: not
  // negotiated). Quiet frames of a leg that sends it are not decoded unless
  // the mix takes them.
  int audio_level_id = 0;
  media::Endpoint remote_rtp;
  media::Endpoint remote_rtcp;  // equal to remote_rtp with rtcp-mux
  bool rtcp_mux = false;
  bool send = true;     // false while the caller holds us (recvonly/inactive)
  bool receive = true;  // false while the caller sends nothing (our side sendonly/inactive)
  bool muted = false;
  // Per-participant volume in dB: what it hears, and how loud others hear it.
  int listen_gain_db = 0;
  int talk_gain_db = 0;
  // SRTP keys (SDES) when the leg is encrypted; inactive for plain RTP.
  media::SrtpKeys srtp;
  // DTLS-SRTP: the keys come from a handshake on the media port instead.
  media::DtlsSpec dtls;
  // The camera stream and the content stream (a=content:slides), each on a
  // port pair of its own (Participant::SetVideoPorts).
  VideoStreamSpec video;
  VideoStreamSpec slides;
};

// Q12 fixed-point factor for a gain in dB (4096 is 0 dB).
int32_t GainFactor(int gain_db);
// pcm *= factor (Q12), through the soft limiter.
void ApplyGain(std::span<int16_t> pcm, int32_t factor);

// Samples in one 20 ms frame at the highest rate the bridge uses (48 kHz).
constexpr int kMaxFrameSamples = 960;

struct ParticipantStats {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t malformed = 0;       // RTP that did not parse, or payloads the decoder refused
  uint64_t malformed_rtcp = 0;  // RTCP compounds that did not parse
  // STUN messages on the media ports (NAT keep-alives such as linphone's
  // Binding requests): valid, not media, dropped unanswered.
  uint64_t stun = 0;
  uint64_t foreign = 0;  // wrong payload type
  // RTP (DTMF included) and RTCP from a source other than the latched one:
  // dropped unread, so a stranger can neither talk, key nor steer the leg.
  uint64_t foreign_source = 0;
  // Packets (RTP and RTCP) not sent because the peer's address was never
  // heard from, or has gone silent (consent, RFC 7675 in spirit).
  uint64_t withheld = 0;
  uint64_t concealed = 0;  // frames made up by PLC
  uint64_t recovered = 0;  // frames rebuilt from Opus FEC
  uint32_t jitter_ms = 0;
  int64_t lost = 0;
  double rtt_ms = 0;

  // SRTP/SRTCP dropped: failed authentication (or did not parse), replayed.
  uint64_t srtp_auth_failed = 0;
  uint64_t srtp_replayed = 0;
  // The longest time between two RTP packets received (as the worker saw
  // them): a stalled receive path shows here, and so do holds and DTX.
  uint32_t max_gap_ms = 0;

  // Video (camera stream; zero without one).
  uint64_t video_packets_in = 0;
  uint64_t video_packets_out = 0;  // retransmissions included
  uint64_t video_bytes_in = 0;
  uint64_t video_bytes_out = 0;
  uint64_t video_malformed = 0;  // video RTP/RTCP that did not parse, or a payload of no frame
  // The picture size the source's last keyframe gave (0: not known yet).
  uint16_t video_width = 0;
  uint16_t video_height = 0;
  // Whose camera this participant sees now (a participant id; 0: nobody).
  uint64_t video_source_id = 0;
};

class Participant {
 public:
  Participant(const ParticipantSpec& spec, media::PortPair ports, uint32_t ssrc);
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  const ParticipantSpec& spec() const { return spec_; }
  uint64_t id() const { return spec_.id; }
  uint16_t rtp_port() const { return audio_.rtp_port(); }
  uint16_t rtcp_port() const { return audio_.rtcp_port(); }
  const media::PortPair& ports() const { return audio_.ports(); }
  // The counters as of now (loss and jitter too, not as of the last report).
  ParticipantStats stats() const;
  const media::JitterBufferStats& jitter_stats() const { return jitter_buffer_.stats(); }
  uint32_t ssrc() const { return ssrc_; }

  // Re-INVITE: new remote address, hold/resume, of every stream the leg has
  // (the worker adds and removes video streams first: SetVideoStream). Mute
  // from the control plane. A new audio codec (a carrier moving a call from
  // G.711 to G.729, PCMU to PCMA) swaps the leg's decoder and encoder: true
  // then, and its conference regroups it (Conference::CodecChanged).
  bool Update(const ParticipantSpec& spec);

  // Video: the camera stream (slides=false) and the content stream, each
  // null when the leg has none. SetVideoPorts (control thread, before the
  // leg is posted) makes the streams the spec has from their port pairs;
  // SetVideoStream replaces one (a re-INVITE added or removed it).
  void SetVideoPorts(media::PortPair video, media::PortPair slides);
  VideoStream* video_stream(bool slides) const { return slides ? slides_.get() : video_.get(); }
  void SetVideoStream(bool slides, std::unique_ptr<VideoStream> stream);
  // A new stream for `spec` on `ports`, with this leg's SSRC for that stream.
  void ChangeCodec(const media::CodecFormat& codec);
  std::unique_ptr<VideoStream> MakeVideoStream(bool slides, const VideoStreamSpec& spec,
                                               media::PortPair ports) const;
  void SetMuted(bool muted) {
    owner_.Check();
    spec_.muted = muted;
  }
  // Only while no worker holds it (between the conferences of a move).
  void set_conference_id(uint32_t conference_id) { spec_.conference_id = conference_id; }
  void SetGains(int listen_gain_db, int talk_gain_db);
  int32_t listen_factor() const { return listen_factor_; }

  // Prepares resamplers for the conference rate (allocates; join/leave only).
  void SetConferenceRate(int rate);

  // The audio stream's transport (media_transport.h): SRTP/SRTCP in place
  // before OnRtp/OnRtcp (anything but kOk is counted there and must be
  // dropped), DTLS-SRTP datagrams and timers.
  media::SrtpSession::Verdict Unprotect(media::Datagram& datagram, bool rtcp) {
    owner_.Check();
    return audio_.Unprotect(datagram, rtcp);
  }
  bool encrypted() const { return audio_.encrypted(); }
  media::DtlsSrtp::Outcome OnDtls(const media::Datagram& datagram, bool rtcp_port, int64_t now_us,
                                  TickSink& sink) {
    owner_.Check();
    return audio_.OnDtls(datagram, rtcp_port, now_us, sink);
  }
  std::array<media::DtlsSrtp::Outcome, 2> DtlsTick(int64_t now_us, TickSink& sink) {
    owner_.Check();
    return audio_.DtlsTick(now_us, sink);
  }
  bool dtls_handshaking() const { return audio_.dtls_handshaking(); }
  MediaTransport& audio_transport() { return audio_; }

  // An RTP datagram for this leg. Returns a DTMF digit when one completed.
  // Only the latched source is heard (see "Latch" below); the rest is
  // counted in foreign_source and dropped.
  std::optional<char> OnRtp(const media::Datagram& datagram, int64_t now_us);
  void OnRtcp(const media::Datagram& datagram, int64_t now_us);

  // Sending limits of every stream of the leg (MediaTransport::SetSendLimits).
  void SetSendLimits(int64_t unverified_send_us, int64_t consent_timeout_us);
  // May audio (RTP or RTCP) go to the peer now (MediaTransport::MaySend)?
  bool MaySend(int64_t now_us) {
    owner_.Check();
    return audio_.MaySend(now_us);
  }
  // Counts a packet MaySend kept back.
  void CountWithheld() { audio_.CountWithheld(); }
  // Counts a STUN message that came to the leg's ports (see stats().stun).
  void CountStun() { ++stats_.stun; }
  bool latched() const { return audio_.latched(); }

  // Tick, step 1: one frame at the conference rate into frame(), its level
  // measured and the talker state updated (closed while muted). A frame the
  // leg's audio level extension says is quiet (below the level that can
  // start a talker), or any frame of a muted leg that sends levels, is not
  // decoded: its level is the header's, and frame() is left as it was
  // until DecodeDeferred.
  TalkerDetector::Transition PullFrame();
  // Tick, step 2 (after the mix is chosen): decodes this tick's frame if
  // PullFrame left it undecoded. The conference calls it for the voices it
  // mixes, so every mixed frame is decoded; no-op otherwise.
  void DecodeDeferred() {
    if (deferred_) DecodeDeferredFrame();
  }
  // Frames PullFrame left undecoded for their header level, and those of
  // them DecodeDeferred decoded after all (for tests and the bench).
  uint64_t quiet_frames() const { return quiet_frames_; }
  uint64_t deferred_decodes() const { return deferred_decodes_; }
  // Decoder calls (decode, FEC, concealment) so far.
  uint64_t decodes() const { return decodes_; }
  std::span<const int16_t> frame() const {
    return {frame_.data(), static_cast<size_t>(conference_frame_)};
  }
  float level_db() const { return level_db_; }
  // A key press heard in the audio itself (G.711 callers that negotiated no
  // telephone-event), found while pulling this tick's frame; taken once.
  std::optional<char> TakeInbandDigit() {
    std::optional<char> digit = inband_digit_;
    inband_digit_.reset();
    return digit;
  }
  const TalkerDetector& talker() const { return talker_; }
  TalkerDetector::Transition CloseTalker() { return talker_.Close(); }

  // A prompt or tone heard by this participant alone, over the mix. Null
  // stops one that is playing. The prompt must outlive the playback. A
  // looping one (music while alone) starts over at its end and never ends.
  void Play(const media::Prompt* prompt, bool loop = false) {
    owner_.Check();
    playing_ = prompt;
    play_position_48k_ = 0;
    play_loop_ = loop;
  }
  bool playing() const { return playing_ != nullptr; }
  // Adds the next frame of the prompt (at `rate`) into `pcm`; true when the
  // prompt ended with this frame.
  bool MixPlayback(std::span<int16_t> pcm, int rate);

  // This tick's packet as received, when it can go to others unchanged:
  // Opus, decoded whole into this tick's frame, no talking gain. Empty
  // otherwise (concealed, FEC-recovered, G.711: re-encoding it costs nothing).
  // Valid until the next PullFrame or OnRtp.
  std::span<const uint8_t> forwardable_payload() const { return forwardable_; }
  // This leg was sent another leg's packet instead of its own encoder's.
  void MarkForwarded() { encoder_spliced_ = true; }
  // The worker's shedding level for this leg's own encoder, kept across a
  // codec change (AudioEncoder::SetCostLevel; issue 20).
  void SetCostLevel(int level) {
    cost_level_ = level;
    encoder_->SetCostLevel(level);
  }
  int cost_level() const { return cost_level_; }

  // Tick, step 2: encodes `mix` (conference rate) with this leg's own encoder
  // and returns the payload (empty when there is nothing to send, e.g. DTX).
  std::span<const uint8_t> EncodeOwn(std::span<const int16_t> mix);

  // Writes an RTP packet with `payload` into `out` (kMaxDatagramBytes) and
  // advances sequence and timestamp. Returns its size, SRTP-protected on an
  // encrypted leg (0: nothing to send, protection failed).
  uint16_t WriteRtp(std::span<const uint8_t> payload, uint8_t* out);
  // Advances the timestamp for a tick in which nothing was sent (DTX, hold).
  void SkipFrame();

  // RTCP sender/receiver report when due (every ~5 s), SRTCP-protected on an
  // encrypted leg; 0 when not due.
  uint16_t MaybeWriteRtcp(int64_t now_us, uint8_t* out);

  // Media activity: the last RTP packet, or the join when none came yet.
  // Jitter-buffer losses and late packets since the last call (for the
  // worker's running totals in /metrics).
  std::pair<uint64_t, uint64_t> TakeJitterDeltas() {
    const media::JitterBufferStats& now = jitter_buffer_.stats();
    std::pair<uint64_t, uint64_t> delta = {now.lost - reported_lost_, now.late - reported_late_};
    reported_lost_ = now.lost;
    reported_late_ = now.late;
    return delta;
  }
  // Media that did not parse (RTP, RTCP, video) or that the decoder refused,
  // in `now` (this participant's stats()) since the last call, for the same totals.
  uint64_t TakeMalformedDelta(const ParticipantStats& now) {
    const uint64_t total = now.malformed + now.malformed_rtcp + now.video_malformed;
    const uint64_t delta = total - reported_malformed_;
    reported_malformed_ = total;
    return delta;
  }

  // Loss (percent, in steps) the peer's last receiver report gave for our
  // stream: what this leg's encoders plan their FEC for.
  int expected_loss_percent() const { return expected_loss_percent_; }

  int64_t last_rtp_us() const { return last_rtp_us_; }
  void MarkJoined(int64_t now_us) { last_rtp_us_ = now_us; }
  bool expects_media() const { return spec_.receive; }
  const media::Endpoint& rtp_destination() const { return audio_.rtp_destination(); }
  const media::Endpoint& rtcp_destination() const { return audio_.rtcp_destination(); }
  bool sending() const { return spec_.send; }
  // Index of this leg's encoder group in its conference (set by the conference).
  int group = -1;

  // The thread using the leg: its worker's, or the control thread's while no
  // worker holds it. The worker binds it on AddParticipant and releases it
  // when it hands the leg back (Detached).
  OwnerThread& owner() { return owner_; }

 private:
  // Decodes `popped` into frame_ (through the upsampler, with the talking
  // gain); true when it holds sound, false when it is silence.
  bool FillFrame(const media::JitterBuffer::Frame& popped);
  void DecodeDeferredFrame();
  int DecodeInto(const media::JitterBuffer::Frame& popped, std::span<int16_t> pcm);
  // The header level of a frame that need not be decoded now, if it is one.
  std::optional<media::AudioLevel> QuietLevel(const media::JitterBuffer::Frame& popped) const;

  [[no_unique_address]] OwnerThread owner_;
  ParticipantSpec spec_;
  uint32_t ssrc_;
  MediaTransport audio_;
  std::unique_ptr<VideoStream> video_;   // camera
  std::unique_ptr<VideoStream> slides_;  // content (a=content:slides)
  int64_t unverified_send_us_ = 5'000'000;
  int64_t consent_timeout_us_ = 10'000'000;
  // Writes into `out` may need room for the SRTP tag.
  bool Protect(uint8_t* packet, size_t* size, bool rtcp) {
    return audio_.Protect(packet, size, rtcp);
  }

  // Receive side.
  bool have_remote_ssrc_ = false;
  uint32_t remote_ssrc_ = 0;
  media::ReceiveStatistics receive_stats_;
  media::JitterBuffer jitter_buffer_;
  HeaderLevels header_levels_;
  // This tick's payload, left undecoded by PullFrame (valid until the next
  // OnRtp, as the jitter buffer's spans are).
  std::optional<std::span<const uint8_t>> deferred_;
  uint64_t quiet_frames_ = 0;
  uint64_t deferred_decodes_ = 0;
  uint64_t decodes_ = 0;
  // frame_ is all zeros (no need to clear or measure it again).
  bool frame_silent_ = true;
  std::unique_ptr<media::AudioDecoder> decoder_;
  media::DtmfReceiver dtmf_;
  // Only for G.711 without telephone-event: Opus callers and event senders
  // never need it, and it costs ~0.7 µs a frame.
  std::unique_ptr<media::DtmfDetector> inband_dtmf_;
  std::optional<char> inband_digit_;
  int64_t last_rtp_us_ = 0;
  int64_t last_packet_us_ = -1;  // the last RTP packet alone (for max_gap_ms)
  bool decoded_any_ = false;

  // Per tick.
  int codec_frame_;                                // samples per frame at the codec's PCM rate
  uint32_t rtp_frame_;                             // RTP timestamp units per frame
  int conference_frame_;                           // samples per frame at the conference rate
  std::unique_ptr<media::Resampler> upsampler_;    // codec -> conference, when they differ
  std::unique_ptr<media::Resampler> downsampler_;  // conference -> codec
  std::array<int16_t, kMaxFrameSamples> decoded_{};
  std::array<int16_t, kMaxFrameSamples> frame_{};
  std::array<int16_t, kMaxFrameSamples> encode_input_{};
  float level_db_ = -100.0f;
  int32_t listen_factor_ = 4096;
  const media::Prompt* playing_ = nullptr;
  size_t play_position_48k_ = 0;
  bool play_loop_ = false;
  int32_t talk_factor_ = 4096;
  TalkerDetector talker_;

  // Send side.
  std::unique_ptr<media::AudioEncoder> encoder_;
  bool encoder_spliced_ = false;  // the peer's decoder last ran on a forwarded packet
  int cost_level_ = 0;
  std::span<const uint8_t> forwardable_;
  std::array<uint8_t, media::kMaxPayloadBytes> payload_{};
  uint16_t sequence_;
  uint32_t timestamp_;
  bool marker_next_ = true;
  uint32_t packets_sent_ = 0;
  uint32_t octets_sent_ = 0;

  // RTCP.
  int64_t next_rtcp_us_ = 0;
  uint32_t last_sr_ntp_middle_ = 0;  // from the peer's last SR, echoed in our RR
  int64_t last_sr_received_us_ = 0;
  uint64_t reported_lost_ = 0;
  uint64_t reported_late_ = 0;
  uint64_t reported_malformed_ = 0;
  int expected_loss_percent_ = 0;

  ParticipantStats stats_;
};

// NTP time (RFC 3550 §4) from a steady microsecond clock anchored at start.
uint64_t NtpFromMicros(int64_t now_us);

}  // namespace tutti::mixer
