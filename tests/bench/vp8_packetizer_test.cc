#include "bench/tutti_load/vp8_packetizer.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "mediaplane/video/video_payload.h"

namespace tutti::load {
namespace {

using Packet = std::vector<uint8_t>;

std::vector<Packet> Frame(Vp8Packetizer& camera, bool keyframe, size_t bytes,
                          std::vector<bool>* markers = nullptr) {
  camera.BeginFrame(keyframe, bytes);
  std::vector<Packet> packets;
  std::array<uint8_t, kVideoPacketBytes> buffer{};
  while (camera.pending()) {
    bool last = false;
    const size_t size = camera.NextPayload(buffer, &last);
    packets.emplace_back(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(size));
    if (markers) markers->push_back(last);
  }
  return packets;
}

// The bytes of RFC 7741 §4.2 and §4.3 and RFC 6386 §9.1, read by hand here
// rather than by the reader under test.
TEST(Vp8PacketizerTest, AKeyFrameIsLaidOutAsRfc7741AndRfc6386Say) {
  Vp8Packetizer camera(640, 360, 0x1234, 7);
  std::vector<bool> markers;
  const std::vector<Packet> packets = Frame(camera, true, 3000, &markers);
  ASSERT_EQ(packets.size(), 3u);  // 3000 bytes over <= 1182 a packet
  EXPECT_EQ(markers, (std::vector<bool>{false, false, true}));
  size_t data = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const Packet& p = packets[i];
    EXPECT_LE(p.size() + kRtpHeaderBytes, kVideoPacketBytes);
    // X=1, S only on the first packet, PID 0.
    EXPECT_EQ(p[0], i == 0 ? 0x90 : 0x80) << i;
    EXPECT_EQ(p[1], 0xE0);         // I, L, T; no K
    EXPECT_EQ(p[2], 0x80 | 0x12);  // M: 15-bit picture id
    EXPECT_EQ(p[3], 0x34);
    EXPECT_EQ(p[4], 7);  // TL0PICIDX
    EXPECT_EQ(p[5], 0);  // TID 0
    data += p.size() - 6;
  }
  EXPECT_EQ(data, 3000u);
  // The payload header: P (bit 0) = 0 for a key frame, version 0, show_frame,
  // and a first partition size the frame holds.
  const uint8_t* header = packets[0].data() + 6;
  EXPECT_EQ(header[0] & 0x01, 0);
  EXPECT_EQ((header[0] >> 1) & 0x07, 0);
  EXPECT_EQ((header[0] >> 4) & 0x01, 1);
  const uint32_t first_partition = (header[0] | header[1] << 8 | header[2] << 16) >> 5;
  EXPECT_GT(first_partition, 0u);
  EXPECT_LE(first_partition, 3000u - 10);
  // Start code, then 14-bit width and height, little-endian, scale 0.
  EXPECT_EQ(header[3], 0x9d);
  EXPECT_EQ(header[4], 0x01);
  EXPECT_EQ(header[5], 0x2a);
  EXPECT_EQ(header[6] | (header[7] & 0x3F) << 8, 640);
  EXPECT_EQ(header[7] >> 6, 0);
  EXPECT_EQ(header[8] | (header[9] & 0x3F) << 8, 360);
}

TEST(Vp8PacketizerTest, AnInterFrameHasPSetAndNoKeyFrameHeader) {
  Vp8Packetizer camera(320, 180, 0, 0);
  Frame(camera, true, 500);
  const std::vector<Packet> packets = Frame(camera, false, 500);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0][6] & 0x01, 1);  // P: inter frame
  EXPECT_NE(packets[0][9], 0x9d);      // no start code after the 3-byte header
  EXPECT_EQ(packets[0].size(), 6u + 500);
}

TEST(Vp8PacketizerTest, PictureIdAndTl0PicIdxMoveOnPerFrameAndWrap) {
  Vp8Packetizer camera(320, 180, 0x7FFE, 254);
  const uint16_t ids[] = {0x7FFE, 0x7FFF, 0, 1};
  const uint8_t tl0[] = {254, 255, 0, 1};
  for (int frame = 0; frame < 4; ++frame) {
    for (const Packet& p : Frame(camera, frame == 0, 2500)) {
      EXPECT_EQ((p[2] & 0x7F) << 8 | p[3], ids[frame]) << frame;
      EXPECT_EQ(p[4], tl0[frame]) << frame;
    }
  }
}

TEST(Vp8PacketizerTest, FramesSplitEvenlyAndTinyFramesStillCarryTheirHeaders) {
  Vp8Packetizer camera(320, 180, 0, 0);
  // 6,250 bytes: a 1.5 Mb/s, 30 fps frame: 6 packets of 1041-1042 bytes of data.
  const std::vector<Packet> packets = Frame(camera, false, 6250);
  ASSERT_EQ(packets.size(), 6u);
  for (const Packet& p : packets) {
    EXPECT_GE(p.size() - 6, 1041u);
    EXPECT_LE(p.size() - 6, 1042u);
  }
  const std::vector<Packet> tiny = Frame(camera, true, 1);
  ASSERT_EQ(tiny.size(), 1u);
  EXPECT_EQ(tiny[0].size(), 6 + kVp8MinFrameBytes);
  const std::optional<Vp8PacketView> view = ReadVp8Payload(tiny[0]);
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->keyframe);
  ASSERT_TRUE(view->tag.has_value());
  EXPECT_EQ(view->tag->width, 320);
}

TEST(Vp8PacketizerTest, EveryPacketCarriesItsCamerasTag) {
  Vp8Packetizer camera(1000, 700, 5, 5);
  Frame(camera, true, 100);
  const std::vector<Packet> packets = Frame(camera, false, 4000);
  for (size_t i = 0; i < packets.size(); ++i) {
    const std::optional<Vp8PacketView> view = ReadVp8Payload(packets[i]);
    ASSERT_TRUE(view.has_value()) << i;
    EXPECT_EQ(view->frame_start, i == 0);
    EXPECT_FALSE(view->keyframe);
    EXPECT_EQ(view->picture_id, 6);
    EXPECT_TRUE(view->picture_id_15bit);
    EXPECT_EQ(view->tl0picidx, 6);
    ASSERT_TRUE(view->tag.has_value()) << i;
    EXPECT_EQ(*view->tag, (SourceTag{.width = 1000, .height = 700, .frame = 1}));
  }
}

// The server reads the camera with tutti's own payload parser: it must see
// what tutti-load means, packet by packet.
TEST(Vp8PacketizerTest, TuttisPayloadParserReadsTheCameraAsMeant) {
  Vp8Packetizer camera(1280, 720, 0x7FFF, 255);
  for (int frame = 0; frame < 3; ++frame) {
    const bool key = frame != 1;
    const std::vector<Packet> packets = Frame(camera, key, 6250);
    ASSERT_EQ(packets.size(), 6u);
    for (size_t i = 0; i < packets.size(); ++i) {
      const std::optional<media::VideoPacketInfo> info =
          media::InspectVideoPayload(media::VideoCodec::kVp8, packets[i]);
      ASSERT_TRUE(info.has_value()) << frame << "/" << i;
      EXPECT_EQ(info->frame_start, i == 0) << frame << "/" << i;
      EXPECT_EQ(info->keyframe, key && i == 0) << frame << "/" << i;
      EXPECT_EQ(info->width, key && i == 0 ? 1280 : 0);
      EXPECT_EQ(info->height, key && i == 0 ? 720 : 0);
      EXPECT_EQ(info->picture_id, (0x7FFF + frame) % 0x8000);
      EXPECT_TRUE(info->picture_id_15bit);
      EXPECT_EQ(info->tl0picidx, (255 + frame) % 256);
    }
  }
}

// A forwarder rewrites the ids in place; the source tag and the key frame
// header stay where tutti-load's receivers read them.
TEST(Vp8PacketizerTest, RewrittenIdsLeaveTheTagReadable) {
  Vp8Packetizer camera(640, 360, 1, 1);
  std::vector<Packet> packets = Frame(camera, true, 3000);
  ASSERT_TRUE(media::RewriteVideoPictureIds(media::VideoCodec::kVp8, packets[0], 0x1234, 9));
  const std::optional<Vp8PacketView> view = ReadVp8Payload(packets[0]);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->picture_id, 0x1234);
  EXPECT_EQ(view->tl0picidx, 9);
  EXPECT_TRUE(view->keyframe);
  EXPECT_EQ(view->width, 640);
  ASSERT_TRUE(view->tag.has_value());
  EXPECT_EQ(view->tag->width, 640);
}

TEST(Vp8PacketizerTest, TheReaderTakesSevenBitIdsAndRefusesTruncations) {
  // X, S; I only, a 7-bit id; then an inter frame's 3-byte header.
  const Packet short_id = {0x90, 0x80, 0x05, 0x01, 0x00, 0x00};
  const std::optional<Vp8PacketView> view = ReadVp8Payload(short_id);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->picture_id, 5);
  EXPECT_FALSE(view->picture_id_15bit);
  EXPECT_EQ(view->tl0picidx, -1);
  EXPECT_TRUE(view->frame_start);
  EXPECT_FALSE(view->keyframe);
  EXPECT_FALSE(view->tag.has_value());  // not one of tutti-load's cameras

  EXPECT_FALSE(ReadVp8Payload(Packet{}).has_value());
  EXPECT_FALSE(ReadVp8Payload(Packet{0x90, 0x80}).has_value());        // id missing
  EXPECT_FALSE(ReadVp8Payload(Packet{0x90, 0x80, 0x85}).has_value());  // 15-bit id cut
  // A key frame (P=0) whose start code is missing is no key frame.
  EXPECT_FALSE(
      ReadVp8Payload(Packet{0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
          .has_value());
  // S with a partition index other than 0 is not a frame's start.
  const std::optional<Vp8PacketView> second = ReadVp8Payload(Packet{0x11, 0x00, 0x00, 0x00});
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->frame_start);
}

}  // namespace
}  // namespace tutti::load
