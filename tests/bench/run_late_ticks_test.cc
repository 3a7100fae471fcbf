#include "bench/tutti_load/run_late_ticks.h"

#include <initializer_list>
#include <optional>

#include "gtest/gtest.h"

namespace tutti::load {
namespace {

// The count after the server's run-start total (if known) and the totals
// the progress line's /metrics thread saw, in order.
int64_t CountAfter(std::optional<int64_t> start, std::initializer_list<int64_t> observed) {
  RunLateTicks ticks;
  if (start) ticks.Start(*start);
  for (int64_t total : observed) ticks.Observe(total);
  return ticks.count();
}

// The progress line printed the server's late ticks since tuttid started
// (its /metrics total), the summary those of the run: on a server with 120
// late ticks behind it, a clean run showed 120 in every progress line.
TEST(RunLateTicksTest, CountsFromTheRunsStartNotTheServers) {
  EXPECT_EQ(CountAfter(120, {120}), 0);
  EXPECT_EQ(CountAfter(120, {120, 123}), 3);
  EXPECT_EQ(CountAfter(120, {125}), 5);  // late ticks before the first sample count too
}

TEST(RunLateTicksTest, NothingObservedIsUnknown) {
  EXPECT_EQ(CountAfter(std::nullopt, {}), -1);  // printed as "?"
  EXPECT_EQ(CountAfter(120, {}), -1);
}

TEST(RunLateTicksTest, WithoutAStartTheFirstObservationIsIt) {
  EXPECT_EQ(CountAfter(std::nullopt, {500, 507}), 7);
}

TEST(RunLateTicksTest, AServerRestartedMeanwhileCountsNoNegativeTicks) {
  EXPECT_EQ(CountAfter(900, {4}), 0);
}

}  // namespace
}  // namespace tutti::load
