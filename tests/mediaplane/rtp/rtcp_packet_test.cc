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

// As linphonec 5.1 sent them (its SSRCs are random; its CNAME is
// sip:linphone@127.0.0.1, a TOOL item follows): an SR before it has heard
// anything, then one with a report block about tutti's stream.
const std::vector<uint8_t> kLinphoneSrAlone = {
    0x80, 0xc8, 0x00, 0x06, 0xf7, 0xe4, 0xd9, 0x9c, 0xee, 0xbe, 0x4b, 0xa9, 0x28, 0x9c, 0x0a, 0x8d,
    0xb1, 0xf9, 0x78, 0xc4, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x19, 0xd0, 0x81, 0xca, 0x00, 0x0c,
    0xf7, 0xe4, 0xd9, 0x9c, 0x01, 0x16, 's',  'i',  'p',  ':',  'l',  'i',  'n',  'p',  'h',  'o',
    'n',  'e',  '@',  '1',  '2',  '7',  '.',  '0',  '.',  '0',  '.',  '1',  0x06, 0x10, 'L',  'i',
    'n',  'p',  'h',  'o',  'n',  'e',  'c',  '/',  '5',  '.',  '1',  '.',  '6',  '5',  0x00, 0x00};
const std::vector<uint8_t> kLinphoneSrWithBlock = {
    0x81, 0xc8, 0x00, 0x0c, 0xba, 0x6d, 0x86, 0x79, 0xee, 0xbe, 0x4c, 0xc0, 0xf8, 0x30, 0x8f,
    0xea, 0x3e, 0x6c, 0x27, 0x82, 0x00, 0x00, 0x00, 0x49, 0x00, 0x00, 0x17, 0xb1, 0xf6, 0xc7,
    0xeb, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0xca, 0x00, 0x0c, 0xba, 0x6d, 0x86, 0x79,
    0x01, 0x16, 's',  'i',  'p',  ':',  'l',  'i',  'n',  'p',  'h',  'o',  'n',  'e',  '@',
    '1',  '2',  '7',  '.',  '0',  '.',  '0',  '.',  '1',  0x06, 0x10, 'L',  'i',  'n',  'p',
    'h',  'o',  'n',  'e',  'c',  '/',  '5',  '.',  '1',  '.',  '6',  '5',  0x00, 0x00};

TEST(RtcpPacketTest, LinphoneSenderReportsAreRead) {
  auto alone = ParseRtcp(kLinphoneSrAlone);
  ASSERT_TRUE(alone.has_value());
  EXPECT_TRUE(alone->has_sender_report);
  EXPECT_EQ(alone->sender_ssrc, 0xf7e4d99cu);
  EXPECT_EQ(alone->report_count, 0);
  EXPECT_EQ(alone->cname, "sip:linphone@127.0.0.1");
  auto with_block = ParseRtcp(kLinphoneSrWithBlock);
  ASSERT_TRUE(with_block.has_value());
  ASSERT_EQ(with_block->report_count, 1);
  EXPECT_EQ(with_block->reports[0].ssrc, 0xf6c7eb09u);
  EXPECT_EQ(with_block->reports[0].highest_sequence, 0x901fu);
  EXPECT_EQ(with_block->cname, "sip:linphone@127.0.0.1");
}

TEST(RtcpPacketTest, XrAppAndFeedbackAreSkippedWhole) {
  std::vector<uint8_t> compound(kLinphoneSrAlone);
  // RFC 3611 XR: a Receiver Reference Time block (BT 4) and a VoIP Metrics
  // block (BT 7), as a phone that negotiated a=rtcp-xr sends them.
  const std::vector<uint8_t> xr = {
      0x80, 0xcf, 0x00, 0x0d, 0xf7, 0xe4, 0xd9, 0x9c,  // header, 14 words; sender SSRC
      0x04, 0x00, 0x00, 0x02, 0xee, 0xbe, 0x4b, 0xa9, 0x28, 0x9c, 0x0a, 0x8d,  // RRT: NTP time
      0x07, 0x00, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44,  // VoIP metrics about SSRC 0x11223344:
      0x05, 0x00, 0x10, 0x00, 0x00, 0x14, 0x00, 0x00,  // loss, discard, burst and gap figures,
      0x00, 0x3c, 0x00, 0x0a, 0x7f, 0x7f, 0x10, 0x7f,  // delays, levels,
      0x5d, 0x7f, 0x7f, 0x7f, 0x10, 0x00, 0x00, 0x14,  // R factor, MOS, jitter buffer
      0x00, 0x3c, 0x00, 0x50};
  // APP "PING", an RTPFB generic NACK (RFC 4585) and a PSFB PLI.
  const std::vector<uint8_t> app = {0x80, 0xcc, 0x00, 0x03, 0xf7, 0xe4, 0xd9, 0x9c,
                                    'P',  'I',  'N',  'G',  0x00, 0x00, 0x00, 0x00};
  const std::vector<uint8_t> nack = {0x81, 0xcd, 0x00, 0x03, 0xf7, 0xe4, 0xd9, 0x9c,
                                     0x11, 0x22, 0x33, 0x44, 0x00, 0x10, 0x00, 0x00};
  const std::vector<uint8_t> pli = {0x81, 0xce, 0x00, 0x02, 0xf7, 0xe4,
                                    0xd9, 0x9c, 0x11, 0x22, 0x33, 0x44};
  for (const auto* part : {&xr, &app, &nack, &pli}) {
    compound.insert(compound.end(), part->begin(), part->end());
  }
  auto summary = ParseRtcp(compound);
  ASSERT_TRUE(summary.has_value());
  EXPECT_TRUE(summary->has_sender_report);
  EXPECT_EQ(summary->cname, "sip:linphone@127.0.0.1");
  EXPECT_FALSE(summary->has_bye);
  // Reduced-size (RFC 5506): feedback alone.
  EXPECT_TRUE(ParseRtcp(pli).has_value());
  EXPECT_TRUE(ParseRtcp(xr).has_value());
}

TEST(RtcpPacketTest, PaddingMustFitItsPacketAndIsNotRead) {
  // RR, then an SDES whose CNAME item is cut by 4 octets of padding (P set,
  // the last octet counting the padding): the padding is not an item.
  const std::vector<uint8_t> padded = {0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05,
                                       0xa1, 0xca, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05,
                                       0x01, 0x02, 'a',  'b',  0x00, 0x00, 0x00, 0x04};
  auto summary = ParseRtcp(padded);
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->cname, "ab");
  // CNAME length 6 runs into the padding: only the body may hold it.
  std::vector<uint8_t> item_into_padding = padded;
  item_into_padding[17] = 6;
  ASSERT_TRUE(ParseRtcp(item_into_padding).has_value());
  EXPECT_EQ(ParseRtcp(item_into_padding)->cname, "");
  // A padding count of zero, or longer than the packet's body: malformed.
  std::vector<uint8_t> zero = padded;
  zero.back() = 0;
  EXPECT_FALSE(ParseRtcp(zero).has_value());
  std::vector<uint8_t> too_long = padded;
  too_long.back() = 13;  // the SDES body is 12 octets
  EXPECT_FALSE(ParseRtcp(too_long).has_value());
  too_long.back() = 12;  // all of it padding: still whole
  EXPECT_TRUE(ParseRtcp(too_long).has_value());
  // A report whose blocks would be read out of its padding.
  std::vector<uint8_t> rr_padded = {0xa1, 0xc9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05};
  rr_padded.resize(32, 0);
  rr_padded.back() = 24;
  EXPECT_FALSE(ParseRtcp(rr_padded).has_value());
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
