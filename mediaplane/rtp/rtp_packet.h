// RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1),
// read and written in place: the view points into the packet buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

struct RtpView {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrc_count = 0;
  const uint8_t* csrcs = nullptr;  // csrc_count big-endian 32-bit words
  uint16_t extension_profile = 0;  // 0 when there is no extension
  std::span<const uint8_t> extension;
  std::span<const uint8_t> payload;  // padding removed
  uint8_t padding = 0;

  uint32_t Csrc(int index) const;
};

// nullopt for anything that is not a well-formed RTP packet: version other
// than 2, truncated header/CSRC/extension, padding longer than the payload.
std::optional<RtpView> ParseRtp(std::span<const uint8_t> packet);

// Quick demultiplex of RTP and RTCP on one port (RFC 5761 §4): RTCP packet
// types 192..223 occupy the second byte, which in RTP is marker+payload type.
bool LooksLikeRtcp(std::span<const uint8_t> packet);

struct RtpHeaderFields {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

constexpr size_t kRtpHeaderSize = 12;

// Writes the 12-byte fixed header (no CSRC, no extension) into out, which
// must hold kRtpHeaderSize bytes.
void WriteRtpHeader(const RtpHeaderFields& fields, uint8_t* out);

}  // namespace tutti::media
