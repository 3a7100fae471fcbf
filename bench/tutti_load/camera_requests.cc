#include "bench/tutti_load/camera_requests.h"

#include <algorithm>

#include "mediaplane/rtp/byte_order.h"

namespace tutti::load {
namespace {

// RTCP packet types (RFC 4585 §6.1) and their FMT values: PLI and FIR
// (RFC 5104 §4.3.1), application layer feedback (REMB), TMMBR (RFC 5104 §4.2.1).
enum PacketType : uint8_t { kRtpfb = 205, kPsfb = 206 };
enum Format : uint8_t { kFmtPli = 1, kFmtFir = 4, kFmtAfb = 15, kFmtTmmbr = 3 };

// exp:mantissa bitrates (REMB: 6-bit exponent, 18-bit mantissa; TMMBR:
// 6-bit exponent, 17-bit mantissa).
uint64_t Bitrate(uint32_t exponent, uint32_t mantissa) { return uint64_t{mantissa} << exponent; }

void Lowest(std::optional<uint64_t>& slot, uint64_t bps) {
  slot = slot ? std::min(*slot, bps) : bps;
}

// One feedback packet (common header already checked); `body` follows the
// sender SSRC: media SSRC, then the FCI.
void ReadFeedback(uint8_t type, uint8_t fmt, std::span<const uint8_t> body, uint32_t ssrc,
                  CameraRequests& requests) {
  if (body.size() < 4) return;
  const uint32_t media_ssrc = media::LoadBe32(body.data());
  const std::span<const uint8_t> fci = body.subspan(4);
  if (type == kPsfb && fmt == kFmtPli) {
    requests.plis += media_ssrc == ssrc ? 1 : 0;
  } else if (type == kPsfb && fmt == kFmtFir) {
    for (size_t at = 0; at + 8 <= fci.size(); at += 8) {
      requests.firs += media::LoadBe32(&fci[at]) == ssrc ? 1 : 0;
    }
  } else if (type == kPsfb && fmt == kFmtAfb) {
    if (fci.size() < 8 || fci[0] != 'R' || fci[1] != 'E' || fci[2] != 'M' || fci[3] != 'B') return;
    const size_t count = fci[4];
    const uint64_t bps = Bitrate(fci[5] >> 2, (fci[5] & 0x03u) << 16 | media::LoadBe16(&fci[6]));
    for (size_t i = 0; i < count && 8 + 4 * i + 4 <= fci.size(); ++i) {
      if (media::LoadBe32(&fci[8 + 4 * i]) == ssrc) Lowest(requests.remb_bps, bps);
    }
  } else if (type == kRtpfb && fmt == kFmtTmmbr) {
    for (size_t at = 0; at + 8 <= fci.size(); at += 8) {
      if (media::LoadBe32(&fci[at]) != ssrc) continue;
      const uint32_t word = media::LoadBe32(&fci[at + 4]);
      Lowest(requests.tmmbr_bps, Bitrate(word >> 26, (word >> 9) & 0x1FFFF));
    }
  }
}

}  // namespace

std::optional<CameraRequests> ReadCameraRequests(std::span<const uint8_t> rtcp, uint32_t ssrc) {
  CameraRequests requests;
  size_t at = 0;
  if (rtcp.size() < 4) return std::nullopt;
  while (at < rtcp.size()) {
    if (rtcp.size() - at < 4 || (rtcp[at] >> 6) != 2) return std::nullopt;
    const size_t length = (size_t{media::LoadBe16(&rtcp[at + 2])} + 1) * 4;
    if (length > rtcp.size() - at) return std::nullopt;
    const uint8_t type = rtcp[at + 1];
    if ((type == kRtpfb || type == kPsfb) && length >= 12) {
      // Past the common header and the sender SSRC; padding, if any, is
      // trailing and shorter than an FCI entry.
      ReadFeedback(type, rtcp[at] & 0x1F, rtcp.subspan(at + 8, length - 8), ssrc, requests);
    }
    at += length;
  }
  return requests;
}

}  // namespace tutti::load
