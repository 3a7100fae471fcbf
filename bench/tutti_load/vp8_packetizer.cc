#include "bench/tutti_load/vp8_packetizer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "mediaplane/rtp/byte_order.h"

namespace tutti::load {
namespace {

// RFC 7741 §4.2: the first octet's X (extensions) and S (start of a
// partition); the extension octet's I (picture id), L (TL0PICIDX), T (TID)
// and K (KEYIDX); M, a 15-bit picture id.
enum Vp8Bits : uint8_t { kX = 0x80, kS = 0x10, kI = 0x80, kL = 0x40, kT = 0x20, kK = 0x10 };
constexpr uint8_t kM = 0x80;
constexpr std::array<uint8_t, 2> kTagMagic = {'T', 'L'};
// RFC 6386 §9.1: a key frame's start code.
constexpr uint8_t kStartCode[3] = {0x9d, 0x01, 0x2a};

// The frame tag (RFC 6386 §9.1, the VP8 payload header of RFC 7741 §4.3),
// little-endian: bit 0 inverse key frame flag, bits 1-3 version, bit 4
// show_frame, bits 5-23 the first partition's size.
void WriteFrameTag(bool keyframe, size_t first_partition_bytes, uint8_t* at) {
  const uint32_t size = static_cast<uint32_t>(std::min<size_t>(first_partition_bytes, 0x7FFFF));
  const uint32_t tag = (keyframe ? 0u : 1u) | (1u << 4) | (size << 5);
  at[0] = static_cast<uint8_t>(tag);
  at[1] = static_cast<uint8_t>(tag >> 8);
  at[2] = static_cast<uint8_t>(tag >> 16);
}

}  // namespace

Vp8Packetizer::Vp8Packetizer(uint16_t width, uint16_t height, uint16_t first_picture_id,
                             uint8_t first_tl0picidx)
    : width_(width),
      height_(height),
      picture_id_(first_picture_id & 0x7FFF),
      tl0picidx_(first_tl0picidx) {}

void Vp8Packetizer::BeginFrame(bool keyframe, size_t frame_bytes) {
  // Every frame is TID 0, so each one moves both ids on (RFC 7741 §4.2).
  if (started_) {
    picture_id_ = (picture_id_ + 1) & 0x7FFF;
    ++tl0picidx_;
    ++frame_;
  }
  started_ = true;
  keyframe_ = keyframe;
  frame_bytes_ = std::max(frame_bytes, kVp8MinFrameBytes);
  packets_ = (frame_bytes_ + kVp8MaxDataPerPacket - 1) / kVp8MaxDataPerPacket;
  packets_left_ = packets_;
  offset_ = 0;
}

size_t Vp8Packetizer::NextPayload(std::span<uint8_t> out, bool* last) {
  if (packets_left_ == 0 || out.size() < kVideoPacketBytes - kRtpHeaderBytes) return 0;
  // Even split: the first (frame_bytes % packets) packets carry one byte more.
  const size_t index = packets_ - packets_left_;
  const size_t data = frame_bytes_ / packets_ + (index < frame_bytes_ % packets_ ? 1 : 0);
  uint8_t* p = out.data();
  p[0] = kX | (index == 0 ? kS : 0);  // one partition: PID 0 throughout
  p[1] = kI | kL | kT;
  p[2] = static_cast<uint8_t>(kM | (picture_id_ >> 8));
  p[3] = static_cast<uint8_t>(picture_id_);
  p[4] = tl0picidx_;
  p[5] = 0;  // TID 0, Y 0, KEYIDX 0 (K unset)
  uint8_t* d = p + kVp8DescriptorBytes;
  size_t at = 0;
  if (index == 0) {
    const size_t header = keyframe_ ? kVp8KeyFrameHeaderBytes : kVp8PayloadHeaderBytes;
    WriteFrameTag(keyframe_, frame_bytes_ - header, d);
    if (keyframe_) {
      std::memcpy(d + 3, kStartCode, sizeof kStartCode);
      // 14 bits of size, 2 of scale (0), little-endian (RFC 6386 §9.1).
      d[6] = static_cast<uint8_t>(width_);
      d[7] = static_cast<uint8_t>((width_ >> 8) & 0x3F);
      d[8] = static_cast<uint8_t>(height_);
      d[9] = static_cast<uint8_t>((height_ >> 8) & 0x3F);
    }
    at = header;
  }
  d[at] = kTagMagic[0];
  d[at + 1] = kTagMagic[1];
  media::StoreBe16(d + at + 2, width_);
  media::StoreBe16(d + at + 4, height_);
  media::StoreBe16(d + at + 6, frame_);
  at += kSourceTagBytes;
  // The rest stands for coded data: any bytes do, nobody decodes them.
  std::memset(d + at, static_cast<int>(offset_ & 0xFF), data - at);
  offset_ += data;
  --packets_left_;
  *last = packets_left_ == 0;
  return kVp8DescriptorBytes + data;
}

std::optional<Vp8PacketView> ReadVp8Payload(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8PacketView view;
  size_t at = 1;
  const uint8_t first = payload[0];
  if (first & kX) {
    if (payload.size() < 2) return std::nullopt;
    const uint8_t extensions = payload[1];
    at = 2;
    if (extensions & kI) {
      if (payload.size() < at + 1) return std::nullopt;
      view.picture_id_15bit = (payload[at] & kM) != 0;
      if (view.picture_id_15bit) {
        if (payload.size() < at + 2) return std::nullopt;
        view.picture_id = (payload[at] & 0x7F) << 8 | payload[at + 1];
        at += 2;
      } else {
        view.picture_id = payload[at] & 0x7F;
        at += 1;
      }
    }
    if (extensions & kL) {
      if (payload.size() < at + 1) return std::nullopt;
      view.tl0picidx = payload[at++];
    }
    if (extensions & (kT | kK)) ++at;
  }
  if (payload.size() <= at) return std::nullopt;  // a descriptor with no data
  const std::span<const uint8_t> data = payload.subspan(at);
  view.frame_start = (first & kS) != 0 && (first & 0x07) == 0;
  size_t tag_at = 0;
  if (view.frame_start) {
    if (data.size() < kVp8PayloadHeaderBytes) return std::nullopt;
    view.keyframe = (data[0] & 0x01) == 0;
    tag_at = kVp8PayloadHeaderBytes;
    if (view.keyframe) {
      if (data.size() < kVp8KeyFrameHeaderBytes ||
          std::memcmp(data.data() + 3, kStartCode, sizeof kStartCode) != 0) {
        return std::nullopt;  // a key frame without its header decodes to nothing
      }
      view.width = static_cast<uint16_t>((data[7] & 0x3F) << 8 | data[6]);
      view.height = static_cast<uint16_t>((data[9] & 0x3F) << 8 | data[8]);
      tag_at = kVp8KeyFrameHeaderBytes;
    }
  }
  if (data.size() >= tag_at + kSourceTagBytes && data[tag_at] == kTagMagic[0] &&
      data[tag_at + 1] == kTagMagic[1]) {
    view.tag = SourceTag{.width = media::LoadBe16(&data[tag_at + 2]),
                         .height = media::LoadBe16(&data[tag_at + 4]),
                         .frame = media::LoadBe16(&data[tag_at + 6])};
  }
  return view;
}

}  // namespace tutti::load
