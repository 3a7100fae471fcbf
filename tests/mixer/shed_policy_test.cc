#include "mixer/shed_policy.h"

#include <gtest/gtest.h>

namespace tutti::mixer {
namespace {

constexpr int64_t kStart = 5'000'000;
constexpr int64_t kSecond = ShedPolicy::kStepIntervalUs;

TEST(ShedPolicyTest, StepsUpAboveShedLoadOncePerInterval) {
  ShedPolicy policy(0.85, 0.70, kStart);
  EXPECT_EQ(policy.Update(kStart + kSecond / 2, 0.95), 0);  // too soon after start
  EXPECT_EQ(policy.Update(kStart + kSecond, 0.95), 1);
  EXPECT_EQ(policy.level(), 1);
  EXPECT_EQ(policy.Update(kStart + kSecond + 1, 0.95), 0);  // one step per interval
  EXPECT_EQ(policy.Update(kStart + 2 * kSecond - 1, 0.95), 0);
  EXPECT_EQ(policy.Update(kStart + 2 * kSecond, 0.95), 1);
  EXPECT_EQ(policy.level(), 2);
}

TEST(ShedPolicyTest, HoldsBetweenTheThresholds) {
  ShedPolicy policy(0.85, 0.70, kStart);
  EXPECT_EQ(policy.Update(kStart + kSecond, 0.90), 1);
  for (int i = 2; i < 10; ++i) EXPECT_EQ(policy.Update(kStart + i * kSecond, 0.78), 0);
  EXPECT_EQ(policy.level(), 1);
  EXPECT_EQ(policy.Update(kStart + 10 * kSecond, 0.85), 0);  // at the threshold: not above
  EXPECT_EQ(policy.Update(kStart + 11 * kSecond, 0.70), 0);  // nor below
}

TEST(ShedPolicyTest, StaysWithinItsLevels) {
  ShedPolicy policy(0.85, 0.70, kStart);
  int64_t now = kStart;
  for (int i = 0; i < 10; ++i) policy.Update(now += kSecond, 1.0);
  EXPECT_EQ(policy.level(), ShedPolicy::kMaxLevel);
  EXPECT_EQ(policy.Update(now += kSecond, 1.0), 0);
  for (int i = 0; i < 10; ++i) policy.Update(now += kSecond, 0.0);
  EXPECT_EQ(policy.level(), 0);
  EXPECT_EQ(policy.Update(now += kSecond, 0.0), 0);
}

TEST(ShedPolicyTest, ReversesOnlyAnIntervalAfterTheLastStep) {
  ShedPolicy policy(0.85, 0.70, kStart);
  EXPECT_EQ(policy.Update(kStart + kSecond, 0.9), 1);
  EXPECT_EQ(policy.Update(kStart + kSecond + kSecond / 2, 0.1), 0);  // the step has not shown yet
  EXPECT_EQ(policy.Update(kStart + 2 * kSecond, 0.1), -1);
  EXPECT_EQ(policy.level(), 0);
  EXPECT_EQ(policy.Update(kStart + 3 * kSecond, 0.9), 1);
}

TEST(ShedPolicyTest, ZeroShedLoadDisablesIt) {
  ShedPolicy policy(0, 0, kStart);
  for (int i = 1; i < 5; ++i) EXPECT_EQ(policy.Update(kStart + i * kSecond, 1.0), 0);
  EXPECT_EQ(policy.level(), 0);
}

TEST(ShedPolicyTest, ARestoreLoadAboveTheShedLoadDoesNotOscillate) {
  ShedPolicy policy(0.6, 0.9, kStart);  // misconfigured: restore taken as 0.6
  EXPECT_EQ(policy.Update(kStart + kSecond, 0.7), 1);
  EXPECT_EQ(policy.Update(kStart + 2 * kSecond, 0.7), 1);  // still above: more
  EXPECT_EQ(policy.Update(kStart + 3 * kSecond, 0.6), 0);
  EXPECT_EQ(policy.Update(kStart + 4 * kSecond, 0.5), -1);
}

}  // namespace
}  // namespace tutti::mixer
