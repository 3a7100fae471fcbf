#include "mediaplane/video/h264_nal.h"

#include <algorithm>
#include <iterator>

#include "mediaplane/video/bit_reader.h"

namespace tutti::media {
namespace {

// NAL unit types (ITU-T H.264 Table 7-1) and RFC 6184's packet types.
constexpr uint8_t kNalSlice = 1;
constexpr uint8_t kNalSlicePartitionA = 2;
constexpr uint8_t kNalIdrSlice = 5;
constexpr uint8_t kNalSei = 6;
constexpr uint8_t kNalSps = 7;
constexpr uint8_t kNalPps = 8;
constexpr uint8_t kNalAud = 9;
constexpr uint8_t kNalLastSingle = 23;
constexpr uint8_t kStapA = 24;
constexpr uint8_t kFuA = 28;

constexpr uint8_t kForbiddenBit = 0x80;

// Profiles whose SPS carries chroma format, bit depths and scaling lists
// (7.3.2.1.1's profile_idc list).
bool HasChromaFormat(uint32_t profile_idc) {
  constexpr uint32_t kProfiles[] = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135};
  return std::find(std::begin(kProfiles), std::end(kProfiles), profile_idc) != std::end(kProfiles);
}

// scaling_list() of 7.3.2.1.1.1, read only to get past it.
bool SkipScalingList(BitReader& bits, int size) {
  int64_t last_scale = 8;
  int64_t next_scale = 8;
  for (int j = 0; j < size; ++j) {
    if (next_scale != 0) {
      std::optional<int64_t> delta = bits.ReadSe();
      if (!delta || *delta < -128 || *delta > 127) return false;
      next_scale = (last_scale + *delta + 256) % 256;
    }
    if (next_scale != 0) last_scale = next_scale;
  }
  return true;
}

// Chroma format, bit depths and scaling matrices of the high profiles;
// sets chroma_format_idc and separate_colour_plane.
bool ReadChromaFormat(BitReader& bits, uint32_t& chroma_format_idc, bool& separate_colour_plane) {
  std::optional<uint32_t> format = bits.ReadUe();
  if (!format || *format > 3) return false;
  chroma_format_idc = *format;
  if (chroma_format_idc == 3) {
    std::optional<bool> separate = bits.ReadFlag();
    if (!separate) return false;
    separate_colour_plane = *separate;
  }
  if (!bits.ReadUe() || !bits.ReadUe() || !bits.ReadFlag()) return false;  // depths, bypass
  std::optional<bool> matrices = bits.ReadFlag();
  if (!matrices) return false;
  if (!*matrices) return true;
  const int lists = chroma_format_idc != 3 ? 8 : 12;
  for (int i = 0; i < lists; ++i) {
    std::optional<bool> present = bits.ReadFlag();
    if (!present) return false;
    if (*present && !SkipScalingList(bits, i < 6 ? 16 : 64)) return false;
  }
  return true;
}

// pic_order_cnt_type and what follows it, read only to get past it.
bool SkipPictureOrderCount(BitReader& bits) {
  std::optional<uint32_t> type = bits.ReadUe();
  if (!type || *type > 2) return false;
  if (*type == 0) return bits.ReadUe().has_value();  // log2_max_pic_order_cnt_lsb_minus4
  if (*type == 1) {
    if (!bits.ReadFlag() || !bits.ReadSe() || !bits.ReadSe()) return false;
    std::optional<uint32_t> cycle = bits.ReadUe();
    if (!cycle || *cycle > 255) return false;
    for (uint32_t i = 0; i < *cycle; ++i) {
      if (!bits.ReadSe()) return false;
    }
  }
  return true;
}

// first_mb_in_slice == 0: the slice is its picture's first (7.3.3).
bool FirstSliceOfPicture(std::span<const uint8_t> slice_body) {
  BitReader bits(slice_body, BitReader::Emulation::kRemoved);
  std::optional<uint32_t> first_mb = bits.ReadUe();
  return first_mb && *first_mb == 0;
}

// What one NAL unit (its header byte, then the rest of it as far as this
// packet holds it) adds to the packet's info. `starts_packet`: it is the
// packet's first NAL unit, so it decides frame_start.
void ReadNalUnit(uint8_t header, std::span<const uint8_t> body, bool starts_packet,
                 VideoPacketInfo& info, bool& holds_key) {
  const uint8_t type = header & 0x1f;
  bool begins_picture = false;
  switch (type) {
    case kNalSlice:
    case kNalSlicePartitionA:
      begins_picture = FirstSliceOfPicture(body);
      break;
    case kNalIdrSlice:
      begins_picture = FirstSliceOfPicture(body);
      holds_key = holds_key || begins_picture;
      break;
    case kNalSps:
      if (std::optional<PictureSize> size = ParseH264SpsSize(body)) {
        info.width = size->width;
        info.height = size->height;
      }
      begins_picture = true;
      holds_key = true;
      break;
    case kNalPps:
      begins_picture = true;
      holds_key = true;
      break;
    case kNalSei:
    case kNalAud:
      begins_picture = true;
      break;
    default:
      break;
  }
  if (starts_packet) info.frame_start = begins_picture;
}

std::optional<VideoPacketInfo> InspectStapA(std::span<const uint8_t> payload) {
  VideoPacketInfo info;
  bool holds_key = false;
  size_t offset = 1;
  bool first = true;
  while (offset < payload.size()) {
    if (payload.size() - offset < 2) return std::nullopt;
    const size_t length = (size_t{payload[offset]} << 8) | payload[offset + 1];
    offset += 2;
    if (length == 0 || length > payload.size() - offset) return std::nullopt;
    const uint8_t header = payload[offset];
    const uint8_t type = header & 0x1f;
    if ((header & kForbiddenBit) || type == 0 || type > kNalLastSingle) return std::nullopt;
    ReadNalUnit(header, payload.subspan(offset + 1, length - 1), first, info, holds_key);
    first = false;
    offset += length;
  }
  if (first) return std::nullopt;  // no NAL unit at all
  info.keyframe = info.frame_start && holds_key;
  return info;
}

std::optional<VideoPacketInfo> InspectFuA(std::span<const uint8_t> payload) {
  if (payload.size() < 2) return std::nullopt;
  const uint8_t fu_header = payload[1];
  const uint8_t type = fu_header & 0x1f;
  if (type == 0 || type > kNalLastSingle) return std::nullopt;
  VideoPacketInfo info;
  if ((fu_header & 0x80) == 0) return info;  // a middle or end fragment
  // The fragmented NAL unit's header: F and NRI from the indicator, the type
  // from the FU header (RFC 6184 5.8).
  const uint8_t header = static_cast<uint8_t>((payload[0] & 0xe0) | type);
  bool holds_key = false;
  ReadNalUnit(header, payload.subspan(2), true, info, holds_key);
  info.keyframe = info.frame_start && holds_key;
  return info;
}

}  // namespace

std::optional<PictureSize> ParseH264SpsSize(std::span<const uint8_t> sps_body) {
  BitReader bits(sps_body, BitReader::Emulation::kRemoved);
  std::optional<uint32_t> profile_idc = bits.ReadBits(8);
  if (!profile_idc || !bits.ReadBits(16)) return std::nullopt;  // constraints, level_idc
  std::optional<uint32_t> sps_id = bits.ReadUe();
  if (!sps_id || *sps_id > 31) return std::nullopt;
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  if (HasChromaFormat(*profile_idc) &&
      !ReadChromaFormat(bits, chroma_format_idc, separate_colour_plane)) {
    return std::nullopt;
  }
  if (!bits.ReadUe() || !SkipPictureOrderCount(bits)) return std::nullopt;  // log2_max_frame_num
  if (!bits.ReadUe() || !bits.ReadFlag()) return std::nullopt;  // max_num_ref_frames, gaps
  std::optional<uint32_t> width_mbs = bits.ReadUe();
  std::optional<uint32_t> height_units = bits.ReadUe();
  std::optional<bool> frame_mbs_only = bits.ReadFlag();
  if (!width_mbs || !height_units || !frame_mbs_only) return std::nullopt;
  if (!*frame_mbs_only && !bits.ReadFlag()) return std::nullopt;  // mb_adaptive_frame_field
  if (!bits.ReadFlag()) return std::nullopt;                      // direct_8x8_inference_flag
  std::optional<bool> cropping = bits.ReadFlag();
  if (!cropping) return std::nullopt;
  uint32_t crop[4] = {0, 0, 0, 0};  // left, right, top, bottom
  if (*cropping) {
    for (uint32_t& edge : crop) {
      std::optional<uint32_t> value = bits.ReadUe();
      if (!value) return std::nullopt;
      edge = *value;
    }
  }
  // 7.4.2.1.1: crop units follow the chroma subsampling and field coding.
  const uint64_t field_factor = *frame_mbs_only ? 1 : 2;
  const uint32_t chroma_array_type = separate_colour_plane ? 0 : chroma_format_idc;
  const uint64_t crop_x = (chroma_array_type == 1 || chroma_array_type == 2) ? 2 : 1;
  const uint64_t crop_y = (chroma_array_type == 1 ? 2 : 1) * field_factor;
  const uint64_t full_width = (uint64_t{*width_mbs} + 1) * 16;
  const uint64_t full_height = (uint64_t{*height_units} + 1) * 16 * field_factor;
  const uint64_t cut_x = crop_x * (uint64_t{crop[0]} + crop[1]);
  const uint64_t cut_y = crop_y * (uint64_t{crop[2]} + crop[3]);
  if (cut_x >= full_width || cut_y >= full_height) return std::nullopt;
  const uint64_t width = full_width - cut_x;
  const uint64_t height = full_height - cut_y;
  if (width > UINT16_MAX || height > UINT16_MAX) return std::nullopt;
  return PictureSize{static_cast<uint16_t>(width), static_cast<uint16_t>(height)};
}

std::optional<VideoPacketInfo> InspectH264Payload(std::span<const uint8_t> payload) {
  if (payload.empty() || (payload[0] & kForbiddenBit)) return std::nullopt;
  const uint8_t type = payload[0] & 0x1f;
  if (type == kStapA) return InspectStapA(payload);
  if (type == kFuA) return InspectFuA(payload);
  if (type == 0 || type > kNalLastSingle) return std::nullopt;
  VideoPacketInfo info;
  bool holds_key = false;
  ReadNalUnit(payload[0], payload.subspan(1), true, info, holds_key);
  info.keyframe = info.frame_start && holds_key;
  return info;
}

}  // namespace tutti::media
