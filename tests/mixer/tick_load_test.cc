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

}  // namespace
}  // namespace tutti::mixer
