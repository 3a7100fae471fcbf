#include "mediaplane/rtp/rtcp_packet.h"

#include <array>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

TEST(RtcpPacketTest, SenderReportRoundTrip) {
  SenderInfo sender{.ntp_time = 0x0102030405060708,
                    .rtp_timestamp = 160,
                    .packet_count = 50,
                    .octet_count = 8000};
  std::array<ReportBlock, 2> reports{};
  reports[0] = {.ssrc = 7,
                .fraction_lost = 25,
                .cumulative_lost = -3,
                .highest_sequence = 0x00010005,
                .jitter = 42,
                .last_sr = 0x03040506,
                .delay_since_last_sr = 65536};
  reports[1] = {.ssrc = 8, .cumulative_lost = 0x7fffff};
  std::array<uint8_t, 256> buffer{};
  const size_t length = WriteRtcp(0x11223344, &sender, reports, "tutti@host", false, buffer);
  ASSERT_GT(length, 0u);
  EXPECT_EQ(length % 4, 0u);

  auto summary = ParseRtcp(std::span<const uint8_t>(buffer.data(), length));
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->sender_ssrc, 0x11223344u);
  EXPECT_TRUE(summary->has_sender_report);
  EXPECT_EQ(summary->ntp_time, 0x0102030405060708u);
  EXPECT_EQ(summary->packet_count, 50u);
  EXPECT_EQ(summary->octet_count, 8000u);
  ASSERT_EQ(summary->report_count, 2);
  EXPECT_EQ(summary->reports[0].fraction_lost, 25);
  EXPECT_EQ(summary->reports[0].cumulative_lost, -3);
  EXPECT_EQ(summary->reports[0].highest_sequence, 0x00010005u);
  EXPECT_EQ(summary->reports[0].jitter, 42u);
  EXPECT_EQ(summary->reports[0].delay_since_last_sr, 65536u);
  EXPECT_EQ(summary->reports[1].cumulative_lost, 0x7fffff);
  EXPECT_EQ(summary->cname, "tutti@host");
  EXPECT_FALSE(summary->has_bye);
}

TEST(RtcpPacketTest, ReceiverReportWithBye) {
  std::array<uint8_t, 128> buffer{};
  const size_t length = WriteRtcp(5, nullptr, {}, "x", true, buffer);
  auto summary = ParseRtcp(std::span<const uint8_t>(buffer.data(), length));
  ASSERT_TRUE(summary.has_value());
  EXPECT_FALSE(summary->has_sender_report);
  EXPECT_EQ(summary->report_count, 0);
  EXPECT_TRUE(summary->has_bye);
  EXPECT_EQ(summary->cname, "x");
}

TEST(RtcpPacketTest, BaresipByeAndAppAloneAreAccepted) {
  // As baresip 1.0 sends them: BYE ("Adjo") then SDES; an APP "PING" alone.
  const std::vector<uint8_t> bye = {0x81, 0xcb, 0x00, 0x03, 0xa7, 0x8f, 0xb3, 0xb3, 0x04, 0x41,
                                    0x64, 0x6a, 0x6f, 0x00, 0x00, 0x00, 0x81, 0xca, 0x00, 0x02,
                                    0xa7, 0x8f, 0xb3, 0xb3, 0x01, 0x01, 0x78, 0x00};
  auto summary = ParseRtcp(bye);
  ASSERT_TRUE(summary.has_value());
  EXPECT_TRUE(summary->has_bye);
  EXPECT_EQ(summary->cname, "x");
  const std::vector<uint8_t> app = {0x80, 0xcc, 0x00, 0x03, 0x41, 0x53, 0x49, 0xc1,
                                    0x50, 0x49, 0x4e, 0x47, 0x50, 0x4f, 0x4e, 0x47};
  EXPECT_TRUE(ParseRtcp(app).has_value());
}

TEST(RtcpPacketTest, EmptyCnameIsWritten) {
  // Found by rtcp_parser_fuzz: an empty view's null data went to memcpy
  // (undefined behaviour even for 0 bytes; UBSan stops on it).
  std::array<uint8_t, 64> buffer{};
  const size_t length = WriteRtcp(5, nullptr, {}, std::string_view(), false, buffer);
  ASSERT_GT(length, 0u);
  auto parsed = ParseRtcp(std::span<const uint8_t>(buffer.data(), length));
  ASSERT_TRUE(parsed.has_value());
}

TEST(RtcpPacketTest, TooSmallBufferWritesNothing) {
  std::array<uint8_t, 20> buffer{};
  EXPECT_EQ(WriteRtcp(5, nullptr, {}, "a-long-cname", false, buffer), 0u);
}

TEST(RtcpPacketTest, RejectsMalformedCompounds) {
  std::array<uint8_t, 128> buffer{};
  const size_t length = WriteRtcp(5, nullptr, {}, "cname", false, buffer);
  std::vector<uint8_t> good(buffer.begin(), buffer.begin() + length);
  ASSERT_TRUE(ParseRtcp(good).has_value());

  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  EXPECT_FALSE(ParseRtcp(truncated).has_value());

  std::vector<uint8_t> bad_version = good;
  bad_version[0] = 0x40;
  EXPECT_FALSE(ParseRtcp(bad_version).has_value());

  // Reduced-size RTCP (RFC 5506): an SDES alone is accepted.
  std::vector<uint8_t> sdes_first(good.begin() + 8, good.end());
  EXPECT_TRUE(ParseRtcp(sdes_first).has_value());

  // A report count larger than the packet holds.
  std::vector<uint8_t> overcount = good;
  overcount[0] = 0x83;
  EXPECT_FALSE(ParseRtcp(overcount).has_value());

  EXPECT_FALSE(ParseRtcp({}).has_value());
}

}  // namespace
}  // namespace tutti::media
