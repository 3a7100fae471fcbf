// H.264 RTP payloads (RFC 6184 single NAL unit, STAP-A and FU-A; the
// interleaved mode's packets are never negotiated) and the parts of NAL
// units a forwarder reads: the NAL type, a slice's first_mb_in_slice, an
// SPS's picture size. InspectVideoPayload's H.264 half.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "mediaplane/video/video_payload.h"

namespace tutti::media {

struct PictureSize {
  uint16_t width = 0;
  uint16_t height = 0;
};

// The frame size an SPS describes (ITU-T H.264 7.3.2.1.1, cropping applied),
// from the NAL unit's bytes after its one-byte header (emulation prevention
// bytes still in). nullopt when truncated or out of range.
std::optional<PictureSize> ParseH264SpsSize(std::span<const uint8_t> sps_body);

std::optional<VideoPacketInfo> InspectH264Payload(std::span<const uint8_t> payload);

}  // namespace tutti::media
