#include "mediaplane/rtp/rtp_packet.h"

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

}  // namespace
}  // namespace tutti::media
