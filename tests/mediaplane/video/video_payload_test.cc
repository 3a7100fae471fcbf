#include "mediaplane/video/video_payload.h"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/video/bit_reader.h"

namespace tutti::media {
namespace {

using Bytes = std::vector<uint8_t>;

// One stream's first two pictures as baresip sent them (data/README.md).
std::vector<Bytes> CapturedPayloads(const std::string& name) {
  std::ifstream file(std::string(TUTTI_VIDEO_TEST_DATA) + "/" + name + ".rtp", std::ios::binary);
  const Bytes data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<Bytes> payloads;
  for (size_t at = 0; at + 2 <= data.size();) {
    const size_t length = (size_t{data[at]} << 8) | data[at + 1];
    const std::span<const uint8_t> packet(data.data() + at + 2, length);
    at += 2 + length;
    std::optional<RtpView> rtp = ParseRtp(packet);
    if (!rtp) break;
    payloads.emplace_back(rtp->payload.begin(), rtp->payload.end());
  }
  return payloads;
}

VideoPacketInfo Inspect(VideoCodec codec, const Bytes& payload) {
  std::optional<VideoPacketInfo> info = InspectVideoPayload(codec, payload);
  EXPECT_TRUE(info.has_value());
  return info.value_or(VideoPacketInfo{});
}

bool Valid(VideoCodec codec, const Bytes& payload) {
  return InspectVideoPayload(codec, payload).has_value();
}

// Writes bit fields MSB first, as the H.264 and VP9 syntax tables read them.
class BitWriter {
 public:
  BitWriter& Bits(uint32_t value, int count) {
    for (int i = count - 1; i >= 0; --i) {
      if (bit_ % 8 == 0) bytes_.push_back(0);
      bytes_.back() |= static_cast<uint8_t>(((value >> i) & 1u) << (7 - bit_ % 8));
      ++bit_;
    }
    return *this;
  }
  BitWriter& Ue(uint32_t value) {
    const uint64_t code = uint64_t{value} + 1;
    int length = 0;
    while ((code >> length) > 1) ++length;
    Bits(0, length);
    return Bits(static_cast<uint32_t>(code), length + 1);
  }
  BitWriter& Se(int32_t value) { return Ue(value > 0 ? 2 * value - 1 : -2 * value); }
  // rbsp_trailing_bits, then the bytes with emulation prevention added.
  Bytes Nal() {
    Bits(1, 1);
    while (bit_ % 8 != 0) Bits(0, 1);
    Bytes escaped;
    int zeros = 0;
    for (uint8_t byte : bytes_) {
      if (zeros >= 2 && byte <= 3) {
        escaped.push_back(3);
        zeros = 0;
      }
      escaped.push_back(byte);
      zeros = byte == 0 ? zeros + 1 : 0;
    }
    return escaped;
  }
  Bytes Raw() const { return bytes_; }

 private:
  Bytes bytes_;
  int bit_ = 0;
};

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// --- Real packets from baresip -------------------------------------------

// Checks each packet of a capture against `kinds`, one letter a packet: K a
// key frame, S a picture start, - neither. Only the first packet (a key
// frame's, or the SPS) tells the size.
void ExpectStream(const std::string& name, VideoCodec codec, std::string_view kinds, uint16_t width,
                  uint16_t height) {
  const std::vector<Bytes> packets = CapturedPayloads(name);
  ASSERT_EQ(packets.size(), kinds.size()) << name;
  for (size_t i = 0; i < packets.size(); ++i) {
    const VideoPacketInfo info = Inspect(codec, packets[i]);
    EXPECT_EQ(info.frame_start, kinds[i] != '-') << name << " packet " << i;
    EXPECT_EQ(info.keyframe, kinds[i] == 'K') << name << " packet " << i;
    EXPECT_EQ(info.width, i == 0 ? width : 0) << name << " packet " << i;
    EXPECT_EQ(info.height, i == 0 ? height : 0) << name << " packet " << i;
  }
}

// VP8 from baresip 1.0 (libvpx): each frame is partition 0 (S=1, PID=0),
// then partition 1 (S=1, PID=1); at 1280x720 the key frame's partition 0
// takes two packets (S=0 on the second).
TEST(VideoPayloadTest, RealVp8KeyAndInterFrames) {
  ExpectStream("vp8_640x360", VideoCodec::kVp8, "K-S-", 640, 360);
  ExpectStream("vp8_1280x720", VideoCodec::kVp8, "K--S-", 1280, 720);
}

// baresip's VP9 descriptor says P=0 (not inter-predicted) on every frame:
// only the uncompressed header's frame_type tells its key frames apart.
TEST(VideoPayloadTest, RealVp9KeyFramesAreToldByTheirHeaderNotTheDescriptorAlone) {
  const std::vector<Bytes> small = CapturedPayloads("vp9_640x360");
  ASSERT_EQ(small.size(), 3u);
  ASSERT_EQ(small[2][0] & 0x40, 0) << "the capture's inter frame is sent with P=0";
  ExpectStream("vp9_640x360", VideoCodec::kVp9, "K-S", 640, 360);
  ExpectStream("vp9_1280x720", VideoCodec::kVp9, "K---S", 1280, 720);
}

// H.264: SPS, PPS, SEI, the IDR picture, a P slice. Packetization-mode 0:
// single NAL units; 360 is not a multiple of 16 (the SPS crops 8 lines); at
// 1280x720 x264 cuts the IDR picture into four slices, of which only the
// first (first_mb_in_slice 0) starts it. Mode 1: the IDR slice in three
// FU-A fragments.
TEST(VideoPayloadTest, RealH264AccessUnits) {
  ExpectStream("h264_640x360_mode0", VideoCodec::kH264, "KKSKS", 640, 360);
  ExpectStream("h264_1280x720_mode0", VideoCodec::kH264, "KKSK---S", 1280, 720);
  ExpectStream("h264_1280x720_mode1", VideoCodec::kH264, "KKSK--S", 1280, 720);
}

// baresip sends a 15-bit picture id and no TL0PICIDX; it counts pictures.
TEST(VideoPayloadTest, RealPictureIds) {
  for (const auto& [name, codec] :
       {std::pair{"vp8_640x360", VideoCodec::kVp8}, std::pair{"vp9_640x360", VideoCodec::kVp9}}) {
    const std::vector<Bytes> packets = CapturedPayloads(name);
    ASSERT_GE(packets.size(), 3u) << name;
    const VideoPacketInfo key = Inspect(codec, packets[0]);
    EXPECT_TRUE(key.picture_id_15bit) << name;
    const size_t at = codec == VideoCodec::kVp8 ? 2 : 1;  // after VP8's extension byte
    EXPECT_EQ(key.picture_id, (packets[0][at] & 0x7f) << 8 | packets[0][at + 1]) << name;
    EXPECT_EQ(key.tl0picidx, -1) << name;
    EXPECT_EQ(Inspect(codec, packets[1]).picture_id, key.picture_id) << name;
    EXPECT_EQ(Inspect(codec, packets[2]).picture_id, (key.picture_id + 1) % 32768) << name;
  }
}

// In every captured stream a picture starts at its timestamp's first packet
// (VP8 and VP9 nowhere else) and only the first picture is a key.
TEST(VideoPayloadTest, RealStreamsStartPicturesWhereTheirTimestampChanges) {
  const std::pair<const char*, VideoCodec> streams[] = {
      {"vp8_640x360", VideoCodec::kVp8},         {"vp8_1280x720", VideoCodec::kVp8},
      {"vp9_640x360", VideoCodec::kVp9},         {"vp9_1280x720", VideoCodec::kVp9},
      {"h264_640x360_mode0", VideoCodec::kH264}, {"h264_1280x720_mode0", VideoCodec::kH264},
      {"h264_1280x720_mode1", VideoCodec::kH264}};
  for (const auto& [name, codec] : streams) {
    std::ifstream file(std::string(TUTTI_VIDEO_TEST_DATA) + "/" + name + ".rtp", std::ios::binary);
    const Bytes data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(data.empty()) << name;
    std::optional<uint32_t> last_timestamp;
    int picture = 0;
    for (size_t at = 0; at + 2 <= data.size();) {
      const size_t length = (size_t{data[at]} << 8) | data[at + 1];
      std::optional<RtpView> rtp = ParseRtp({data.data() + at + 2, length});
      at += 2 + length;
      ASSERT_TRUE(rtp.has_value()) << name;
      const bool new_timestamp = rtp->timestamp != last_timestamp;
      if (new_timestamp && last_timestamp) ++picture;
      last_timestamp = rtp->timestamp;
      std::optional<VideoPacketInfo> info = InspectVideoPayload(codec, rtp->payload);
      ASSERT_TRUE(info.has_value()) << name << " packet " << rtp->sequence;
      if (new_timestamp) {
        EXPECT_TRUE(info->frame_start) << name << " " << rtp->sequence;
      }
      if (codec != VideoCodec::kH264) {
        EXPECT_EQ(info->frame_start, new_timestamp) << name << " " << rtp->sequence;
      }
      if (picture > 0) {
        EXPECT_FALSE(info->keyframe) << name << " " << rtp->sequence;
      }
    }
    EXPECT_EQ(picture, 1) << name;
  }
}

TEST(VideoPayloadTest, RealPictureIdsRewrittenInPlace) {
  Bytes vp8 = CapturedPayloads("vp8_640x360")[0];
  const Bytes original = vp8;
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp8, vp8, 0x1234, 9));
  const VideoPacketInfo info = Inspect(VideoCodec::kVp8, vp8);
  EXPECT_EQ(info.picture_id, 0x1234);
  EXPECT_TRUE(info.picture_id_15bit);
  EXPECT_TRUE(info.keyframe);
  EXPECT_EQ(info.tl0picidx, -1);  // baresip sends none, and none is added
  EXPECT_TRUE(std::equal(vp8.begin() + 4, vp8.end(), original.begin() + 4));

  Bytes vp9 = CapturedPayloads("vp9_640x360")[2];
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp9, vp9, 0x7fff, 9));
  EXPECT_EQ(Inspect(VideoCodec::kVp9, vp9).picture_id, 0x7fff);

  Bytes h264 = CapturedPayloads("h264_640x360_mode0")[3];
  const Bytes h264_before = h264;
  EXPECT_FALSE(RewriteVideoPictureIds(VideoCodec::kH264, h264, 1, 2));
  EXPECT_EQ(h264, h264_before);
}

// --- VP8 built packets ---------------------------------------------------

// A key frame's payload header and first 7 bytes (RFC 6386 9.1): P=0,
// start code, 14-bit width and height with the 2 scaling bits set.
const Bytes kVp8KeyFrame = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0xc1, 0xf0, 0x40, 0x00};
const Bytes kVp8InterFrame = {0x51, 0x02, 0x00, 0xaa};

TEST(Vp8PayloadTest, SevenAndFifteenBitPictureIdsAndTl0PicIdx) {
  const VideoPacketInfo seven =
      Inspect(VideoCodec::kVp8, Concat({{0x90, 0x80, 0x05}, kVp8KeyFrame}));
  EXPECT_EQ(seven.picture_id, 5);
  EXPECT_FALSE(seven.picture_id_15bit);
  EXPECT_TRUE(seven.keyframe);
  EXPECT_EQ(seven.width, 320);  // the scaling bits are not part of the size
  EXPECT_EQ(seven.height, 240);

  // I, L, T: 15-bit id 0x0123, TL0PICIDX 0x42, TID/Y/KEYIDX.
  const VideoPacketInfo all =
      Inspect(VideoCodec::kVp8, Concat({{0x90, 0xe0, 0x81, 0x23, 0x42, 0x40}, kVp8InterFrame}));
  EXPECT_EQ(all.picture_id, 0x0123);
  EXPECT_TRUE(all.picture_id_15bit);
  EXPECT_EQ(all.tl0picidx, 0x42);
  EXPECT_TRUE(all.frame_start);
  EXPECT_FALSE(all.keyframe);

  // No X: no descriptor fields.
  const VideoPacketInfo bare = Inspect(VideoCodec::kVp8, Concat({{0x10}, kVp8KeyFrame}));
  EXPECT_EQ(bare.picture_id, -1);
  EXPECT_EQ(bare.tl0picidx, -1);
  EXPECT_TRUE(bare.keyframe);

  // K alone still takes the TID|Y|KEYIDX byte.
  const VideoPacketInfo keyidx =
      Inspect(VideoCodec::kVp8, Concat({{0x90, 0x10, 0x03}, kVp8KeyFrame}));
  EXPECT_TRUE(keyidx.keyframe);
  EXPECT_EQ(keyidx.width, 320);
}

TEST(Vp8PayloadTest, OnlyTheFirstPartitionsStartIsAPictureStart) {
  // S=1 PID=1, S=0 PID=0: the bytes after the descriptor are no header.
  const VideoPacketInfo partition1 = Inspect(VideoCodec::kVp8, Concat({{0x91}, kVp8KeyFrame}));
  EXPECT_FALSE(partition1.frame_start || partition1.keyframe);
  const VideoPacketInfo middle = Inspect(VideoCodec::kVp8, Concat({{0x00}, kVp8KeyFrame}));
  EXPECT_FALSE(middle.frame_start || middle.keyframe);
  EXPECT_EQ(middle.width, 0);
}

TEST(Vp8PayloadTest, AKeyFrameNeedsItsStartCodeAndASize) {
  Bytes bad_start_code = Concat({{0x10}, kVp8KeyFrame});
  bad_start_code[4] = 0x9c;
  const VideoPacketInfo bad = Inspect(VideoCodec::kVp8, bad_start_code);
  EXPECT_TRUE(bad.frame_start);
  EXPECT_FALSE(bad.keyframe);
  // The key frame header cut after the payload header.
  const VideoPacketInfo cut = Inspect(VideoCodec::kVp8, {0x10, 0x50, 0x02, 0x00, 0x9d});
  EXPECT_TRUE(cut.frame_start);
  EXPECT_FALSE(cut.keyframe);
  // A zero width.
  const VideoPacketInfo empty =
      Inspect(VideoCodec::kVp8, {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0xc0, 0xf0, 0x00});
  EXPECT_FALSE(empty.keyframe);
}

TEST(Vp8PayloadTest, TruncatedDescriptorsAreRefused) {
  const Bytes truncated[] = {
      {},                        // nothing
      {0x90},                    // X without its byte
      {0x90, 0x80},              // I without the picture id
      {0x90, 0x80, 0x81},        // 15-bit picture id cut in half
      {0x90, 0x40},              // L without TL0PICIDX
      {0x90, 0x20},              // T without its byte
      {0x90, 0x80, 0x05},        // a descriptor and no VP8 data
      {0x90, 0x80, 0x05, 0x50},  // a picture start without its 3-byte header
      {0x10, 0x50, 0x02},        // ...still one byte short
      {0x10, 0x50, 0x02, 0x00},  // the header alone is a valid packet
  };
  for (size_t i = 0; i + 1 < std::size(truncated); ++i) {
    EXPECT_FALSE(Valid(VideoCodec::kVp8, truncated[i])) << i;
  }
  EXPECT_TRUE(Valid(VideoCodec::kVp8, truncated[std::size(truncated) - 1]));
}

TEST(Vp8PayloadTest, RewriteKeepsTheFieldWidths) {
  Bytes seven = Concat({{0x90, 0xc0, 0x05, 0x11}, kVp8InterFrame});  // 7-bit id, TL0PICIDX
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp8, seven, 200, 0xab));
  const VideoPacketInfo after = Inspect(VideoCodec::kVp8, seven);
  EXPECT_EQ(after.picture_id, 200 % 128);  // 200 has the M bit's place set
  EXPECT_FALSE(after.picture_id_15bit);
  EXPECT_EQ(after.tl0picidx, 0xab);
  EXPECT_EQ(seven.size(), 4 + kVp8InterFrame.size());

  Bytes fifteen = Concat({{0x90, 0x80, 0x81, 0x23}, kVp8InterFrame});
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp8, fifteen, 0x8001, 0));
  EXPECT_EQ(Inspect(VideoCodec::kVp8, fifteen).picture_id, 1);  // mod 32768
  EXPECT_EQ(fifteen[2], 0x80);                                  // M kept
  EXPECT_EQ(Inspect(VideoCodec::kVp8, fifteen).tl0picidx, -1);  // none added

  // No picture id: false, but the TL0PICIDX it has is written.
  Bytes tl0_only = Concat({{0x90, 0x40, 0x11}, kVp8InterFrame});
  EXPECT_FALSE(RewriteVideoPictureIds(VideoCodec::kVp8, tl0_only, 7, 0x22));
  EXPECT_EQ(tl0_only[2], 0x22);

  // Not valid: nothing is written.
  Bytes truncated = {0x90, 0xc0, 0x05, 0x11};
  EXPECT_FALSE(RewriteVideoPictureIds(VideoCodec::kVp8, truncated, 9, 9));
  EXPECT_EQ(truncated, (Bytes{0x90, 0xc0, 0x05, 0x11}));
  // A whole descriptor, but a picture start cut inside its payload header
  // (found by video_payload_fuzz).
  Bytes cut_header = {0x90, 0xc0, 0x05, 0x11, 0x50, 0x02};
  EXPECT_FALSE(Valid(VideoCodec::kVp8, cut_header));
  EXPECT_FALSE(RewriteVideoPictureIds(VideoCodec::kVp8, cut_header, 9, 9));
  EXPECT_EQ(cut_header, (Bytes{0x90, 0xc0, 0x05, 0x11, 0x50, 0x02}));
}

TEST(Vp8PayloadTest, PictureIdsSurviveARewriteRoundTripAtEveryValue) {
  Bytes packet = Concat({{0x90, 0xc0, 0x80, 0x00, 0x00}, kVp8InterFrame});
  for (uint32_t id = 0; id < 65536; id += 7) {
    ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp8, packet, static_cast<uint16_t>(id),
                                       static_cast<uint8_t>(id)));
    const VideoPacketInfo info = Inspect(VideoCodec::kVp8, packet);
    ASSERT_EQ(info.picture_id, static_cast<int32_t>(id % 32768)) << id;
    ASSERT_EQ(info.tl0picidx, static_cast<int32_t>(id % 256)) << id;
  }
}

// --- VP9 built packets ---------------------------------------------------

// A profile-N key frame's uncompressed header up to its frame size.
Bytes Vp9KeyFrameHeader(int profile, uint32_t width, uint32_t height, uint32_t color_space = 1) {
  BitWriter header;
  header.Bits(2, 2).Bits(profile & 1, 1).Bits(profile >> 1, 1);
  if (profile == 3) header.Bits(0, 1);
  header.Bits(0, 1).Bits(0, 1).Bits(1, 1).Bits(0, 1);  // shown key frame, not error resilient
  header.Bits(0x498342, 24);
  if (profile >= 2) header.Bits(1, 1);  // 12 bit
  header.Bits(color_space, 3);
  if (color_space != 7) {
    header.Bits(0, 1);                                        // color_range
    if (profile == 1 || profile == 3) header.Bits(0b100, 3);  // 4:2:2
  } else if (profile == 1 || profile == 3) {
    header.Bits(0, 1);
  }
  header.Bits(width - 1, 16).Bits(height - 1, 16).Bits(0, 8);
  return header.Raw();
}

Bytes Vp9InterFrameHeader() { return BitWriter().Bits(2, 2).Bits(0, 2).Bits(0b0111, 4).Raw(); }

TEST(Vp9PayloadTest, KeyFrameSizeInEveryProfile) {
  for (int profile = 0; profile < 4; ++profile) {
    for (uint32_t color_space : {1u, 7u}) {
      const VideoPacketInfo info = Inspect(
          VideoCodec::kVp9, Concat({{0x08}, Vp9KeyFrameHeader(profile, 1920, 1080, color_space)}));
      EXPECT_TRUE(info.keyframe) << profile;
      EXPECT_EQ(info.width, 1920) << profile << " " << color_space;
      EXPECT_EQ(info.height, 1080) << profile << " " << color_space;
    }
  }
  // 65536 does not fit the info: a key frame of unknown size.
  const VideoPacketInfo huge =
      Inspect(VideoCodec::kVp9, Concat({{0x08}, Vp9KeyFrameHeader(0, 65536, 16)}));
  EXPECT_TRUE(huge.keyframe);
  EXPECT_EQ(huge.width, 0);
  EXPECT_EQ(huge.height, 0);
}

TEST(Vp9PayloadTest, NotAKeyFrame) {
  const Bytes key = Vp9KeyFrameHeader(0, 320, 240);
  EXPECT_TRUE(Inspect(VideoCodec::kVp9, Concat({{0x08}, key})).keyframe);
  // P=1: inter-predicted, whatever the header.
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, Concat({{0x48}, key})).keyframe);
  // B=0: not the frame's first packet.
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, Concat({{0x00}, key})).keyframe);
  // P=0 but an inter frame's header.
  const VideoPacketInfo inter = Inspect(VideoCodec::kVp9, Concat({{0x08}, Vp9InterFrameHeader()}));
  EXPECT_TRUE(inter.frame_start);
  EXPECT_FALSE(inter.keyframe);
  // show_existing_frame.
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, {0x08, 0x88}).keyframe);
  // A wrong frame marker or sync code, or a header cut before the size.
  Bytes bad_marker = key;
  bad_marker[0] &= 0x3f;
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, Concat({{0x08}, bad_marker})).keyframe);
  Bytes bad_sync = key;
  bad_sync[1] ^= 0x01;
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, Concat({{0x08}, bad_sync})).keyframe);
  const Bytes cut(key.begin(), key.begin() + 6);
  EXPECT_FALSE(Inspect(VideoCodec::kVp9, Concat({{0x08}, cut})).keyframe);
}

TEST(Vp9PayloadTest, NonFlexibleModeLayerIndices) {
  const Bytes key = Vp9KeyFrameHeader(0, 320, 240);
  // I (7-bit 5), L (TID 0, SID 0), TL0PICIDX 0x33, B.
  const VideoPacketInfo base = Inspect(VideoCodec::kVp9, Concat({{0xa8, 0x05, 0x00, 0x33}, key}));
  EXPECT_EQ(base.picture_id, 5);
  EXPECT_FALSE(base.picture_id_15bit);
  EXPECT_EQ(base.tl0picidx, 0x33);
  EXPECT_TRUE(base.frame_start && base.keyframe);
  // The same picture's spatial layer 1 begins no picture (SID 1, D=1).
  const VideoPacketInfo upper = Inspect(VideoCodec::kVp9, Concat({{0xa8, 0x05, 0x03, 0x33}, key}));
  EXPECT_FALSE(upper.frame_start || upper.keyframe);
  EXPECT_EQ(upper.tl0picidx, 0x33);
  // L without TL0PICIDX in non-flexible mode is cut short.
  EXPECT_FALSE(Valid(VideoCodec::kVp9, {0xa8, 0x05, 0x00}));
}

TEST(Vp9PayloadTest, FlexibleModeReferenceIndices) {
  const Bytes inter = Vp9InterFrameHeader();
  // I, P, L, F, B; 15-bit id; layer byte (no TL0PICIDX); three P_DIFFs.
  const VideoPacketInfo three =
      Inspect(VideoCodec::kVp9, Concat({{0xf8, 0x81, 0x02, 0x00, 0x03, 0x05, 0x06}, inter}));
  EXPECT_EQ(three.picture_id, 0x0102);
  EXPECT_EQ(three.tl0picidx, -1);
  EXPECT_TRUE(three.frame_start);
  EXPECT_FALSE(three.keyframe);
  // A fourth P_DIFF (N set on the third) is refused; so is a missing one.
  EXPECT_FALSE(
      Valid(VideoCodec::kVp9, Concat({{0xf8, 0x81, 0x02, 0x00, 0x03, 0x05, 0x07, 0x08}, inter})));
  EXPECT_FALSE(Valid(VideoCodec::kVp9, {0xd8, 0x05, 0x03}));
  // P=0 in flexible mode: no P_DIFF at all, and a key frame.
  const VideoPacketInfo key =
      Inspect(VideoCodec::kVp9, Concat({{0x98, 0x05}, Vp9KeyFrameHeader(0, 640, 480)}));
  EXPECT_TRUE(key.keyframe);
  EXPECT_EQ(key.width, 640);
}

// Scalability structure: three spatial layers with sizes, a picture group.
const Bytes kScalabilityStructure = {
    0x58,                    // N_S=2 (3 layers), Y, G
    0x01, 0x40, 0x00, 0xb4,  // 320x180
    0x02, 0x80, 0x01, 0x68,  // 640x360
    0x05, 0x00, 0x02, 0xd0,  // 1280x720
    0x02,                    // N_G: 2 pictures
    0x04, 0x01,              // TID 0, R=1, P_DIFF 1
    0x28, 0x01, 0x02,        // TID 1, R=2, two P_DIFFs
};

TEST(Vp9PayloadTest, ScalabilityStructureGivesTheHighestLayersSize) {
  const Bytes key = Vp9KeyFrameHeader(0, 320, 180);
  // Non-flexible: I, L, B, V; layer byte; TL0PICIDX; SS.
  const VideoPacketInfo non_flexible =
      Inspect(VideoCodec::kVp9, Concat({{0xaa, 0x05, 0x00, 0x00}, kScalabilityStructure, key}));
  EXPECT_TRUE(non_flexible.keyframe);
  EXPECT_EQ(non_flexible.width, 1280);
  EXPECT_EQ(non_flexible.height, 720);
  // Flexible with SS.
  const VideoPacketInfo flexible =
      Inspect(VideoCodec::kVp9, Concat({{0xba, 0x05, 0x00}, kScalabilityStructure, key}));
  EXPECT_TRUE(flexible.keyframe);
  EXPECT_EQ(flexible.width, 1280);
  // SS without sizes: the key frame header's.
  const VideoPacketInfo no_sizes = Inspect(VideoCodec::kVp9, Concat({{0x0a, 0x00}, key}));
  EXPECT_TRUE(no_sizes.keyframe);
  EXPECT_EQ(no_sizes.width, 320);
  EXPECT_EQ(no_sizes.height, 180);
}

TEST(Vp9PayloadTest, TruncatedDescriptorsAreRefused) {
  const Bytes whole = Concat({{0xaa, 0x05, 0x00, 0x00}, kScalabilityStructure, {0x82}});
  EXPECT_TRUE(Valid(VideoCodec::kVp9, whole));
  // Cut anywhere inside the descriptor (or with no frame data) it is refused.
  for (size_t length = 0; length < whole.size(); ++length) {
    EXPECT_FALSE(Valid(VideoCodec::kVp9, Bytes(whole.begin(), whole.begin() + length))) << length;
  }
  EXPECT_FALSE(Valid(VideoCodec::kVp9, {0x80}));                    // I without picture id
  EXPECT_FALSE(Valid(VideoCodec::kVp9, {0x80, 0x81}));              // 15-bit id cut in half
  EXPECT_FALSE(Valid(VideoCodec::kVp9, {0x02, 0x10, 0x00, 0x01}));  // Y, sizes cut
}

TEST(Vp9PayloadTest, RewriteKeepsTheFieldWidths) {
  const Bytes key = Vp9KeyFrameHeader(0, 320, 240);
  Bytes seven = Concat({{0xa8, 0x05, 0x00, 0x33}, key});
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp9, seven, 200, 0x44));
  const VideoPacketInfo after = Inspect(VideoCodec::kVp9, seven);
  EXPECT_EQ(after.picture_id, 200 % 128);
  EXPECT_EQ(after.tl0picidx, 0x44);
  EXPECT_TRUE(after.keyframe);

  Bytes flexible = Concat({{0xb8, 0x81, 0x02, 0x00}, key});  // no TL0PICIDX
  ASSERT_TRUE(RewriteVideoPictureIds(VideoCodec::kVp9, flexible, 0xffff, 0x44));
  EXPECT_EQ(Inspect(VideoCodec::kVp9, flexible).picture_id, 0x7fff);
  EXPECT_EQ(flexible[3], 0x00);  // the layer byte is not a TL0PICIDX

  Bytes no_id = Concat({{0x28, 0x00, 0x33}, key});
  EXPECT_FALSE(RewriteVideoPictureIds(VideoCodec::kVp9, no_id, 1, 0x55));
  EXPECT_EQ(no_id[2], 0x55);
}

// --- H.264 built packets -------------------------------------------------

// An SPS NAL unit (header byte included) for the given profile and size.
struct SpsFields {
  uint32_t profile_idc = 66, level_idc = 31, chroma_format_idc = 1, poc_type = 0;
  uint32_t width_mbs = 80, height_units = 45;  // 1280x720
  bool scaling_matrix = false, frame_mbs_only = true;
  uint32_t crop[4] = {0, 0, 0, 0};  // left, right, top, bottom
};

Bytes Sps(const SpsFields& f) {
  BitWriter sps;
  sps.Bits(0x67, 8).Bits(f.profile_idc, 8).Bits(0, 8).Bits(f.level_idc, 8).Ue(0);
  if (f.profile_idc == 100 || f.profile_idc == 244) {
    sps.Ue(f.chroma_format_idc);
    if (f.chroma_format_idc == 3) sps.Bits(0, 1);
    sps.Ue(0).Ue(0).Bits(0, 1).Bits(f.scaling_matrix, 1);
    if (f.scaling_matrix) {
      const int lists = f.chroma_format_idc == 3 ? 12 : 8;
      for (int i = 0; i < lists; ++i) {
        const bool present = i % 3 != 2;
        sps.Bits(present, 1);
        if (!present) continue;
        // Deltas as scaling_list() reads them: some steps, then a jump to
        // 0 halfway ends the list early.
        const int size = i < 6 ? 16 : 64;
        int last = 8;
        int next = 8;
        for (int j = 0; j < size && next != 0; ++j) {
          const int delta = j == size / 2 ? -last : (j % 2 ? 3 : -1);
          sps.Se(delta);
          next = (last + delta + 256) % 256;
          if (next != 0) last = next;
        }
      }
    }
  }
  sps.Ue(0).Ue(f.poc_type);  // log2_max_frame_num_minus4
  if (f.poc_type == 0) sps.Ue(2);
  if (f.poc_type == 1) sps.Bits(0, 1).Se(-2).Se(3).Ue(2).Se(1).Se(-1);
  sps.Ue(4).Bits(0, 1).Ue(f.width_mbs - 1).Ue(f.height_units - 1).Bits(f.frame_mbs_only, 1);
  if (!f.frame_mbs_only) sps.Bits(0, 1);
  sps.Bits(1, 1);  // direct_8x8_inference
  const bool cropping = f.crop[0] || f.crop[1] || f.crop[2] || f.crop[3];
  sps.Bits(cropping, 1);
  if (cropping) {
    for (uint32_t edge : f.crop) sps.Ue(edge);
  }
  sps.Bits(0, 1);  // no VUI
  return sps.Nal();
}

VideoPacketInfo InspectH264(const Bytes& payload) { return Inspect(VideoCodec::kH264, payload); }

TEST(H264PayloadTest, SpsSizesAcrossProfilesAndCropping) {
  const VideoPacketInfo baseline = InspectH264(Sps({}));
  EXPECT_EQ(baseline.width, 1280);
  EXPECT_EQ(baseline.height, 720);
  EXPECT_TRUE(baseline.frame_start && baseline.keyframe);

  // 1080 lines: 68 macroblock rows, cropped by 4 units of 2 lines.
  SpsFields hd;
  hd.profile_idc = 100;
  hd.width_mbs = 120;
  hd.height_units = 68;
  hd.crop[3] = 4;
  hd.poc_type = 2;
  const VideoPacketInfo high = InspectH264(Sps(hd));
  EXPECT_EQ(high.width, 1920);
  EXPECT_EQ(high.height, 1080);

  // 4:4:4 crops in single samples; with scaling matrices to skip.
  SpsFields yuv444 = hd;
  yuv444.profile_idc = 244;
  yuv444.chroma_format_idc = 3;
  yuv444.crop[3] = 8;
  yuv444.scaling_matrix = true;
  yuv444.poc_type = 1;
  const VideoPacketInfo full_chroma = InspectH264(Sps(yuv444));
  EXPECT_EQ(full_chroma.width, 1920);
  EXPECT_EQ(full_chroma.height, 1080);

  // Field coding: map units are pairs of macroblock rows, crop units 4 lines.
  SpsFields interlaced;
  interlaced.width_mbs = 45;
  interlaced.height_units = 18;
  interlaced.frame_mbs_only = false;
  interlaced.crop[2] = 1;
  const VideoPacketInfo fields = InspectH264(Sps(interlaced));
  EXPECT_EQ(fields.width, 720);
  EXPECT_EQ(fields.height, 576 - 4);
}

TEST(H264PayloadTest, SpsIsReadPastItsEmulationPreventionBytes) {
  // profile_idc 0 and level_idc 3 after constraint byte 0: 00 00 03 is sent
  // as 00 00 03 03.
  SpsFields escaped;
  escaped.profile_idc = 0;
  escaped.level_idc = 3;
  escaped.width_mbs = 40;
  escaped.height_units = 30;
  const Bytes sps = Sps(escaped);
  ASSERT_EQ(sps[3], 0x03);  // the escape
  ASSERT_EQ(sps[4], 0x03);  // level_idc
  const VideoPacketInfo info = InspectH264(sps);
  EXPECT_EQ(info.width, 640);
  EXPECT_EQ(info.height, 480);
}

TEST(H264PayloadTest, ImpossibleSpsGivesNoSize) {
  SpsFields cropped_away;
  cropped_away.crop[0] = 640;  // 2 x 640 samples cropped from the left of 1280
  const VideoPacketInfo info = InspectH264(Sps(cropped_away));
  EXPECT_TRUE(info.keyframe);
  EXPECT_EQ(info.width, 0);
  const Bytes sps = Sps({});
  const VideoPacketInfo cut = InspectH264(Bytes(sps.begin(), sps.begin() + 6));
  EXPECT_TRUE(cut.keyframe);
  EXPECT_EQ(cut.width, 0);
}

Bytes Slice(uint8_t header, uint32_t first_mb) {
  return BitWriter().Bits(header, 8).Ue(first_mb).Ue(7).Ue(0).Bits(0xabcd, 16).Raw();
}

TEST(H264PayloadTest, WhichNalUnitsStartAPicture) {
  EXPECT_TRUE(InspectH264({0x09, 0xf0}).frame_start);  // AUD
  EXPECT_FALSE(InspectH264({0x09, 0xf0}).keyframe);
  EXPECT_TRUE(InspectH264({0x06, 0x05, 0x01, 0x00}).frame_start);  // SEI
  EXPECT_TRUE(InspectH264(Slice(0x41, 0)).frame_start);
  EXPECT_FALSE(InspectH264(Slice(0x41, 0)).keyframe);
  EXPECT_FALSE(InspectH264(Slice(0x41, 99)).frame_start);
  EXPECT_TRUE(InspectH264(Slice(0x65, 0)).keyframe);
  EXPECT_FALSE(InspectH264(Slice(0x65, 1)).keyframe);
  EXPECT_FALSE(InspectH264({0x65}).frame_start);        // no slice header
  EXPECT_FALSE(InspectH264({0x0c, 0xff}).frame_start);  // filler data
  EXPECT_FALSE(InspectH264({0x14, 0x00}).frame_start);  // an SVC/MVC extension
}

TEST(H264PayloadTest, NalTypesThatStartNothingAreRefused) {
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31}) {
    EXPECT_FALSE(Valid(VideoCodec::kH264, {static_cast<uint8_t>(0x60 | type), 0x00, 0x00, 0x00}))
        << int{type};
  }
  EXPECT_FALSE(Valid(VideoCodec::kH264, {}));
  Bytes forbidden = Slice(0x65, 0);
  forbidden[0] |= 0x80;
  EXPECT_FALSE(Valid(VideoCodec::kH264, forbidden));
}

Bytes StapA(std::initializer_list<Bytes> units) {
  Bytes packet = {0x78};
  for (const Bytes& unit : units) {
    packet.push_back(static_cast<uint8_t>(unit.size() >> 8));
    packet.push_back(static_cast<uint8_t>(unit.size()));
    packet.insert(packet.end(), unit.begin(), unit.end());
  }
  return packet;
}

TEST(H264PayloadTest, StapAHoldingTheRealSpsAndPps) {
  const std::vector<Bytes> real = CapturedPayloads("h264_640x360_mode0");
  const VideoPacketInfo parameter_sets = InspectH264(StapA({real[0], real[1]}));
  EXPECT_TRUE(parameter_sets.frame_start && parameter_sets.keyframe);
  EXPECT_EQ(parameter_sets.width, 640);
  EXPECT_EQ(parameter_sets.height, 360);
  // AUD, then an IDR slice: a key picture; AUD then an inter slice: not.
  EXPECT_TRUE(InspectH264(StapA({{0x09, 0x10}, Slice(0x65, 0)})).keyframe);
  const VideoPacketInfo inter = InspectH264(StapA({{0x09, 0x30}, Slice(0x41, 0)}));
  EXPECT_TRUE(inter.frame_start);
  EXPECT_FALSE(inter.keyframe);
  // The first unit decides the start: a later slice of the picture first.
  EXPECT_FALSE(InspectH264(StapA({Slice(0x65, 40), real[0]})).frame_start);
}

TEST(H264PayloadTest, MalformedStapAIsRefused) {
  const Bytes sps = Sps({});
  Bytes overrun = StapA({sps});
  overrun[2] += 1;  // the length claims one byte more than there is
  EXPECT_FALSE(Valid(VideoCodec::kH264, overrun));
  Bytes stray = StapA({sps});
  stray.push_back(0x00);  // one byte: no room for a length
  EXPECT_FALSE(Valid(VideoCodec::kH264, stray));
  EXPECT_FALSE(Valid(VideoCodec::kH264, StapA({sps, {}})));            // a zero length
  EXPECT_FALSE(Valid(VideoCodec::kH264, {0x78}));                      // no unit at all
  EXPECT_FALSE(Valid(VideoCodec::kH264, StapA({sps, {0x7c, 0x85}})));  // an FU-A inside
  EXPECT_FALSE(Valid(VideoCodec::kH264, StapA({{0x80 | 0x67}})));      // forbidden bit inside
  EXPECT_TRUE(Valid(VideoCodec::kH264, StapA({sps, {0x0c}})));
}

Bytes FuA(uint8_t fu_header, const Bytes& rest) { return Concat({{0x7c, fu_header}, rest}); }

TEST(H264PayloadTest, FuAFragments) {
  const Bytes slice = Slice(0x65, 0);
  const Bytes body(slice.begin() + 1, slice.end());
  const VideoPacketInfo start = InspectH264(FuA(0x85, body));
  EXPECT_TRUE(start.frame_start && start.keyframe);
  const VideoPacketInfo middle = InspectH264(FuA(0x05, body));
  EXPECT_FALSE(middle.frame_start || middle.keyframe);
  const VideoPacketInfo end = InspectH264(FuA(0x45, body));
  EXPECT_FALSE(end.frame_start || end.keyframe);
  // The start of a slice that is not its picture's first, of an inter slice.
  const Bytes later = Slice(0x65, 12);
  EXPECT_FALSE(InspectH264(FuA(0x85, Bytes(later.begin() + 1, later.end()))).frame_start);
  EXPECT_FALSE(InspectH264(FuA(0x81, body)).keyframe);
  EXPECT_TRUE(InspectH264(FuA(0x81, body)).frame_start);
  // An SPS in an FU-A start gives its size.
  const Bytes sps = Sps({});
  EXPECT_EQ(InspectH264(FuA(0x87, Bytes(sps.begin() + 1, sps.end()))).width, 1280);
  // No room for the FU header; a fragmented aggregate or FU; no data.
  EXPECT_FALSE(Valid(VideoCodec::kH264, {0x7c}));
  EXPECT_FALSE(Valid(VideoCodec::kH264, FuA(0x98, body)));
  EXPECT_FALSE(Valid(VideoCodec::kH264, FuA(0x9c, body)));
  EXPECT_FALSE(Valid(VideoCodec::kH264, FuA(0x80, body)));
  EXPECT_FALSE(InspectH264({0x7c, 0x85}).frame_start);
}

// --- The bit reader ---------------------------------------------------------

TEST(BitReaderTest, FixedWidthAndExpGolombFields) {
  const Bytes bytes = BitWriter()
                          .Bits(0x5, 3)
                          .Ue(0)
                          .Ue(1)
                          .Ue(254)
                          .Se(-3)
                          .Se(4)
                          .Bits(0xdeadbeef, 32)
                          .Ue(0xfffffffe)
                          .Raw();
  BitReader bits(bytes);
  EXPECT_EQ(bits.ReadBits(3), 5u);
  EXPECT_EQ(bits.ReadUe(), 0u);
  EXPECT_EQ(bits.ReadUe(), 1u);
  EXPECT_EQ(bits.ReadUe(), 254u);
  EXPECT_EQ(bits.ReadSe(), -3);
  EXPECT_EQ(bits.ReadSe(), 4);
  EXPECT_EQ(bits.ReadBits(32), 0xdeadbeefu);
  EXPECT_EQ(bits.ReadUe(), 0xfffffffeu);
}

TEST(BitReaderTest, StopsAtTheEndAndAtOverlongCodes) {
  const Bytes one_byte = {0xff};
  BitReader bits(one_byte);
  EXPECT_EQ(bits.ReadBits(8), 0xffu);
  EXPECT_FALSE(bits.ReadFlag().has_value());
  // 32 leading zeros: no value of 32 bits.
  const Bytes zeros = {0, 0, 0, 0, 0x80, 0, 0, 0, 0};
  EXPECT_FALSE(BitReader(zeros).ReadUe().has_value());
  // A code whose suffix is cut off.
  EXPECT_FALSE(BitReader(Bytes{0x01}).ReadUe().has_value());
}

TEST(BitReaderTest, EmulationPreventionBytesAreDroppedOnlyWhenAsked) {
  const Bytes escaped = {0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03};
  BitReader rbsp(escaped, BitReader::Emulation::kRemoved);
  EXPECT_EQ(rbsp.ReadBits(24), 0x000001u);
  EXPECT_EQ(rbsp.ReadBits(16), 0u);
  EXPECT_FALSE(rbsp.ReadBits(8).has_value());  // the last 03 was an escape
  BitReader raw(escaped);
  EXPECT_EQ(raw.ReadBits(32), 0x00000301u);
}

}  // namespace
}  // namespace tutti::media
