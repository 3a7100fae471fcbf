#include "mediaplane/video/video_payload.h"

#include "mediaplane/video/bit_reader.h"
#include "mediaplane/video/h264_nal.h"

namespace tutti::media {
namespace {

// Where a VP8 or VP9 payload descriptor keeps what a forwarder rewrites.
// Offset 0 is the descriptor's first byte, never one of these: 0 = absent.
struct DescriptorFields {
  size_t length = 0;  // the frame data starts here
  size_t picture_id_at = 0;
  bool picture_id_15bit = false;
  size_t tl0picidx_at = 0;
};

// The picture id (M bit: 7 or 15 bits) at `at`; false when truncated.
bool ReadPictureId(std::span<const uint8_t> payload, size_t& at, DescriptorFields& fields) {
  if (at >= payload.size()) return false;
  fields.picture_id_at = at;
  fields.picture_id_15bit = (payload[at] & 0x80) != 0;
  at += fields.picture_id_15bit ? 2 : 1;
  return at <= payload.size();
}

void CopyFields(std::span<const uint8_t> payload, const DescriptorFields& fields,
                VideoPacketInfo& info) {
  if (fields.picture_id_at != 0) {
    const size_t at = fields.picture_id_at;
    info.picture_id_15bit = fields.picture_id_15bit;
    info.picture_id = fields.picture_id_15bit ? ((payload[at] & 0x7f) << 8) | payload[at + 1]
                                              : payload[at] & 0x7f;
  }
  if (fields.tl0picidx_at != 0) info.tl0picidx = payload[fields.tl0picidx_at];
}

// RFC 7741 4.2: X|R|N|S|R|PID, then with X: I|L|T|K|RSV, picture id,
// TL0PICIDX, TID|Y|KEYIDX.
struct Vp8Descriptor : DescriptorFields {
  bool starts_partition = false;
  uint8_t partition_index = 0;
};

std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor descriptor;
  descriptor.starts_partition = (payload[0] & 0x10) != 0;
  descriptor.partition_index = payload[0] & 0x07;
  size_t at = 1;
  if (payload[0] & 0x80) {
    if (payload.size() < 2) return std::nullopt;
    const uint8_t extension = payload[1];
    at = 2;
    if ((extension & 0x80) && !ReadPictureId(payload, at, descriptor)) return std::nullopt;
    if (extension & 0x40) {
      if (at >= payload.size()) return std::nullopt;
      descriptor.tl0picidx_at = at++;
    }
    if (extension & 0x30) ++at;  // TID|Y|KEYIDX
  }
  // VP8 data follows: a picture's first packet starts with the 3-byte
  // payload header.
  const size_t data_needed = descriptor.starts_partition && descriptor.partition_index == 0 ? 3 : 1;
  if (at >= payload.size() || payload.size() - at < data_needed) return std::nullopt;
  descriptor.length = at;
  return descriptor;
}

// RFC 7741 4.3 and RFC 6386 9.1: a 3-byte payload header (P bit 0 on a key
// frame), then on a key frame the start code and 14-bit width and height.
std::optional<VideoPacketInfo> InspectVp8(std::span<const uint8_t> payload) {
  std::optional<Vp8Descriptor> descriptor = ParseVp8Descriptor(payload);
  if (!descriptor) return std::nullopt;
  VideoPacketInfo info;
  CopyFields(payload, *descriptor, info);
  if (!descriptor->starts_partition || descriptor->partition_index != 0) return info;
  const std::span<const uint8_t> frame = payload.subspan(descriptor->length);
  info.frame_start = true;
  if ((frame[0] & 0x01) != 0 || frame.size() < 10) return info;  // inter frame, or no header
  if (frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a) return info;
  const uint16_t width = ((frame[7] << 8) | frame[6]) & 0x3fff;  // top 2 bits: scaling
  const uint16_t height = ((frame[9] << 8) | frame[8]) & 0x3fff;
  if (width == 0 || height == 0) return info;
  info.keyframe = true;
  info.width = width;
  info.height = height;
  return info;
}

// RFC 9628 4.2: I|P|L|F|B|E|V|Z, picture id, layer indices (TL0PICIDX in
// non-flexible mode), reference indices (flexible mode), scalability
// structure.
struct Vp9Descriptor : DescriptorFields {
  bool inter_predicted = false;
  bool begins_layer_frame = false;
  uint8_t spatial_id = 0;
  PictureSize size;  // of the highest spatial layer, from the SS
};

// The scalability structure (RFC 9628 4.2.1) from `at`.
bool ReadScalabilityStructure(std::span<const uint8_t> payload, size_t& at,
                              Vp9Descriptor& descriptor) {
  if (at >= payload.size()) return false;
  const uint8_t header = payload[at++];
  const size_t spatial_layers = (header >> 5) + 1;
  if (header & 0x10) {  // Y: a width and height per layer
    if (payload.size() - at < 4 * spatial_layers) return false;
    const size_t last = at + 4 * (spatial_layers - 1);
    descriptor.size.width = static_cast<uint16_t>((payload[last] << 8) | payload[last + 1]);
    descriptor.size.height = static_cast<uint16_t>((payload[last + 2] << 8) | payload[last + 3]);
    at += 4 * spatial_layers;
  }
  if (header & 0x08) {  // G: the picture group
    if (at >= payload.size()) return false;
    const size_t pictures = payload[at++];
    for (size_t i = 0; i < pictures; ++i) {
      if (at >= payload.size()) return false;
      at += 1 + ((payload[at] >> 2) & 0x03);  // TID|U|R|-|-, then R P_DIFFs
      if (at > payload.size()) return false;
    }
  }
  return true;
}

std::optional<Vp9Descriptor> ParseVp9Descriptor(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  const uint8_t first = payload[0];
  const bool flexible = (first & 0x10) != 0;
  Vp9Descriptor descriptor;
  descriptor.inter_predicted = (first & 0x40) != 0;
  descriptor.begins_layer_frame = (first & 0x08) != 0;
  size_t at = 1;
  if ((first & 0x80) && !ReadPictureId(payload, at, descriptor)) return std::nullopt;
  if (first & 0x20) {  // L: TID|U|SID|D, and TL0PICIDX in non-flexible mode
    if (at >= payload.size()) return std::nullopt;
    descriptor.spatial_id = (payload[at++] >> 1) & 0x07;
    if (!flexible) {
      if (at >= payload.size()) return std::nullopt;
      descriptor.tl0picidx_at = at++;
    }
  }
  if (flexible && descriptor.inter_predicted) {  // up to 3 P_DIFF|N
    for (int i = 0;; ++i) {
      if (i == 3 || at >= payload.size()) return std::nullopt;
      if ((payload[at++] & 0x01) == 0) break;
    }
  }
  if ((first & 0x02) && !ReadScalabilityStructure(payload, at, descriptor)) return std::nullopt;
  if (at >= payload.size()) return std::nullopt;  // no frame data
  descriptor.length = at;
  return descriptor;
}

// A KEY_FRAME's uncompressed header (VP9 bitstream spec 6.2) up to its frame
// size; nullopt for any other frame (or a truncated header). The size is 0 x
// 0 when it does not fit 16 bits.
std::optional<PictureSize> Vp9KeyFrameSize(std::span<const uint8_t> frame) {
  BitReader bits(frame);
  std::optional<uint32_t> marker = bits.ReadBits(2);
  std::optional<uint32_t> profile_bits = bits.ReadBits(2);  // low bit, high bit
  if (!marker || *marker != 2 || !profile_bits) return std::nullopt;
  const uint32_t profile = ((*profile_bits & 1) << 1) | (*profile_bits >> 1);
  if (profile == 3 && bits.ReadBits(1) != 0u) return std::nullopt;  // reserved_zero
  std::optional<uint32_t> existing_and_type = bits.ReadBits(2);     // show_existing, frame_type
  if (existing_and_type != 0u || !bits.ReadBits(2)) return std::nullopt;  // 0, KEY_FRAME
  if (bits.ReadBits(24) != 0x498342u) return std::nullopt;                // frame_sync_code
  if (profile >= 2 && !bits.ReadBits(1)) return std::nullopt;             // ten_or_twelve_bit
  std::optional<uint32_t> color_space = bits.ReadBits(3);
  if (!color_space) return std::nullopt;
  const bool subsampling_coded = profile == 1 || profile == 3;
  const int color_bits =
      *color_space != 7 ? (subsampling_coded ? 4 : 1) : (subsampling_coded ? 1 : 0);
  if (!bits.ReadBits(color_bits)) return std::nullopt;
  std::optional<uint32_t> width_minus_1 = bits.ReadBits(16);
  std::optional<uint32_t> height_minus_1 = bits.ReadBits(16);
  if (!width_minus_1 || !height_minus_1) return std::nullopt;
  if (*width_minus_1 == UINT16_MAX || *height_minus_1 == UINT16_MAX) return PictureSize{};
  return PictureSize{static_cast<uint16_t>(*width_minus_1 + 1),
                     static_cast<uint16_t>(*height_minus_1 + 1)};
}

std::optional<VideoPacketInfo> InspectVp9(std::span<const uint8_t> payload) {
  std::optional<Vp9Descriptor> descriptor = ParseVp9Descriptor(payload);
  if (!descriptor) return std::nullopt;
  VideoPacketInfo info;
  CopyFields(payload, *descriptor, info);
  info.width = descriptor->size.width;
  info.height = descriptor->size.height;
  info.frame_start = descriptor->begins_layer_frame && descriptor->spatial_id == 0;
  if (!info.frame_start || descriptor->inter_predicted) return info;
  std::optional<PictureSize> key_size = Vp9KeyFrameSize(payload.subspan(descriptor->length));
  if (!key_size) return info;
  info.keyframe = true;
  if (info.width == 0 || info.height == 0) {
    info.width = key_size->width;
    info.height = key_size->height;
  }
  return info;
}

std::optional<DescriptorFields> RewritableFields(VideoCodec codec,
                                                 std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8:
      if (std::optional<Vp8Descriptor> vp8 = ParseVp8Descriptor(payload)) return *vp8;
      return std::nullopt;
    case VideoCodec::kVp9:
      if (std::optional<Vp9Descriptor> vp9 = ParseVp9Descriptor(payload)) return *vp9;
      return std::nullopt;
    case VideoCodec::kH264:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<VideoPacketInfo> InspectVideoPayload(VideoCodec codec,
                                                   std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8:
      return InspectVp8(payload);
    case VideoCodec::kVp9:
      return InspectVp9(payload);
    case VideoCodec::kH264:
      return InspectH264Payload(payload);
  }
  return std::nullopt;
}

bool RewriteVideoPictureIds(VideoCodec codec, std::span<uint8_t> payload, uint16_t picture_id,
                            uint8_t tl0picidx) {
  std::optional<DescriptorFields> fields = RewritableFields(codec, payload);
  if (!fields) return false;
  if (fields->tl0picidx_at != 0) payload[fields->tl0picidx_at] = tl0picidx;
  if (fields->picture_id_at == 0) return false;
  uint8_t* id = payload.data() + fields->picture_id_at;
  if (fields->picture_id_15bit) {
    id[0] = static_cast<uint8_t>(0x80 | ((picture_id >> 8) & 0x7f));
    id[1] = static_cast<uint8_t>(picture_id & 0xff);
  } else {
    id[0] = static_cast<uint8_t>(picture_id & 0x7f);
  }
  return true;
}

}  // namespace tutti::media
