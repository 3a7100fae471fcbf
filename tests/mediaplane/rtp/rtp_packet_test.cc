#include "mediaplane/rtp/rtp_packet.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

TEST(RtpPacketTest, WriteThenParseFixedHeader) {
  std::vector<uint8_t> packet(kRtpHeaderSize + 160, 0xd5);
  WriteRtpHeader({.marker = true,
                  .payload_type = 8,
                  .sequence = 65535,
                  .timestamp = 0xdeadbeef,
                  .ssrc = 0x01020304},
                 packet.data());
  auto view = ParseRtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->marker);
  EXPECT_EQ(view->payload_type, 8);
  EXPECT_EQ(view->sequence, 65535);
  EXPECT_EQ(view->timestamp, 0xdeadbeefu);
  EXPECT_EQ(view->ssrc, 0x01020304u);
  EXPECT_EQ(view->payload.size(), 160u);
  EXPECT_EQ(view->payload.data(), packet.data() + kRtpHeaderSize);
}

TEST(RtpPacketTest, CsrcsExtensionAndPadding) {
  std::vector<uint8_t> packet = {
      0xb2, 0x60, 0x00, 0x01,  // V=2 P=1 X=1 CC=2; PT 96
      0x00, 0x00, 0x00, 0x10,  // timestamp
      0xaa, 0xbb, 0xcc, 0xdd,  // SSRC
      0x00, 0x00, 0x00, 0x01,  // CSRC 1
      0x00, 0x00, 0x00, 0x02,  // CSRC 2
      0xbe, 0xde, 0x00, 0x01,  // one-byte header extension, 1 word
      0x10, 0xff, 0x00, 0x00,  // extension data
      0x01, 0x02, 0x03,        // payload
      0x00, 0x00, 0x03,        // 3 bytes of padding
  };
  auto view = ParseRtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->csrc_count, 2);
  EXPECT_EQ(view->Csrc(1), 2u);
  EXPECT_EQ(view->extension_profile, 0xbede);
  EXPECT_EQ(view->extension.size(), 4u);
  EXPECT_EQ(view->padding, 3);
  ASSERT_EQ(view->payload.size(), 3u);
  EXPECT_EQ(view->payload[2], 0x03);
}

TEST(RtpPacketTest, RejectsMalformed) {
  std::vector<uint8_t> base(kRtpHeaderSize, 0);
  base[0] = 0x80;
  EXPECT_TRUE(ParseRtp(base).has_value());  // empty payload is fine

  std::vector<uint8_t> short_packet(base.begin(), base.begin() + 11);
  EXPECT_FALSE(ParseRtp(short_packet).has_value());

  std::vector<uint8_t> version1 = base;
  version1[0] = 0x40;
  EXPECT_FALSE(ParseRtp(version1).has_value());

  std::vector<uint8_t> missing_csrc = base;
  missing_csrc[0] = 0x81;
  EXPECT_FALSE(ParseRtp(missing_csrc).has_value());

  std::vector<uint8_t> missing_extension = base;
  missing_extension[0] = 0x90;
  EXPECT_FALSE(ParseRtp(missing_extension).has_value());

  std::vector<uint8_t> too_much_padding = base;
  too_much_padding[0] = 0xa0;
  too_much_padding.push_back(5);
  EXPECT_FALSE(ParseRtp(too_much_padding).has_value());

  std::vector<uint8_t> zero_padding = base;
  zero_padding[0] = 0xa0;
  zero_padding.push_back(0);
  EXPECT_FALSE(ParseRtp(zero_padding).has_value());
}

TEST(RtpPacketTest, DemultiplexesRtcp) {
  const uint8_t receiver_report[] = {0x80, 201, 0x00, 0x01, 0, 0, 0, 1};
  const uint8_t rtp_pcmu[] = {0x80, 0x00, 0x00, 0x01};
  const uint8_t rtp_marker_pt96[] = {0x80, 0xe0, 0x00, 0x01};
  EXPECT_TRUE(LooksLikeRtcp(receiver_report));
  EXPECT_FALSE(LooksLikeRtcp(rtp_pcmu));
  EXPECT_FALSE(LooksLikeRtcp(rtp_marker_pt96));
}

// RFC 6464 audio level in a one-byte extension block (RFC 8285 §4.2), as a
// browser sends it: padding bytes and another element around it.
TEST(RtpPacketTest, FindsAudioLevelInOneByteExtension) {
  std::vector<uint8_t> packet = {
      0x90, 0x6f, 0x00, 0x01,  // X=1; PT 111
      0x00, 0x00, 0x00, 0x10,  // timestamp
      0xaa, 0xbb, 0xcc, 0xdd,  // SSRC
      0xbe, 0xde, 0x00, 0x02,  // one-byte header extension, 2 words
      0x22, 0x01, 0x02, 0x03,  // id 2, 3 bytes (transport-wide sequence, say)
      0x00, 0x10, 0xa8, 0x00,  // padding, id 1, 1 byte: V=1, level 40; padding
      0x01, 0x02,              // payload
  };
  const std::optional<RtpView> view = ParseRtp(packet);
  ASSERT_TRUE(view.has_value());
  const std::optional<AudioLevel> level = FindAudioLevel(*view, 1);
  ASSERT_TRUE(level.has_value());
  EXPECT_EQ(level->level, 40);
  EXPECT_TRUE(level->voice);
  EXPECT_FLOAT_EQ(level->dbov(), -40.0f);
  EXPECT_EQ(FindHeaderExtension(*view, 2).size(), 3u);
  EXPECT_FALSE(FindAudioLevel(*view, 3).has_value());  // not there
  EXPECT_FALSE(FindAudioLevel(*view, 0).has_value());  // not an id
  EXPECT_EQ(view->payload.size(), 2u);
}

TEST(RtpPacketTest, FindsAudioLevelInTwoByteExtension) {
  std::vector<uint8_t> packet = {
      0x90, 0x6f, 0x00, 0x01,  // X=1; PT 111
      0x00, 0x00, 0x00, 0x10,  // timestamp
      0xaa, 0xbb, 0xcc, 0xdd,  // SSRC
      0x10, 0x00, 0x00, 0x02,  // two-byte header extension (0x100 + appbits), 2 words
      0x10, 0x01, 0x05, 0x00,  // id 16, 1 byte: V=0, level 5; padding
      0x20, 0x00, 0x00, 0x00,  // id 32, no data; padding
      0x07,                    // payload
  };
  const std::optional<RtpView> view = ParseRtp(packet);
  ASSERT_TRUE(view.has_value());
  const std::optional<AudioLevel> level = FindAudioLevel(*view, 16);
  ASSERT_TRUE(level.has_value());
  EXPECT_EQ(level->level, 5);
  EXPECT_FALSE(level->voice);
  EXPECT_FALSE(FindAudioLevel(*view, 32).has_value());  // present, but empty
}

// Lengths that run past the block, the stop id 15 and other profiles are
// not read as levels.
TEST(RtpPacketTest, MalformedOrForeignExtensionsHoldNoLevel) {
  RtpView view;
  const std::vector<uint8_t> overrun = {0x13, 0x01, 0x02, 0x03};  // id 1, 4 bytes in 3
  view.extension_profile = 0xBEDE;
  view.extension = overrun;
  EXPECT_FALSE(FindAudioLevel(view, 1).has_value());
  const std::vector<uint8_t> stop = {0xf0, 0x10, 0x28, 0x00};  // id 15 first: stop
  view.extension = stop;
  EXPECT_FALSE(FindAudioLevel(view, 1).has_value());
  const std::vector<uint8_t> element = {0x10, 0x28, 0x00, 0x00};
  view.extension = element;
  EXPECT_TRUE(FindAudioLevel(view, 1).has_value());
  view.extension_profile = 0x1234;  // some other profile's block
  EXPECT_FALSE(FindAudioLevel(view, 1).has_value());
  const std::vector<uint8_t> two_byte_cut = {0x00, 0x00, 0x00, 0x01};  // id 1 with no length
  view.extension_profile = 0x1000;
  view.extension = two_byte_cut;
  EXPECT_FALSE(FindAudioLevel(view, 1).has_value());
}

TEST(RtpPacketTest, WritesAudioLevelThatParsesBack) {
  std::vector<uint8_t> packet(kRtpAudioLevelHeaderSize + 3, 0x55);
  WriteRtpHeaderWithAudioLevel(
      {.marker = true, .payload_type = 111, .sequence = 7, .timestamp = 960, .ssrc = 42}, 3,
      {.level = 127, .voice = false}, packet.data());
  const std::optional<RtpView> view = ParseRtp(packet);
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->marker);
  EXPECT_EQ(view->payload_type, 111);
  EXPECT_EQ(view->sequence, 7);
  EXPECT_EQ(view->extension_profile, 0xBEDE);
  EXPECT_EQ(view->payload.size(), 3u);
  EXPECT_EQ(view->payload.data(), packet.data() + kRtpAudioLevelHeaderSize);
  const std::optional<AudioLevel> level = FindAudioLevel(*view, 3);
  ASSERT_TRUE(level.has_value());
  EXPECT_EQ(level->level, 127);
  EXPECT_FALSE(level->voice);
  WriteRtpHeaderWithAudioLevel({.payload_type = 0}, 14, {.level = 30, .voice = true},
                               packet.data());
  const std::optional<AudioLevel> loud = FindAudioLevel(*ParseRtp(packet), 14);
  ASSERT_TRUE(loud.has_value());
  EXPECT_EQ(loud->level, 30);
  EXPECT_TRUE(loud->voice);
}

TEST(RtpPacketTest, AudioLevelOfFrames) {
  EXPECT_EQ(AudioLevelOf(std::vector<int16_t>(160, 0)), 127);
  EXPECT_EQ(AudioLevelOf({}), 127);
  // A full-scale square wave is 0 dBov; half scale -6.
  std::vector<int16_t> square(160);
  for (size_t i = 0; i < square.size(); ++i) square[i] = i % 2 ? 32767 : -32767;
  EXPECT_EQ(AudioLevelOf(square), 0);
  for (int16_t& sample : square) sample = static_cast<int16_t>(sample / 2);
  EXPECT_EQ(AudioLevelOf(square), 6);
  // Quieter than -127 dBov is clamped (a lone ±1 sample in a frame).
  std::vector<int16_t> faint(960, 0);
  faint[0] = 1;
  EXPECT_EQ(AudioLevelOf(faint), 127);
}

}  // namespace
}  // namespace tutti::media
