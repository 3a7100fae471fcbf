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

TEST(ParticipantCostMeterTest, NothingIsKnownUntilTheWorkerIsBusy) {
  ParticipantCostMeter meter;
  EXPECT_EQ(meter.cost(), 0.0);
  EXPECT_EQ(meter.measured_participants(), 0.0);
  // 20 participants at 10%: the fixed costs would weigh too much.
  for (int i = 0; i < 50; ++i) meter.Update(0.1, 20);
  EXPECT_EQ(meter.cost(), 0.0);
  EXPECT_NEAR(meter.measured_participants(), 20, 1e-9);
}

TEST(ParticipantCostMeterTest, ParticipantsAreSmoothedLikeTheLoad) {
  // The meter sees participants as the LoadMeter sees their load: a jump
  // from 100 to 200 shows by a fifth per window, so load / participants
  // stays the cost of the ones already measured during a ramp.
  ParticipantCostMeter meter;
  meter.Update(0.4, 100);
  EXPECT_NEAR(meter.measured_participants(), 100, 1e-9);
  EXPECT_NEAR(meter.cost(), 0.004, 1e-12);
  meter.Update(0.48, 200);  // the load moved by a fifth of its step too
  EXPECT_NEAR(meter.measured_participants(), 120, 1e-9);
  EXPECT_NEAR(meter.cost(), 0.004, 1e-6);  // not 0.0024 (0.48 / 200)
}

TEST(ParticipantCostMeterTest, ThePeakIsKeptAndHalvesInTwoMinutes) {
  ParticipantCostMeter meter;
  for (int i = 0; i < 50; ++i) meter.Update(0.8, 1000);  // talking: 0.0008 each
  EXPECT_NEAR(meter.cost(), 0.0008, 1e-6);
  // The rooms go quiet: half the cost each, but the talk may come back.
  for (int i = 0; i < 10; ++i) meter.Update(0.4, 1000);
  EXPECT_NEAR(meter.cost(), 0.0008, 0.00001);
  // Two minutes of 100 ms windows quiet: half the peak, still above now.
  for (int i = 0; i < 1190; ++i) meter.Update(0.4, 1000);
  EXPECT_NEAR(meter.cost(), 0.0004, 0.000002);
  // A costlier shape raises it at once.
  meter.Update(0.9, 1000);
  EXPECT_GT(meter.cost(), 0.0004);
}

}  // namespace
}  // namespace tutti::mixer
