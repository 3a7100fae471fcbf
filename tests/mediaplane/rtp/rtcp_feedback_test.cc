#include "mediaplane/rtp/rtcp_feedback.h"

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/rtp/rtcp_packet.h"

namespace tutti::media {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// Written by hand from the RFC figures: sender SSRC 0x11111111 throughout,
// media SSRC 0x22222222.
const Bytes kPli = {0x81, 0xce, 0x00, 0x02,     // V=2, FMT 1, PSFB, 3 words
                    0x11, 0x11, 0x11, 0x11,     // sender
                    0x22, 0x22, 0x22, 0x22};    // media source (RFC 4585 §6.3.1)
const Bytes kFirTwo = {0x84, 0xce, 0x00, 0x06,  // FMT 4, PSFB, 7 words
                       0x11, 0x11, 0x11, 0x11,  // sender
                       0x00, 0x00, 0x00, 0x00,  // media source: unused (RFC 5104 §4.3.1.2)
                       0x22, 0x22, 0x22, 0x22,  // FCI: SSRC,
                       0x07, 0x00, 0x00, 0x00,  // command sequence number 7, reserved
                       0x33, 0x33, 0x33, 0x33,  // a second entry
                       0xff, 0x00, 0x00, 0x00};
const Bytes kNackTwo = {0x81, 0xcd, 0x00, 0x04,   // FMT 1, RTPFB, 5 words
                        0x11, 0x11, 0x11, 0x11,   // sender
                        0x22, 0x22, 0x22, 0x22,   // media source
                        0x12, 0x34, 0x00, 0x05,   // PID 0x1234, BLP: +1 and +3
                        0xff, 0xff, 0x80, 0x00};  // PID 65535, BLP: +16 (wraps to 15)
// draft-alvestrand-rmcat-remb §2.2: 250000 * 2^2 = 1 Mb/s for two SSRCs.
const Bytes kRemb = {0x8f, 0xce, 0x00, 0x06,  // FMT 15, PSFB, 7 words
                     0x11, 0x11, 0x11, 0x11,  // sender
                     0x00, 0x00, 0x00, 0x00,  // media source: 0
                     'R',  'E',  'M',  'B',   //
                     0x02, 0x0b, 0xd0, 0x90,  // 2 SSRCs, exp 2, mantissa 0x3d090
                     0x22, 0x22, 0x22, 0x22,  //
                     0x33, 0x33, 0x33, 0x33};
// RFC 5104 §4.2.1.1: exp 2, mantissa 128000 (512 kb/s), overhead 40.
const Bytes kTmmbr = {0x83, 0xcd, 0x00, 0x04,  // FMT 3, RTPFB, 5 words
                      0x11, 0x11, 0x11, 0x11,  // sender
                      0x00, 0x00, 0x00, 0x00,  // media source: unused
                      0x22, 0x22, 0x22, 0x22,  // FCI: SSRC
                      0x0b, 0xe8, 0x00, 0x28};

Bytes ReceiverReport(uint32_t ssrc) {
  std::array<uint8_t, 128> buffer{};
  const size_t length = WriteRtcp(ssrc, nullptr, {}, "tutti", false, buffer);
  return Bytes(buffer.begin(), buffer.begin() + length);
}

// The one TMMBR entry `feedback` holds.
void ExpectOneTmmbr(const RtcpFeedback& feedback, uint32_t ssrc, uint64_t bps, uint16_t overhead) {
  ASSERT_EQ(feedback.tmmbr_count, 1);
  EXPECT_EQ(feedback.tmmbr[0].ssrc, ssrc);
  EXPECT_EQ(feedback.tmmbr[0].bps, bps);
  EXPECT_EQ(feedback.tmmbr[0].overhead, overhead);
}

TEST(RtcpFeedbackTest, ReadsHandWrittenPackets) {
  auto pli = ParseRtcpFeedback(kPli);
  ASSERT_TRUE(pli.has_value());
  EXPECT_EQ(pli->sender_ssrc, 0x11111111u);
  ASSERT_EQ(pli->pli_count, 1);
  EXPECT_EQ(pli->pli_ssrc[0], 0x22222222u);
  EXPECT_TRUE(pli->any());

  auto fir = ParseRtcpFeedback(kFirTwo);
  ASSERT_TRUE(fir.has_value());
  ASSERT_EQ(fir->fir_count, 2);
  EXPECT_EQ(fir->fir[0].ssrc, 0x22222222u);
  EXPECT_EQ(fir->fir[0].seq, 7);
  EXPECT_EQ(fir->fir[1].ssrc, 0x33333333u);
  EXPECT_EQ(fir->fir[1].seq, 255);
  EXPECT_EQ(fir->pli_count, 0);

  auto nack = ParseRtcpFeedback(kNackTwo);
  ASSERT_TRUE(nack.has_value());
  ASSERT_EQ(nack->nack_count, 2);
  EXPECT_EQ(nack->nack[0].media_ssrc, 0x22222222u);
  EXPECT_EQ(nack->nack[0].item, (NackItem{0x1234, 0x0005}));
  EXPECT_EQ(nack->nack[1].item, (NackItem{0xffff, 0x8000}));

  auto remb = ParseRtcpFeedback(kRemb);
  ASSERT_TRUE(remb.has_value());
  EXPECT_TRUE(remb->has_remb);
  EXPECT_EQ(remb->remb_bps, 1000000u);
  ASSERT_EQ(remb->remb_ssrc_count, 2);
  EXPECT_EQ(remb->remb_ssrc[0], 0x22222222u);
  EXPECT_EQ(remb->remb_ssrc[1], 0x33333333u);

  auto tmmbr = ParseRtcpFeedback(kTmmbr);
  ASSERT_TRUE(tmmbr.has_value());
  ExpectOneTmmbr(*tmmbr, 0x22222222, 512000, 40);
  EXPECT_FALSE(tmmbr->truncated);
}

TEST(RtcpFeedbackTest, NackedSequencesWrapPastZero) {
  std::vector<uint16_t> named;
  ForEachNackedSequence(NackItem{0x1234, 0x0005}, [&](uint16_t seq) { named.push_back(seq); });
  EXPECT_EQ(named, (std::vector<uint16_t>{0x1234, 0x1235, 0x1237}));
  named.clear();
  ForEachNackedSequence(NackItem{0xfffe, 0x8003}, [&](uint16_t seq) { named.push_back(seq); });
  EXPECT_EQ(named, (std::vector<uint16_t>{0xfffe, 0xffff, 0, 14}));
}

TEST(RtcpFeedbackTest, CompoundOfReportSdesAndPliIsReadByBothParsers) {
  // RFC 4585 §3.1: RR, SDES, then the feedback.
  const Bytes compound = Concat({ReceiverReport(0x44444444), kPli, kNackTwo});
  auto feedback = ParseRtcpFeedback(compound);
  ASSERT_TRUE(feedback.has_value());
  EXPECT_EQ(feedback->sender_ssrc, 0x44444444u);  // the RR's, the first packet's
  EXPECT_EQ(feedback->pli_count, 1);
  EXPECT_EQ(feedback->nack_count, 2);
  auto summary = ParseRtcp(compound);
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->sender_ssrc, 0x44444444u);
  EXPECT_EQ(summary->cname, "tutti");

  // Without feedback: parsed, nothing in it.
  auto plain = ParseRtcpFeedback(ReceiverReport(0x44444444));
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->any());
  EXPECT_EQ(plain->sender_ssrc, 0x44444444u);
}

TEST(RtcpFeedbackTest, CompoundValidityIsParseRtcps) {
  // A malformed packet anywhere in the compound spoils the feedback too.
  Bytes bad_report = Concat({ReceiverReport(5), kPli});
  bad_report[0] = 0x83;  // three report blocks the RR does not hold
  EXPECT_FALSE(ParseRtcp(bad_report).has_value());
  EXPECT_FALSE(ParseRtcpFeedback(bad_report).has_value());
  Bytes truncated = Concat({ReceiverReport(5), kPli});
  truncated.pop_back();
  EXPECT_FALSE(ParseRtcpFeedback(truncated).has_value());
  Bytes bad_version = kPli;
  bad_version[0] = 0x41;
  EXPECT_FALSE(ParseRtcpFeedback(bad_version).has_value());
  EXPECT_FALSE(ParseRtcpFeedback({}).has_value());
  // Padding only on the last packet, and only within its body.
  Bytes padded_pli = {0xa1, 0xce, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                      0x22, 0x22, 0x22, 0x22, 0x00, 0x00, 0x00, 0x04};
  ASSERT_TRUE(ParseRtcpFeedback(padded_pli).has_value());
  EXPECT_EQ(ParseRtcpFeedback(padded_pli)->pli_count, 1);
  // Padded, then a packet whose last octet would pass for a padding count.
  const Bytes nack_ending_in_4 = {0x81, 0xcd, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                                  0x22, 0x22, 0x22, 0x22, 0x00, 0x01, 0x00, 0x04};
  ASSERT_TRUE(ParseRtcpFeedback(nack_ending_in_4).has_value());
  EXPECT_FALSE(ParseRtcpFeedback(Concat({padded_pli, nack_ending_in_4})).has_value());
  EXPECT_FALSE(ParseRtcp(Concat({padded_pli, nack_ending_in_4})).has_value());
}

TEST(RtcpFeedbackTest, FeedbackWhoseFciDoesNotFitIsMalformed) {
  // Shorter than its two SSRCs.
  const Bytes short_pli = {0x81, 0xce, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11};
  EXPECT_FALSE(ParseRtcpFeedback(short_pli).has_value());
  EXPECT_TRUE(ParseRtcp(short_pli).has_value());  // ParseRtcp skips feedback whole
  // A FIR entry is 8 octets: one word of it is not an entry.
  Bytes half_fir(kFirTwo.begin(), kFirTwo.begin() + 16);
  half_fir[3] = 0x03;
  EXPECT_FALSE(ParseRtcpFeedback(half_fir).has_value());
  // Likewise a TMMBR entry.
  Bytes long_tmmbr = Concat({kTmmbr, Bytes{0x44, 0x44, 0x44, 0x44}});
  long_tmmbr[3] = 0x05;
  EXPECT_FALSE(ParseRtcpFeedback(long_tmmbr).has_value());
  // A NACK item is 4 octets; padding can leave half of one.
  Bytes padded_nack = {0xa1, 0xcd, 0x00, 0x04, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22,
                       0x22, 0x22, 0x12, 0x34, 0x00, 0x05, 0x00, 0x01, 0x00, 0x02};
  EXPECT_FALSE(ParseRtcpFeedback(padded_nack).has_value());
  padded_nack.back() = 4;  // the whole second item is padding: one item
  ASSERT_TRUE(ParseRtcpFeedback(padded_nack).has_value());
  EXPECT_EQ(ParseRtcpFeedback(padded_nack)->nack_count, 1);
  // A REMB counting more SSRCs than it holds, and one cut before its bitrate.
  Bytes overcounted_remb = kRemb;
  overcounted_remb[16] = 3;
  EXPECT_FALSE(ParseRtcpFeedback(overcounted_remb).has_value());
  Bytes cut_remb(kRemb.begin(), kRemb.begin() + 16);
  cut_remb[3] = 0x03;
  EXPECT_FALSE(ParseRtcpFeedback(cut_remb).has_value());
}

TEST(RtcpFeedbackTest, OtherFeedbackIsSkipped) {
  // TMMBN (RTPFB 4), SLI (PSFB 2), and an application-layer FB that is not REMB.
  Bytes tmmbn = kTmmbr;
  tmmbn[0] = 0x84;
  Bytes sli = kPli;
  sli[0] = 0x82;
  sli[3] = 0x03;
  sli.insert(sli.end(), {0x00, 0x01, 0x00, 0x40});
  Bytes other_afb = kRemb;
  other_afb[12] = 'X';
  auto feedback = ParseRtcpFeedback(Concat({ReceiverReport(9), tmmbn, sli, other_afb}));
  ASSERT_TRUE(feedback.has_value());
  EXPECT_FALSE(feedback->any());
}

TEST(RtcpFeedbackTest, EntriesBeyondTheBoundsAreCountedNotRead) {
  Bytes plis;
  for (int i = 0; i < kMaxFeedbackEntries + 1; ++i)
    plis.insert(plis.end(), kPli.begin(), kPli.end());
  auto feedback = ParseRtcpFeedback(plis);
  ASSERT_TRUE(feedback.has_value());
  EXPECT_EQ(feedback->pli_count, kMaxFeedbackEntries);
  EXPECT_TRUE(feedback->truncated);

  std::array<NackItem, kMaxNackItems + 3> items{};
  for (size_t i = 0; i < items.size(); ++i) items[i].packet_id = static_cast<uint16_t>(100 * i);
  std::array<uint8_t, 512> buffer{};
  const size_t length = WriteNack(1, 2, items, buffer);
  ASSERT_GT(length, 0u);
  auto nacks = ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), length));
  ASSERT_TRUE(nacks.has_value());
  ASSERT_EQ(nacks->nack_count, kMaxNackItems);
  EXPECT_EQ(nacks->nack[kMaxNackItems - 1].item.packet_id, 100 * (kMaxNackItems - 1));
  EXPECT_TRUE(nacks->truncated);

  std::array<uint32_t, kMaxFeedbackEntries + 1> ssrcs{};
  const size_t remb_length = WriteRemb(1, 5000, ssrcs, buffer);
  auto remb = ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), remb_length));
  ASSERT_TRUE(remb.has_value());
  EXPECT_EQ(remb->remb_ssrc_count, kMaxFeedbackEntries);
  EXPECT_TRUE(remb->truncated);
}

TEST(RtcpFeedbackTest, WritersMatchTheHandWrittenPackets) {
  std::array<uint8_t, 64> buffer{};
  auto written = [&buffer](size_t length) {
    return Bytes(buffer.begin(), buffer.begin() + length);
  };
  EXPECT_EQ(written(WritePli(0x11111111, 0x22222222, buffer)), kPli);
  EXPECT_EQ(written(WriteTmmbr(0x11111111, 0x22222222, 512000, 40, buffer)), kTmmbr);
  const std::array<uint32_t, 2> ssrcs = {0x22222222, 0x33333333};
  EXPECT_EQ(written(WriteRemb(0x11111111, 1000000, ssrcs, buffer)), kRemb);
  const std::array<NackItem, 2> items = {NackItem{0x1234, 0x0005}, NackItem{0xffff, 0x8000}};
  EXPECT_EQ(written(WriteNack(0x11111111, 0x22222222, items, buffer)), kNackTwo);
  const Bytes first_fir(kFirTwo.begin(), kFirTwo.begin() + 20);
  Bytes one_fir = first_fir;
  one_fir[3] = 0x04;
  EXPECT_EQ(written(WriteFir(0x11111111, 0x22222222, 7, buffer)), one_fir);
}

TEST(RtcpFeedbackTest, EveryWriterRoundTripsAfterAReport) {
  std::array<uint8_t, 256> buffer{};
  const Bytes report = ReceiverReport(0xabcdef01);
  std::copy(report.begin(), report.end(), buffer.begin());
  std::span<uint8_t> rest = std::span<uint8_t>(buffer).subspan(report.size());
  size_t length = report.size();
  auto append = [&](size_t written) {
    ASSERT_GT(written, 0u);
    EXPECT_EQ(written % 4, 0u);
    length += written;
    rest = rest.subspan(written);
  };
  append(WritePli(1, 0x100, rest));
  append(WriteFir(1, 0x200, 42, rest));
  const std::array<NackItem, 3> items = {NackItem{1, 0}, NackItem{65535, 0xffff}, NackItem{7, 1}};
  append(WriteNack(1, 0x300, items, rest));
  const std::array<uint32_t, 1> ssrcs = {0x400};
  append(WriteRemb(1, 300000, ssrcs, rest));
  append(WriteTmmbr(1, 0x500, 64000, 28, rest));

  const std::span<const uint8_t> compound(buffer.data(), length);
  ASSERT_TRUE(ParseRtcp(compound).has_value());
  auto feedback = ParseRtcpFeedback(compound);
  ASSERT_TRUE(feedback.has_value());
  EXPECT_EQ(feedback->sender_ssrc, 0xabcdef01u);
  ASSERT_EQ(feedback->pli_count, 1);
  EXPECT_EQ(feedback->pli_ssrc[0], 0x100u);
  ASSERT_EQ(feedback->fir_count, 1);
  EXPECT_EQ(feedback->fir[0].ssrc, 0x200u);
  EXPECT_EQ(feedback->fir[0].seq, 42);
  ASSERT_EQ(feedback->nack_count, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(feedback->nack[i].media_ssrc, 0x300u);
    EXPECT_EQ(feedback->nack[i].item, items[i]);
  }
  EXPECT_TRUE(feedback->has_remb);
  EXPECT_EQ(feedback->remb_bps, 300000u);
  ASSERT_EQ(feedback->remb_ssrc_count, 1);
  EXPECT_EQ(feedback->remb_ssrc[0], 0x400u);
  ExpectOneTmmbr(*feedback, 0x500, 64000, 28);
  EXPECT_FALSE(feedback->truncated);
}

TEST(RtcpFeedbackTest, WritersNeedRoom) {
  std::array<uint8_t, 64> buffer{};
  const std::span<uint8_t> out(buffer);
  EXPECT_EQ(WritePli(1, 2, out.first(11)), 0u);
  EXPECT_EQ(WriteFir(1, 2, 3, out.first(19)), 0u);
  EXPECT_EQ(WriteTmmbr(1, 2, 3, 4, out.first(19)), 0u);
  const std::array<NackItem, 2> items{};
  EXPECT_EQ(WriteNack(1, 2, items, out.first(19)), 0u);
  EXPECT_EQ(WriteNack(1, 2, {}, out), 0u);  // a NACK names at least one packet
  const std::array<uint32_t, 2> ssrcs{};
  EXPECT_EQ(WriteRemb(1, 2, ssrcs, out.first(27)), 0u);
  EXPECT_EQ(WriteRemb(1, 2, ssrcs, out.first(28)), 28u);
}

// What a written bitrate reads back as.
uint64_t RembRoundTrip(uint64_t bps) {
  std::array<uint8_t, 32> buffer{};
  const size_t length = WriteRemb(1, bps, {}, buffer);
  return ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), length))->remb_bps;
}

uint64_t TmmbrRoundTrip(uint64_t bps) {
  std::array<uint8_t, 32> buffer{};
  const size_t length = WriteTmmbr(1, 2, bps, 0, buffer);
  return ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), length))->tmmbr[0].bps;
}

TEST(RtcpFeedbackTest, BitratesRoundDownNeverUp) {
  // Exact where the mantissa holds the value.
  EXPECT_EQ(RembRoundTrip(0), 0u);
  EXPECT_EQ(RembRoundTrip((1u << 18) - 1), (1u << 18) - 1);
  EXPECT_EQ(TmmbrRoundTrip((1u << 17) - 1), (1u << 17) - 1);
  // One past it loses the low bit: down, to 2^18, not up to 2^18 + 2.
  EXPECT_EQ(RembRoundTrip((1u << 18) + 1), 1u << 18);
  EXPECT_EQ(TmmbrRoundTrip((1u << 17) + 1), 1u << 17);
  // Values with many low bits set: never above, within one step below.
  for (uint64_t bps : std::initializer_list<uint64_t>{
           1'499'999, 2'000'001, 123'456'789, 0xffffffffff, std::numeric_limits<uint64_t>::max()}) {
    const uint64_t remb = RembRoundTrip(bps);
    EXPECT_LE(remb, bps);
    EXPECT_GT(remb, bps - bps / (1u << 17)) << bps;
    const uint64_t tmmbr = TmmbrRoundTrip(bps);
    EXPECT_LE(tmmbr, bps);
    EXPECT_GT(tmmbr, bps - bps / (1u << 16)) << bps;
  }
}

TEST(RtcpFeedbackTest, BitrateExponentOverflowReadsAsUnlimited) {
  Bytes remb = kRemb;
  remb[17] = 0xff;  // exponent 63, mantissa 0x3d090
  EXPECT_EQ(ParseRtcpFeedback(remb)->remb_bps, std::numeric_limits<uint64_t>::max());
  Bytes tmmbr = kTmmbr;
  tmmbr[16] = 0xfb;  // exponent 62, mantissa 128000
  EXPECT_EQ(ParseRtcpFeedback(tmmbr)->tmmbr[0].bps, std::numeric_limits<uint64_t>::max());
  // An overhead over 9 bits is cut to 511, not spilt into the mantissa.
  std::array<uint8_t, 32> buffer{};
  const size_t length = WriteTmmbr(1, 2, 1000, 0xffff, buffer);
  auto parsed = ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), length));
  EXPECT_EQ(parsed->tmmbr[0].overhead, 511);
  EXPECT_EQ(parsed->tmmbr[0].bps, 1000u);
}

TEST(RtcpFeedbackTest, TwoRembsInACompoundKeepTheLower) {
  std::array<uint8_t, 64> buffer{};
  size_t length = WriteRemb(1, 800000, {}, buffer);
  length += WriteRemb(1, 300000, {}, std::span<uint8_t>(buffer).subspan(length));
  length += WriteRemb(1, 500000, {}, std::span<uint8_t>(buffer).subspan(length));
  auto feedback = ParseRtcpFeedback(std::span<const uint8_t>(buffer.data(), length));
  ASSERT_TRUE(feedback.has_value());
  EXPECT_EQ(feedback->remb_bps, 300000u);
}

std::vector<NackItem> Pack(const std::vector<uint16_t>& lost, size_t room = 16) {
  std::vector<NackItem> items(room);
  items.resize(PackNackItems(lost, items));
  return items;
}

std::vector<uint16_t> Unpack(const std::vector<NackItem>& items) {
  std::vector<uint16_t> lost;
  for (const NackItem& item : items) {
    ForEachNackedSequence(item, [&lost](uint16_t seq) { lost.push_back(seq); });
  }
  return lost;
}

TEST(RtcpFeedbackTest, PacksLostSequencesIntoFewItems) {
  EXPECT_TRUE(Pack({}).empty());
  // 100 and the 16 after it share an item; 117 is one too far.
  const std::vector<uint16_t> lost = {100, 101, 116, 117, 200};
  const std::vector<NackItem> items = Pack(lost);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], (NackItem{100, 0x8001}));
  EXPECT_EQ(items[1], (NackItem{117, 0}));
  EXPECT_EQ(items[2], (NackItem{200, 0}));
  EXPECT_EQ(Unpack(items), lost);
  // Repeats are not named twice.
  EXPECT_EQ(Pack({5, 5, 6, 6}), (std::vector<NackItem>{{5, 0x0001}}));
}

TEST(RtcpFeedbackTest, PackingRunsOnAcrossTheWrap) {
  const std::vector<uint16_t> lost = {65533, 65535, 0, 12, 13, 14, 40000};
  const std::vector<NackItem> items = Pack(lost);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], (NackItem{65533, 0x0002 | 0x0004 | 0x4000 | 0x8000}));  // +2 +3 +15 +16
  EXPECT_EQ(items[1], (NackItem{14, 0}));
  EXPECT_EQ(items[2], (NackItem{40000, 0}));
  EXPECT_EQ(Unpack(items), lost);
  // A number that goes back is not folded into the item before it.
  EXPECT_EQ(Pack({10, 3}), (std::vector<NackItem>{{10, 0}, {3, 0}}));
}

TEST(RtcpFeedbackTest, PackingStopsWhenItemsRunOut) {
  const std::vector<NackItem> items = Pack({10, 11, 50, 60, 70}, 2);
  EXPECT_EQ(items, (std::vector<NackItem>{{10, 0x0001}, {50, 0x0200}}));
}

}  // namespace
}  // namespace tutti::media
