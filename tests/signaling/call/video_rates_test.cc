// A camera's bit rates from the worker's byte counters, on a clock the test moves.
#include "signaling/call/video_rates.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

const absl::Time kStart = absl::UnixEpoch() + absl::Hours(1);

TEST(VideoRatesTest, TheBytesBetweenTwoReportsOverTheTimeBetweenThem) {
  VideoRates rates;
  rates.OnReport(1'000'000, 0, kStart);
  EXPECT_EQ(rates.kbps_in(), 0u);  // one report tells no rate
  // 937,500 bytes in 5 s: 1,500 kb/s in; 62,500 bytes out: 100 kb/s.
  rates.OnReport(1'937'500, 62'500, kStart + absl::Seconds(5));
  EXPECT_EQ(rates.kbps_in(), 1500u);
  EXPECT_EQ(rates.kbps_out(), 100u);
  // Each rate is the last interval's, not the average since the start.
  rates.OnReport(1'937'500, 125'000, kStart + absl::Seconds(10));
  EXPECT_EQ(rates.kbps_in(), 0u);
  EXPECT_EQ(rates.kbps_out(), 100u);
}

TEST(VideoRatesTest, ReportsAtOneInstantAndCountersThatRestart) {
  VideoRates rates;
  rates.OnReport(0, 0, kStart);
  rates.OnReport(500'000, 0, kStart + absl::Seconds(4));
  EXPECT_EQ(rates.kbps_in(), 1000u);
  // A second report at the same instant says nothing of a rate: kept, and the
  // next interval counts from the earlier report.
  rates.OnReport(600'000, 0, kStart + absl::Seconds(4));
  EXPECT_EQ(rates.kbps_in(), 1000u);
  rates.OnReport(1'000'000, 0, kStart + absl::Seconds(8));
  EXPECT_EQ(rates.kbps_in(), 1000u);
  // A stream the worker began again counts from zero, never a huge number.
  rates.OnReport(250'000, 0, kStart + absl::Seconds(10));
  EXPECT_EQ(rates.kbps_in(), 1000u);
}

}  // namespace
}  // namespace tutti
