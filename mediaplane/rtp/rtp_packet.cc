#include "mediaplane/rtp/rtp_packet.h"

#include "mediaplane/rtp/byte_order.h"

namespace tutti::media {

uint32_t RtpView::Csrc(int index) const { return LoadBe32(csrcs + 4 * index); }

std::optional<RtpView> ParseRtp(std::span<const uint8_t> packet) {
  if (packet.size() < kRtpHeaderSize) return std::nullopt;
  const uint8_t first = packet[0];
  if ((first >> 6) != 2) return std::nullopt;
  RtpView view;
  const bool has_padding = (first & 0x20) != 0;
  const bool has_extension = (first & 0x10) != 0;
  view.csrc_count = first & 0x0f;
  view.marker = (packet[1] & 0x80) != 0;
  view.payload_type = packet[1] & 0x7f;
  view.sequence = LoadBe16(&packet[2]);
  view.timestamp = LoadBe32(&packet[4]);
  view.ssrc = LoadBe32(&packet[8]);
  size_t offset = kRtpHeaderSize + 4u * view.csrc_count;
  if (packet.size() < offset) return std::nullopt;
  view.csrcs = packet.data() + kRtpHeaderSize;
  if (has_extension) {
    if (packet.size() < offset + 4) return std::nullopt;
    view.extension_profile = LoadBe16(&packet[offset]);
    const size_t words = LoadBe16(&packet[offset + 2]);
    offset += 4;
    if (packet.size() < offset + 4 * words) return std::nullopt;
    view.extension = packet.subspan(offset, 4 * words);
    offset += 4 * words;
  }
  size_t end = packet.size();
  if (has_padding) {
    view.padding = packet.back();
    if (view.padding == 0 || end - offset < view.padding) return std::nullopt;
    end -= view.padding;
  }
  view.payload = packet.subspan(offset, end - offset);
  return view;
}

bool LooksLikeRtcp(std::span<const uint8_t> packet) {
  return packet.size() >= 2 && (packet[0] >> 6) == 2 && packet[1] >= 192 && packet[1] <= 223;
}

void WriteRtpHeader(const RtpHeaderFields& fields, uint8_t* out) {
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((fields.marker ? 0x80 : 0) | (fields.payload_type & 0x7f));
  StoreBe16(out + 2, fields.sequence);
  StoreBe32(out + 4, fields.timestamp);
  StoreBe32(out + 8, fields.ssrc);
}

}  // namespace tutti::media
