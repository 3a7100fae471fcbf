#include "mixer/tick_load.h"

#include <gtest/gtest.h>

namespace tutti::mixer {
namespace {

TEST(TickLoadTest, TheFirstTickIsTheAverage) {
  EXPECT_DOUBLE_EQ(SmoothTickNs(-1, 2'000'000), 2'000'000);
}

TEST(TickLoadTest, OneSlowTickMovesTheAverageByAFiftieth) {
  const double steady = 1'000'000;
  const double after_spike = SmoothTickNs(steady, steady + 50'000'000);
  EXPECT_DOUBLE_EQ(after_spike, steady + 1'000'000);
}

TEST(TickLoadTest, ASecondOfSlowerTicksReachesMostOfTheNewLevel) {
  double average = 1'000'000;
  for (int tick = 0; tick < kTickLoadSmoothingTicks; ++tick) {
    average = SmoothTickNs(average, 3'000'000);
  }
  // 1 - (1 - 1/50)^50 of the step: 63.6%.
  EXPECT_NEAR(average, 1'000'000 + 2'000'000 * 0.636, 2'000);
  for (int tick = 0; tick < 10 * kTickLoadSmoothingTicks; ++tick) {
    average = SmoothTickNs(average, 3'000'000);
  }
  EXPECT_NEAR(average, 3'000'000, 50);  // 11 s on: (49/50)^550 of the step is left
}

constexpr int64_t kWindow = LoadMeter::kWindowNs;

TEST(LoadMeterTest, ZeroUntilAWindowCloses) {
  LoadMeter meter;
  EXPECT_FALSE(meter.Update(1'000'000'000, 0));
  EXPECT_FALSE(meter.Update(1'000'000'000 + kWindow - 1, 0));
  EXPECT_EQ(meter.permille(), 0u);
  EXPECT_TRUE(meter.Update(1'000'000'000 + kWindow, 0));  // never idle: fully busy
  EXPECT_EQ(meter.permille(), 1000u);
}

TEST(LoadMeterTest, BusyIsWallTimeNotIdle) {
  LoadMeter meter;
  int64_t now = 0;
  uint64_t idle = 0;
  meter.Update(now, idle);
  // A quarter of each window busy.
  now += kWindow;
  idle += static_cast<uint64_t>(kWindow) * 3 / 4;
  ASSERT_TRUE(meter.Update(now, idle));
  EXPECT_EQ(meter.permille(), 250u);
}

TEST(LoadMeterTest, AStepShowsMostlyWithinASecond) {
  LoadMeter meter;
  int64_t now = 0;
  uint64_t idle = 0;
  meter.Update(now, idle);
  for (int i = 0; i < 20; ++i) {  // idle for 2 s
    now += kWindow;
    idle += kWindow;
    meter.Update(now, idle);
  }
  EXPECT_EQ(meter.permille(), 0u);
  for (int i = 0; i < 10; ++i) {  // then a second at 80%
    now += kWindow;
    idle += static_cast<uint64_t>(kWindow) / 5;
    meter.Update(now, idle);
  }
  // 1 - 0.8^10 of the step: 89%.
  EXPECT_NEAR(meter.load(), 0.8 * (1 - 0.107), 0.01);
  // One slow window moves it by a fifth of the difference only.
  const double before = meter.load();
  now += kWindow;
  meter.Update(now, idle);
  EXPECT_NEAR(meter.load(), before + (1 - before) * LoadMeter::kSmoothing, 1e-9);
}

TEST(LoadMeterTest, MoreIdleThanWallTimeIsNoLoad) {
  LoadMeter meter;
  meter.Update(0, 0);
  ASSERT_TRUE(meter.Update(kWindow, 2 * kWindow));  // clocks of two sources: clamp
  EXPECT_EQ(meter.permille(), 0u);
}

}  // namespace
}  // namespace tutti::mixer
