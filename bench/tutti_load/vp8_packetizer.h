// tutti-load's synthetic VP8 camera: well-formed VP8 RTP payloads (RFC
// 7741) of frames of a given size that carry no picture. A forwarder never
// decodes them; what it reads is all real: the payload descriptor with a
// 15-bit picture id and TL0PICIDX, the S bit at each frame's first packet,
// the VP8 payload header (the frame tag of RFC 6386 §9.1: key frame flag,
// show_frame, first partition size) and, on key frames, the 7 more bytes of
// the key frame header with this camera's width and height.
//
// Each camera has a size of its own, and every packet's VP8 data begins
// (after those headers) with a source tag of that size and a frame number,
// so a receiver tells the sources apart at any packet, not only at key
// frames: the first packet it gets of another source is a switch, and it
// can check that the packet begins a key frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::load {

// A whole RTP packet (12-byte header included) is at most this long.
constexpr size_t kVideoPacketBytes = 1200;
constexpr size_t kRtpHeaderBytes = 12;
// X, I (15-bit picture id: M=1), L (TL0PICIDX) and T (TID 0), as RFC 7741
// §4.2 asks: L=1 requires T=1.
constexpr size_t kVp8DescriptorBytes = 6;
constexpr size_t kVp8PayloadHeaderBytes = 3;    // the frame tag, at a frame's start
constexpr size_t kVp8KeyFrameHeaderBytes = 10;  // the tag, start code, width, height
constexpr size_t kSourceTagBytes = 8;           // 'T' 'L', width, height, frame number
// The most VP8 data one packet carries.
constexpr size_t kVp8MaxDataPerPacket = kVideoPacketBytes - kRtpHeaderBytes - kVp8DescriptorBytes;
// Smaller frames are sent this large: a key frame header and a tag.
constexpr size_t kVp8MinFrameBytes = kVp8KeyFrameHeaderBytes + kSourceTagBytes;

struct SourceTag {
  uint16_t width = 0;
  uint16_t height = 0;
  uint16_t frame = 0;  // the source's own frame count, mod 2^16
  bool operator==(const SourceTag&) const = default;
};

class Vp8Packetizer {
 public:
  Vp8Packetizer(uint16_t width, uint16_t height, uint16_t first_picture_id,
                uint8_t first_tl0picidx);

  // Starts the next frame: `frame_bytes` of VP8 data, headers included
  // (at least kVp8MinFrameBytes), split evenly over as few packets as hold
  // it. A frame not yet sent out is abandoned.
  void BeginFrame(bool keyframe, size_t frame_bytes);
  bool pending() const { return packets_left_ > 0; }
  // Writes the frame's next RTP payload (descriptor and data) to `out`,
  // which holds at least kVideoPacketBytes - kRtpHeaderBytes bytes;
  // returns its size, 0 when nothing is pending. *last: the frame's last
  // packet, the one with the RTP marker bit.
  size_t NextPayload(std::span<uint8_t> out, bool* last);

  uint16_t width() const { return width_; }
  uint16_t height() const { return height_; }
  uint16_t picture_id() const { return picture_id_; }  // of the frame being sent
  uint8_t tl0picidx() const { return tl0picidx_; }

 private:
  uint16_t width_;
  uint16_t height_;
  uint16_t picture_id_;  // 15 bits
  uint8_t tl0picidx_;
  uint16_t frame_ = 0;
  bool started_ = false;  // a frame was begun (the ids move on at the next)
  bool keyframe_ = false;
  size_t frame_bytes_ = 0;
  size_t packets_ = 0;
  size_t packets_left_ = 0;
  size_t offset_ = 0;  // of the frame's data sent so far
};

// What a receiver reads from one VP8 RTP payload (RFC 7741) of tutti-load's
// cameras. nullopt: not a VP8 payload with a descriptor it can read.
struct Vp8PacketView {
  bool frame_start = false;  // S=1 and partition index 0
  bool keyframe = false;     // frame_start, and the frame tag says key frame
  int32_t picture_id = -1;   // -1: none; 7 or 15 bits as sent
  bool picture_id_15bit = false;
  int32_t tl0picidx = -1;
  // The key frame header's size (a key frame's first packet); 0 otherwise.
  uint16_t width = 0;
  uint16_t height = 0;
  // tutti-load's source tag, when the data carries one.
  std::optional<SourceTag> tag;
};
std::optional<Vp8PacketView> ReadVp8Payload(std::span<const uint8_t> payload);

}  // namespace tutti::load
