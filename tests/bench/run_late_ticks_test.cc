#include "bench/tutti_load/run_late_ticks.h"

#include "gtest/gtest.h"

namespace tutti::load {
namespace {

// The progress line printed the server's late ticks since tuttid started
// (its /metrics total), the summary those of the run: on a server with 120
// late ticks behind it, a clean run showed 120 in every progress line.
TEST(RunLateTicksTest, CountsFromTheRunsStartNotTheServers) {
  RunLateTicks ticks;
  EXPECT_EQ(ticks.count(), -1);  // nothing observed yet: "?"
  ticks.Start(120);
  EXPECT_EQ(ticks.count(), -1);
  ticks.Observe(120);
  EXPECT_EQ(ticks.count(), 0);
  ticks.Observe(123);
  EXPECT_EQ(ticks.count(), 3);
}

TEST(RunLateTicksTest, WithoutAStartTheFirstObservationIsIt) {
  RunLateTicks ticks;
  ticks.Observe(500);
  EXPECT_EQ(ticks.count(), 0);
  ticks.Observe(507);
  EXPECT_EQ(ticks.count(), 7);
}

TEST(RunLateTicksTest, AServerRestartedMeanwhileCountsNoNegativeTicks) {
  RunLateTicks ticks;
  ticks.Start(900);
  ticks.Observe(4);
  EXPECT_EQ(ticks.count(), 0);
}

}  // namespace
}  // namespace tutti::load
