// The SDP offer/answer model (RFC 3264) for a conference bridge: answer an
// offer with one audio codec from the room's list (plus telephone-event),
// and, where call control gave a port for them, a camera stream and a
// content stream (a=content:slides, RFC 4796) with the room's one video
// codec; make an offer for INVITEs that came without one, and read the
// answer to it. Every other stream is declined (port 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mediaplane/video/video_codec.h"
#include "signaling/sdp/crypto_attribute.h"
#include "signaling/sdp/msrp_offer_answer.h"
#include "signaling/sdp/session_description.h"

namespace tutti::sdp {

enum class AudioCodec { kPcmu, kPcma, kOpus, kG722, kG729 };
// "PCMU", "PCMA", "opus", "G722", "G729": the names config and the API use.
std::string_view AudioCodecName(AudioCodec codec);
// Those names, for messages that list what is known.
inline constexpr std::string_view kAudioCodecNames = "opus, G722, PCMU, PCMA, G729";
// The codec of one of those names (any case); nullopt for another.
std::optional<AudioCodec> AudioCodecNamed(std::string_view name);
// Every name of the list that is a codec's, in its order, each once.
std::vector<AudioCodec> AudioCodecsNamed(const std::vector<std::string>& names);
// A call's codecs when a trunk has an order of its own (TrunkConfig::codecs):
// the codecs of `order` that `allowed` (the room's) has, in the trunk's
// order; `allowed` unchanged when `order` is empty or shares none with it.
std::vector<AudioCodec> ApplyCodecOrder(const std::vector<AudioCodec>& allowed,
                                        const std::vector<std::string>& order);

// Media encryption for a room (RFC 4568 SDES, RFC 5763 DTLS-SRTP).
//  kOff: plain RTP only (an SRTP-only offer is refused);
//  kOptional: SRTP when the offer asks for it, plain RTP otherwise;
//  kRequired: SRTP only (a plain offer is refused).
enum class SrtpPolicy : uint8_t { kOff, kOptional, kRequired };
std::string_view SrtpPolicyName(SrtpPolicy policy);

// The SDES context of a leg. Secret: never logged.
struct SdesKeys {
  CryptoSuite suite = CryptoSuite::kAesCm128HmacSha1_80;
  int tag = 1;
  CryptoKey local{};   // ours, sent in our SDP
  CryptoKey remote{};  // the peer's
  bool operator==(const SdesKeys&) const = default;
};

// DTLS-SRTP as negotiated: the peer's certificate must match `fingerprint`;
// we are the DTLS server when `server` (a=setup:passive in our SDP).
struct DtlsParameters {
  Fingerprint fingerprint;
  bool server = true;
  bool operator==(const DtlsParameters& other) const {
    return fingerprint.algorithm == other.fingerprint.algorithm &&
           fingerprint.digest == other.fingerprint.digest && server == other.server;
  }
};

// Our side's media security for one offer/answer.
struct LocalSecurity {
  SrtpPolicy policy = SrtpPolicy::kOff;
  // Keys may go in SDP over this signaling transport (TLS, or allowed by config).
  bool sdes_allowed = false;
  // A fresh master key+salt for a new SDES context (random, from the caller).
  CryptoKey fresh_key{};
  // The SDES context in use (re-INVITE): kept when the offer repeats the
  // peer's suite and key, so both directions carry on unchanged.
  std::optional<SdesKeys> current;
  // Our certificate's fingerprint (sha-256); empty algorithm: no DTLS-SRTP.
  Fingerprint dtls_fingerprint;
  // The same for the camera and the content stream: each m-line has an
  // SDES context of its own (RFC 4568 §6.1), never a key of another's.
  CryptoKey fresh_video_key{};
  CryptoKey fresh_slides_key{};
  std::optional<SdesKeys> current_video;
  std::optional<SdesKeys> current_slides;
};

// One video codec we take, and its fmtp (video_fmtp.h): for H.264 the
// profile-level-id (the profile an offer must have, the highest level we
// answer; none: any known profile at the offer's level) and the
// packetization-mode (none: 1); for VP8/VP9 max-fr/max-fs limits. Call
// control gives the room's list, or the one codec the room is locked to.
struct VideoCodecChoice {
  media::VideoCodec codec = media::VideoCodec::kVp8;
  std::string fmtp;
  bool operator==(const VideoCodecChoice&) const = default;
};

// Our side of a call's media.
struct LocalMedia {
  std::string address;  // c= and o= address
  uint16_t rtp_port = 0;
  std::vector<AudioCodec> codecs;  // the room's codecs, in our preference order
  uint64_t session_id = 0;
  uint64_t session_version = 0;
  int ptime_ms = 20;
  LocalSecurity security;
  // Video: the camera's and the content stream's RTP ports (0: such a line
  // is declined), the codecs in our preference order (the first of ours the
  // offer has is taken), and what we ask a peer to send at most (b=TIAS and
  // b=AS in our SDP; 0: no limit said).
  uint16_t video_rtp_port = 0;
  uint16_t slides_rtp_port = 0;
  std::vector<VideoCodecChoice> video_codecs;
  uint32_t video_max_bps = 0;
  // Why a video line is declined when it has no port (for the log); empty:
  // the negotiation says why (e.g. no common codec).
  std::string no_video_why = "video is not taken here";
  // Chat and file streams (m=message, msrp_offer_answer.h): nullopt
  // declines them (no MSRP service, or the room takes no chat).
  std::optional<LocalChat> chat;
};

// What both sides agreed on for the audio stream.
struct NegotiatedAudio {
  AudioCodec codec = AudioCodec::kPcmu;
  int payload_type = 0;
  int clock_rate = 8000;
  int channels = 1;
  int ptime_ms = 20;
  int telephone_event_pt = -1;                 // -1 when not negotiated
  Direction direction = Direction::kSendRecv;  // OUR direction, as in our SDP
  std::string remote_address;
  uint16_t remote_rtp_port = 0;
  uint16_t remote_rtcp_port = 0;  // a=rtcp, else RTP + 1; equal to RTP with rtcp-mux
  bool rtcp_mux = false;
  bool opus_fec = false;  // the peer decodes in-band FEC (useinbandfec=1)
  bool opus_dtx = false;  // the peer sends DTX (usedtx=1)
  // The id of the RFC 6464 audio level header extension the peer sends on
  // its packets (a=extmap, RFC 8285); 0 when not agreed.
  int audio_level_id = 0;
  // Encryption: SDES keys, or DTLS-SRTP to run on the media port; neither: plain.
  std::optional<SdesKeys> sdes;
  std::optional<DtlsParameters> dtls;
  bool encrypted() const { return sdes.has_value() || dtls.has_value(); }
};

// What both sides agreed on for a video stream (camera or content).
struct NegotiatedVideo {
  media::VideoCodec codec = media::VideoCodec::kVp8;
  int payload_type = 0;
  std::string fmtp;  // as answered (for H.264: its profile, level and packetization mode)
  // The RTCP feedback both sides take (a=rtcp-fb of the offer, for the
  // payload type or "*", that tutti supports).
  media::VideoFeedback feedback;
  uint32_t max_receive_bps = 0;                // the peer's b=TIAS, else b=AS; 0: unknown
  Direction direction = Direction::kSendRecv;  // OUR direction, as in our SDP
  std::string remote_address;
  uint16_t remote_rtp_port = 0;
  uint16_t remote_rtcp_port = 0;  // a=rtcp, else RTP + 1; equal to RTP with rtcp-mux
  bool rtcp_mux = false;
  bool slides = false;  // the content stream (a=content:slides)
  std::optional<SdesKeys> sdes;
  std::optional<DtlsParameters> dtls;
  bool encrypted() const { return sdes.has_value() || dtls.has_value(); }
};

// An offered stream the answer declines (port 0), and why, for the log: a
// caller whose video or chat line "does nothing" can be told why.
struct DeclinedStream {
  std::string media;  // the m= line's media: "video", "message", "audio"...
  std::string why;
};

struct AnswerResult {
  SessionDescription answer;
  NegotiatedAudio audio;
  // The camera (the first usable m=video without a=content, or with
  // a=content:main) and the content stream (the first with
  // a=content:slides); nullopt when not offered or declined.
  std::optional<NegotiatedVideo> video;
  std::optional<NegotiatedVideo> slides;
  // The first usable m=message TCP/MSRP line; nullopt when not offered or
  // declined. An offer with a chat stream and no audio is answered with
  // has_audio false (`audio` then says nothing).
  std::optional<NegotiatedChat> chat;
  bool has_audio = true;
  // In offer order; not the streams the offerer disabled itself (port 0).
  std::vector<DeclinedStream> declined;
};

// An initial offer, or one inside an established call: only the second
// may hold the call with c=0.0.0.0 (RFC 2543; RFC 3264 §8.4 keeps it legal).
enum class OfferKind { kInitial, kReOffer };

// FailedPrecondition when no audio stream can be taken (caller: 488; the
// message says why, e.g. the room's SRTP policy);
// InvalidArgument when the offer lacks what an answer needs (a connection
// address); PermissionDenied when its address is one tutti does not send to
// (multicast, broadcast, unspecified): media aimed at a group or a whole
// network on a stranger's word (issue 13).
absl::StatusOr<AnswerResult> AnswerOffer(const SessionDescription& offer, const LocalMedia& local,
                                         OfferKind kind = OfferKind::kInitial);

// The warn-code (RFC 3261 §20.43) of the Warning in a 488 given for one of
// AnswerOffer's errors: 330 "multicast not available", 301 for other
// refused addresses, 399 (miscellaneous: the text says why) for the rest.
int WarnCodeFor(const absl::Status& refusal);

// Our offer in a 2xx to an INVITE without SDP: audio, and a camera and a
// content stream where LocalMedia has a port for them.
SessionDescription MakeOffer(const LocalMedia& local);

// What the peer's answer to our offer agreed on.
struct AcceptedAnswer {
  NegotiatedAudio audio;
  // Nullopt when not offered, declined, or answered with nothing we offered
  // (the call keeps its audio).
  std::optional<NegotiatedVideo> video;
  std::optional<NegotiatedVideo> slides;
};

// Reads the peer's answer (in the ACK) to MakeOffer's offer. An error only
// for the audio stream: a video stream it declines, answers wrong or leaves
// out (a trailing line missing) is none.
absl::StatusOr<AcceptedAnswer> AcceptAnswer(const SessionDescription& our_offer,
                                            const SessionDescription& answer);

}  // namespace tutti::sdp
