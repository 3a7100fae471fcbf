#include "mediaplane/rtp/receive_statistics.h"

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

using Verdict = ReceiveStatistics::Verdict;

TEST(ReceiveStatisticsTest, CountsAcrossSequenceWrap) {
  ReceiveStatistics stats;
  uint16_t sequence = 65530;
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(stats.Update(sequence++, 160u * i, 160u * i), Verdict::kAccepted);
  }
  EXPECT_EQ(stats.extended_highest_sequence(), 0x10000u + 5);
  EXPECT_EQ(stats.received(), 12u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
  EXPECT_EQ(stats.jitter(), 0u);
}

TEST(ReceiveStatisticsTest, LossAndFractionPerInterval) {
  ReceiveStatistics stats;
  for (uint16_t s = 0; s < 100; ++s) {
    if (s % 10 == 3) continue;  // 10% loss
    stats.Update(s, 160u * s, 160u * s);
  }
  EXPECT_EQ(stats.cumulative_lost(), 10);
  ReportBlock first = stats.MakeReportBlock(9);
  EXPECT_EQ(first.ssrc, 9u);
  EXPECT_EQ(first.cumulative_lost, 10);
  EXPECT_EQ(first.fraction_lost, 25);  // 10/100 * 256, truncated
  for (uint16_t s = 100; s < 200; ++s) stats.Update(s, 160u * s, 160u * s);
  EXPECT_EQ(stats.MakeReportBlock(9).fraction_lost, 0);
}

TEST(ReceiveStatisticsTest, DuplicatesAndReorderingAreTold) {
  ReceiveStatistics stats;
  stats.Update(10, 0, 0);
  stats.Update(12, 320, 320);
  EXPECT_EQ(stats.Update(11, 160, 330), Verdict::kAccepted);  // late but new
  EXPECT_EQ(stats.Update(11, 160, 340), Verdict::kDuplicate);
  EXPECT_EQ(stats.Update(12, 320, 350), Verdict::kDuplicate);
  EXPECT_EQ(stats.duplicates(), 2u);
  EXPECT_EQ(stats.received(), 3u);
  EXPECT_EQ(stats.cumulative_lost(), 0);
}

TEST(ReceiveStatisticsTest, LargeJumpNeedsConfirmation) {
  ReceiveStatistics stats;
  stats.Update(100, 0, 0);
  EXPECT_EQ(stats.Update(40000, 0, 0), Verdict::kRestart);
  EXPECT_EQ(stats.extended_highest_sequence(), 100u);  // not accepted yet
  EXPECT_EQ(stats.Update(40001, 160, 160), Verdict::kRestart);
  EXPECT_EQ(stats.extended_highest_sequence(), 40001u);
  EXPECT_EQ(stats.Update(40002, 320, 320), Verdict::kAccepted);
}

TEST(ReceiveStatisticsTest, JitterFollowsArrivalVariation) {
  ReceiveStatistics stats;
  // Arrivals alternate 20 units early and late around the send schedule.
  for (uint16_t s = 0; s < 500; ++s) {
    const uint32_t sent = 160u * s;
    stats.Update(s, sent, sent + ((s % 2) ? 40 : 0));
  }
  // |D| is 40 every packet, so J converges to 40.
  EXPECT_NEAR(stats.jitter(), 40u, 2u);
}

}  // namespace
}  // namespace tutti::media
