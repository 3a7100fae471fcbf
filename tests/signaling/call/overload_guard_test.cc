#include "signaling/call/overload_guard.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

TEST(OverloadGuardTest, BurstThenRefillAtTheConfiguredRate) {
  OverloadGuard guard(/*requests_per_second=*/10, /*burst=*/3, /*max_calls=*/100);
  const absl::Time t0 = absl::UnixEpoch() + absl::Hours(1);
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_FALSE(guard.AdmitRequest(t0));
  EXPECT_EQ(guard.requests_refused(), 1u);
  // 100 ms at 10/s refills one token, not more.
  EXPECT_TRUE(guard.AdmitRequest(t0 + absl::Milliseconds(100)));
  EXPECT_FALSE(guard.AdmitRequest(t0 + absl::Milliseconds(100)));
  // A long quiet spell refills only up to the burst.
  const absl::Time later = t0 + absl::Seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(guard.AdmitRequest(later));
  EXPECT_FALSE(guard.AdmitRequest(later));
}

TEST(OverloadGuardTest, CallLimit) {
  OverloadGuard guard(100, 100, /*max_calls=*/2);
  EXPECT_TRUE(guard.AdmitCall(0));
  EXPECT_TRUE(guard.AdmitCall(1));
  EXPECT_FALSE(guard.AdmitCall(2));
  EXPECT_EQ(guard.calls_refused(), 1u);
}

}  // namespace
}  // namespace tutti
