#include "common/log_rate_limit.h"

#include <gtest/gtest.h>

namespace tutti {
namespace {

TEST(LogRateLimitTest, AllowsTheBurstThenHoldsBackAndSaysHowMany) {
  LogRateLimit limit(/*per_second=*/2, /*burst=*/3);
  uint64_t held = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limit.AllowAt(1'000'000, &held)) << i;
    EXPECT_EQ(held, 0u);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limit.AllowAt(1'000'000, &held));
  // Half a second later one token has come back: one line, naming the 1000.
  ASSERT_TRUE(limit.AllowAt(1'500'000, &held));
  EXPECT_EQ(held, 1000u);
  EXPECT_FALSE(limit.AllowAt(1'500'000, &held));
}

TEST(LogRateLimitTest, AFloodWritesAtTheConfiguredRateNotItsOwn) {
  LogRateLimit limit(/*per_second=*/5, /*burst=*/5);
  uint64_t held = 0;
  int written = 0;
  // 50,000 attempts a second for 10 seconds.
  for (int64_t t = 0; t < 10'000'000; t += 20) written += limit.AllowAt(t, &held) ? 1 : 0;
  EXPECT_GE(written, 50);
  EXPECT_LE(written, 56);
}

TEST(LogRateLimitTest, AQuietPlaceRefillsOnlyUpToItsBurst) {
  LogRateLimit limit(/*per_second=*/10, /*burst=*/2);
  uint64_t held = 0;
  EXPECT_TRUE(limit.AllowAt(0, &held));
  EXPECT_TRUE(limit.AllowAt(0, &held));
  EXPECT_FALSE(limit.AllowAt(0, &held));
  // An hour of quiet earns two lines, not 36,000.
  const int64_t hour = 3600LL * 1'000'000;
  EXPECT_TRUE(limit.AllowAt(hour, &held));
  EXPECT_EQ(held, 1u);
  EXPECT_TRUE(limit.AllowAt(hour, &held));
  EXPECT_FALSE(limit.AllowAt(hour, &held));
}

}  // namespace
}  // namespace tutti
