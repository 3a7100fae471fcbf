#include "mixer/audio_mix.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

TEST(AudioMixTest, LimiterIsTransparentBelowTheKneeAndNeverClips) {
  EXPECT_EQ(SoftLimit(0), 0);
  EXPECT_EQ(SoftLimit(20000), 20000);
  EXPECT_EQ(SoftLimit(-20000), -20000);
  int16_t previous = SoftLimit(23000);
  for (int32_t x = 23001; x < 400000; x += 97) {
    const int16_t y = SoftLimit(x);
    EXPECT_GE(y, previous) << x;  // monotonic
    EXPECT_LT(y, 32767) << x;     // approaches full scale, never clips
    EXPECT_EQ(SoftLimit(-x), -y);
    previous = y;
  }
}

TEST(AudioMixTest, MixMinusLeavesEachTalkerOut) {
  const std::vector<int16_t> a = {100, -200, 300};
  const std::vector<int16_t> b = {1000, 2000, -3000};
  const std::vector<int16_t> c = {5, 5, 5};
  std::vector<int32_t> mix(3, 0);
  Accumulate(mix, a);
  Accumulate(mix, b);
  Accumulate(mix, c);
  std::vector<int16_t> for_a(3), for_b(3), everyone(3);
  MixMinus(mix, a, for_a);
  MixMinus(mix, b, for_b);
  Limit(mix, everyone);
  EXPECT_EQ(for_a, (std::vector<int16_t>{1005, 2005, -2995}));
  EXPECT_EQ(for_b, (std::vector<int16_t>{105, -195, 305}));
  EXPECT_EQ(everyone, (std::vector<int16_t>{1105, 1805, -2695}));
}

TEST(AudioMixTest, LoudSumIsLimitedNotWrapped) {
  const std::vector<int16_t> loud = {30000, -30000};
  std::vector<int32_t> mix(2, 0);
  for (int i = 0; i < 3; ++i) Accumulate(mix, loud);
  std::vector<int16_t> out(2);
  Limit(mix, out);
  EXPECT_GT(out[0], 30000);
  EXPECT_LT(out[1], -30000);
}

}  // namespace
}  // namespace tutti::mixer
