#include "mediaplane/rtp/rtp_packet.h"

#include <algorithm>
#include <cmath>

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

std::span<const uint8_t> FindHeaderExtension(const RtpView& rtp, int id) {
  const std::span<const uint8_t> block = rtp.extension;
  const bool one_byte = rtp.extension_profile == 0xBEDE;
  const bool two_byte = (rtp.extension_profile & 0xFFF0) == 0x1000;
  if ((!one_byte && !two_byte) || id <= 0) return {};
  size_t at = 0;
  while (at < block.size()) {
    const uint8_t first = block[at];
    if (first == 0) {  // padding between elements (§4.2, §4.3)
      ++at;
      continue;
    }
    size_t element_id = 0;
    size_t length = 0;
    if (one_byte) {
      element_id = first >> 4;
      // Id 15 ends the block (§4.2): what follows is not to be read.
      if (element_id == 15) return {};
      length = (first & 0x0f) + 1u;
      at += 1;
    } else {
      if (at + 1 >= block.size()) return {};
      element_id = first;
      length = block[at + 1];
      at += 2;
    }
    if (length > block.size() - at) return {};
    if (element_id == static_cast<size_t>(id)) return block.subspan(at, length);
    at += length;
  }
  return {};
}

std::optional<AudioLevel> FindAudioLevel(const RtpView& rtp, int id) {
  const std::span<const uint8_t> data = FindHeaderExtension(rtp, id);
  if (data.empty()) return std::nullopt;
  return AudioLevel{static_cast<uint8_t>(data[0] & 0x7f), (data[0] & 0x80) != 0};
}

void WriteRtpHeaderWithAudioLevel(const RtpHeaderFields& fields, int id, AudioLevel level,
                                  uint8_t* out) {
  WriteRtpHeader(fields, out);
  out[0] |= 0x10;  // X: an extension follows
  uint8_t* block = out + kRtpHeaderSize;
  StoreBe16(block, 0xBEDE);
  StoreBe16(block + 2, 1);                            // one 32-bit word of elements
  block[4] = static_cast<uint8_t>((id & 0x0f) << 4);  // length 1 is written as 0
  block[5] = static_cast<uint8_t>((level.voice ? 0x80 : 0) | (level.level & 0x7f));
  block[6] = 0;  // padding
  block[7] = 0;
}

uint8_t AudioLevelOf(std::span<const int16_t> pcm) {
  if (pcm.empty()) return 127;
  int64_t sum = 0;
  for (int16_t sample : pcm) sum += int32_t{sample} * sample;
  const double mean = static_cast<double>(sum) / static_cast<double>(pcm.size());
  if (mean < 1.0) return 127;
  const double dbov = 10.0 * std::log10(mean / (32768.0 * 32768.0));
  return static_cast<uint8_t>(std::clamp(std::lround(-dbov), 0L, 127L));
}

}  // namespace tutti::media
