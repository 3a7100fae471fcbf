// What the server asks of a tutti-load camera over RTCP: a key frame (PLI,
// RFC 4585 §6.3.1; FIR, RFC 5104 §4.3.1) or a bitrate ceiling (REMB,
// draft-alvestrand-rmcat-remb; TMMBR, RFC 5104 §4.2.1), read with tutti's
// own feedback parser (media::ParseRtcpFeedback) and picked for one camera.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace tutti::load {

struct CameraRequests {
  int plis = 0;
  int firs = 0;
  std::optional<uint64_t> remb_bps;   // the lowest REMB, when one names the camera
  std::optional<uint64_t> tmmbr_bps;  // the lowest TMMBR entry for it
  bool wants_keyframe() const { return plis + firs > 0; }
};

// The feedback addressed to the camera sending as `ssrc` in one RTCP
// compound (or RFC 5506 reduced-size) packet; everything else in it is
// skipped. nullopt: not a well-formed RTCP packet.
std::optional<CameraRequests> ReadCameraRequests(std::span<const uint8_t> rtcp, uint32_t ssrc);

}  // namespace tutti::load
