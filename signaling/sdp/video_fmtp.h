// The fmtp side of video offer/answer: whether an offered video format fits
// one of ours, and the fmtp to answer it with.
//  H.264 (RFC 6184 §8.1, §8.2.2): profile-level-id and packetization-mode.
//    The profile must be ours; the level answered is the lower of the two;
//    the packetization mode must be the one ours names (absent: 1, the only
//    one that carries frames larger than a datagram; a room takes mode 0
//    only by naming it).
//  VP8 (RFC 7741 §6.1) and VP9 (RFC 9628 §6): max-fr and max-fs, the lower
//    of both sides where either gives one; VP9's profile-id must be equal.
// Pure functions over text, fuzzed with the SDP parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mediaplane/video/video_codec.h"

namespace tutti::sdp {

// "useinbandfec=1; usedtx=1" -> the value of one parameter ("" when absent).
std::string_view FmtpParameter(std::string_view fmtp, std::string_view name);

// H.264's profile-level-id: profile_idc, profile-iop (the constraint flags)
// and level_idc, three bytes in hex.
struct H264ProfileLevel {
  uint8_t profile_idc = 0x42;
  uint8_t profile_iop = 0x00;
  uint8_t level_idc = 0x0a;
  bool operator==(const H264ProfileLevel&) const = default;
};

// Nullopt when `text` is not 6 hex digits. Empty (no profile-level-id) is
// Baseline at level 1, 42000a (RFC 6184 §8.1).
std::optional<H264ProfileLevel> ParseH264ProfileLevel(std::string_view text);
std::string WriteH264ProfileLevel(const H264ProfileLevel& value);  // "42e01f"

// The profiles a profile-level-id can name (as WebRTC's table reads the
// constraint flags), kUnknown for the rest.
enum class H264Profile {
  kUnknown,
  kConstrainedBaseline,
  kBaseline,
  kMain,
  kHigh,
  kConstrainedHigh,
  kPredictiveHigh444,
};
H264Profile H264ProfileOf(const H264ProfileLevel& value);

// Whether streams of profiles `a` and `b` may be forwarded to each other.
// Equal profiles, and Baseline with Constrained Baseline: the constraint
// only forbids FMO, ASO and redundant slices, which no phone's or
// softphone's encoder uses, and Poly/Yealink phones offer Baseline (42801f)
// where softphones offer Constrained Baseline (42e01f).
bool H264ProfilesCompatible(H264Profile a, H264Profile b);

// The fmtp answered for an offered format of `codec` whose fmtp is
// `offered`, given ours (a VideoCodecChoice's fmtp, may be empty); nullopt
// when they do not fit.
std::optional<std::string> AnswerVideoFmtp(media::VideoCodec codec, std::string_view offered,
                                           std::string_view ours);

// The fmtp we offer for one of our choices (H.264 without a profile:
// Constrained Baseline level 3.1, packetization mode 1).
std::string OfferVideoFmtp(media::VideoCodec codec, std::string_view ours);

}  // namespace tutti::sdp
