#include "mixer/mix_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

constexpr size_t kFrame = 160;  // 20 ms at 8 kHz

std::vector<int16_t> Constant(int16_t value) { return std::vector<int16_t>(kFrame, value); }

// Runs MixPolicy ticks over given frames, one per slot, and keeps what was
// heard: the shared mix, and what each voice in the mix hears.
class MixPolicyTest : public ::testing::Test {
 protected:
  explicit MixPolicyTest(int max_talkers = 3) : policy_(max_talkers, 3.0f) {}

  void Join(size_t slots) {
    for (size_t i = 0; i < slots; ++i) policy_.Join();
    frames_.resize(policy_.size(), Constant(0));
  }

  struct Voice {
    float level_db = -100.0f;  // below every talker threshold: silent
    bool talking = false;
    bool muted = false;
  };
  static Voice Talking(float level_db) { return {level_db, true, false}; }

  // One tick: offers, selection, mix. Appends the shared mix to heard_.
  void Tick(const std::vector<Voice>& voices) {
    for (size_t i = 0; i < voices.size(); ++i) {
      policy_.Offer(i, voices[i].level_db, voices[i].talking, voices[i].muted);
    }
    policy_.Select();
    policy_.Mix(kFrame, [this](size_t slot) { return std::span<const int16_t>(frames_[slot]); });
    const std::span<const int16_t> mix = policy_.mix();
    heard_.insert(heard_.end(), mix.begin(), mix.end());
  }

  std::vector<int16_t> Mix() const { return {policy_.mix().begin(), policy_.mix().end()}; }
  std::vector<int16_t> HeardBy(size_t slot) const {
    std::vector<int16_t> out(kFrame);
    policy_.MixMinus(slot, frames_[slot], out);
    return out;
  }

  // The largest step between adjacent samples of everything heard so far,
  // across frame boundaries too.
  int LargestStep() const {
    int largest = 0;
    for (size_t i = 1; i < heard_.size(); ++i) {
      largest = std::max(largest, std::abs(heard_[i] - heard_[i - 1]));
    }
    return largest;
  }

  MixPolicy policy_;
  std::vector<std::vector<int16_t>> frames_;  // this tick's frame per slot
  std::vector<int16_t> heard_;                // the shared mix, tick after tick
};

TEST_F(MixPolicyTest, AVoiceEnteringRampsUpOverItsFirstFrame) {
  Join(2);
  frames_[0] = Constant(10000);
  Tick({Talking(-20), {}});
  ASSERT_TRUE(policy_.in_mix(0));
  EXPECT_EQ(policy_.ramp(0), Ramp::kIn);
  const std::vector<int16_t> first = Mix();
  EXPECT_LT(first.front(), 100);   // starts near 0...
  EXPECT_GT(first.back(), 9800);   // ...ends near full gain
  EXPECT_LT(first.back(), 10000);  // (reached with the next frame)
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_NEAR(first[kFrame / 2], 5000, 100);  // linear
  Tick({Talking(-20), {}});
  EXPECT_EQ(policy_.ramp(0), Ramp::kNone);
  EXPECT_EQ(Mix(), Constant(10000));  // then full gain, no ramp
}

TEST_F(MixPolicyTest, AVoiceLeavingIsMixedOnceMoreFadingOut) {
  Join(2);
  frames_[0] = Constant(10000);
  Tick({Talking(-20), {}});
  Tick({Talking(-20), {}});
  Tick({{-60, false, false}, {}});  // stopped talking: out of the selection
  ASSERT_TRUE(policy_.in_mix(0));   // but its last frame is still heard...
  EXPECT_EQ(policy_.ramp(0), Ramp::kOut);
  const std::vector<int16_t> last = Mix();
  EXPECT_EQ(last.front(), 10000);  // ...from full gain...
  EXPECT_LT(last.back(), 200);     // ...to near 0
  EXPECT_TRUE(std::is_sorted(last.rbegin(), last.rend()));
  Tick({{-60, false, false}, {}});
  EXPECT_FALSE(policy_.in_mix(0));
  EXPECT_EQ(Mix(), Constant(0));
}

TEST_F(MixPolicyTest, StableTalkersAreMixedUntouched) {
  Join(3);
  std::vector<int16_t> tone(kFrame);
  for (size_t i = 0; i < kFrame; ++i) {
    tone[i] = static_cast<int16_t>(6000 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 8000));
  }
  frames_[0] = tone;
  frames_[1] = Constant(-1000);
  Tick({Talking(-20), Talking(-25), {}});
  for (int tick = 0; tick < 5; ++tick) {
    Tick({Talking(-20), Talking(-25), {}});
    SCOPED_TRACE(tick);
    EXPECT_EQ(policy_.ramp(0), Ramp::kNone);
    EXPECT_EQ(policy_.ramp(1), Ramp::kNone);
    const std::vector<int16_t> mix = Mix();
    for (size_t i = 0; i < kFrame; ++i) ASSERT_EQ(mix[i], tone[i] - 1000) << i;
    EXPECT_EQ(HeardBy(0), Constant(-1000));
    EXPECT_EQ(HeardBy(1), tone);
  }
}

class TopOnePolicyTest : public MixPolicyTest {
 protected:
  TopOnePolicyTest() : MixPolicyTest(1) {}
};

// One place, handed from a voice at +8000 to a louder one at -8000: a cut
// would jump 16,000 between two samples; the crossfade moves by one
// 160th of that per sample.
TEST_F(TopOnePolicyTest, AHandOverCrossfadesWithoutAClick) {
  Join(3);
  frames_[0] = Constant(8000);
  frames_[1] = Constant(-8000);
  Tick({Talking(-30), {}, {}});
  Tick({Talking(-30), {}, {}});
  Tick({Talking(-30), Talking(-34), {}});  // quieter: waits
  EXPECT_FALSE(policy_.in_mix(1));
  Tick({Talking(-30), Talking(-20), {}});  // clearly louder: takes the place
  EXPECT_EQ(policy_.ramp(0), Ramp::kOut);
  EXPECT_EQ(policy_.ramp(1), Ramp::kIn);
  EXPECT_EQ(policy_.voices(), 2);
  EXPECT_EQ(Mix().front(), 8000);
  EXPECT_LT(Mix().back(), -7800);
  Tick({Talking(-30), Talking(-20), {}});
  EXPECT_FALSE(policy_.in_mix(0));
  EXPECT_EQ(Mix(), Constant(-8000));
  EXPECT_LE(LargestStep(), 16000 / static_cast<int>(kFrame) + 2);
}

// The ramps are in what a talker hears as much as in the shared mix: a
// voice's mix-minus is the mix without exactly its own ramped share.
TEST_F(MixPolicyTest, TalkersHearTheSameRampsAsListeners) {
  Join(3);
  frames_[0] = Constant(3000);
  frames_[1] = Constant(7000);
  Tick({Talking(-20), {}, {}});
  Tick({Talking(-20), Talking(-22), {}});  // 1 enters beside stable 0
  ASSERT_EQ(policy_.ramp(1), Ramp::kIn);
  const std::vector<int16_t> mix = Mix();
  const std::vector<int16_t> heard_by_0 = HeardBy(0);
  EXPECT_EQ(HeardBy(1), Constant(3000));  // the stable voice, whole
  EXPECT_LT(heard_by_0.front(), 100);     // the entering one, ramping
  for (size_t i = 0; i < kFrame; ++i) {
    ASSERT_EQ(mix[i], 3000 + heard_by_0[i]) << i;
  }
  Tick({{-60, false, false}, Talking(-22), {}});  // 0 leaves while 1 stays
  ASSERT_EQ(policy_.ramp(0), Ramp::kOut);
  const std::vector<int16_t> leaving = HeardBy(0);
  EXPECT_EQ(leaving, Constant(7000));  // the one leaving hears the others, not itself
  const std::vector<int16_t> heard_by_1 = HeardBy(1);
  for (size_t i = 0; i < kFrame; ++i) ASSERT_EQ(Mix()[i], 7000 + heard_by_1[i]) << i;
  EXPECT_EQ(heard_by_1.front(), 3000);
}

TEST_F(MixPolicyTest, MutingCutsAtOnce) {
  Join(2);
  frames_[0] = Constant(10000);
  Tick({Talking(-20), {}});
  Tick({Talking(-20), {}});
  Tick({{-20, false, true}, {}});  // muted: not a fading frame more
  EXPECT_FALSE(policy_.in_mix(0));
  EXPECT_EQ(policy_.voices(), 0);
  EXPECT_EQ(Mix(), Constant(0));
}

TEST_F(MixPolicyTest, LeavingTakesTheVoiceWithIt) {
  Join(3);
  frames_[1] = Constant(5000);
  frames_[2] = Constant(1000);
  Tick({{}, Talking(-20), Talking(-30)});
  Tick({{}, Talking(-20), Talking(-30)});
  policy_.Leave(1);
  frames_.erase(frames_.begin() + 1);
  Tick({{}, Talking(-30)});
  EXPECT_EQ(policy_.voices(), 1);
  EXPECT_EQ(policy_.ramp(1), Ramp::kNone);  // the remaining voice kept its state
  EXPECT_EQ(Mix(), Constant(1000));
}

TEST_F(MixPolicyTest, OnlyTheLoudestAreMixedWithHysteresis) {
  MixPolicy policy(2, 3.0f);
  for (int i = 0; i < 3; ++i) policy.Join();
  auto tick = [&](float a, float b, float c) {
    policy.Offer(0, a, true, false);
    policy.Offer(1, b, true, false);
    policy.Offer(2, c, true, false);
    policy.Select();
  };
  tick(-30, -20, -40);
  EXPECT_TRUE(policy.in_mix(0) && policy.in_mix(1) && !policy.in_mix(2));
  tick(-30, -20, -28);  // 2 dB louder than the quietest: not enough
  EXPECT_TRUE(policy.in_mix(0) && policy.in_mix(1) && !policy.in_mix(2));
  tick(-30, -20, -26);  // 4 dB louder: takes its place, the other fades out
  EXPECT_EQ(policy.ramp(0), Ramp::kOut);
  EXPECT_EQ(policy.ramp(2), Ramp::kIn);
  EXPECT_EQ(policy.voices(), 3);  // for this one frame
  tick(-30, -20, -26);
  EXPECT_TRUE(!policy.in_mix(0) && policy.in_mix(1) && policy.in_mix(2));
  EXPECT_EQ(policy.voices(), 2);
}

// The limiter covers what the policy mixes: three loud voices sum past full
// scale and come out bent below it, in the mix and in each mix-minus.
TEST_F(MixPolicyTest, LoudSumsAreLimitedNotWrapped) {
  Join(4);
  for (size_t i = 0; i < 3; ++i) frames_[i] = Constant(20000);
  Tick({Talking(-10), Talking(-10), Talking(-10), {}});
  Tick({Talking(-10), Talking(-10), Talking(-10), {}});
  const std::vector<int16_t> mix = Mix();
  EXPECT_EQ(mix, Constant(SoftLimit(60000)));
  EXPECT_GT(mix.front(), 30000);
  EXPECT_LT(mix.front(), 32767);
  EXPECT_EQ(HeardBy(0), Constant(SoftLimit(40000)));
  EXPECT_LT(HeardBy(0).front(), 32767);
  frames_[0] = Constant(10000);
  Tick({Talking(-10), Talking(-10), Talking(-10), {}});
  EXPECT_EQ(Mix(), Constant(SoftLimit(50000)));
  EXPECT_EQ(HeardBy(1), Constant(SoftLimit(30000)));
}

// Who can be sent a voice's own packet: one who hears exactly one voice,
// and only while that voice is not ramping.
TEST_F(MixPolicyTest, ASoleVoiceIsOneThatIsNeitherEnteringNorLeaving) {
  Join(3);
  Tick({Talking(-20), {}, {}});
  EXPECT_FALSE(policy_.SoleVoiceFor(1).has_value());  // entering: it is ramped
  EXPECT_TRUE(policy_.HearsNobody(0));
  EXPECT_FALSE(policy_.HearsNobody(1));
  Tick({Talking(-20), {}, {}});
  EXPECT_EQ(policy_.SoleVoiceFor(1), 0u);
  EXPECT_EQ(policy_.SoleVoiceFor(2), 0u);
  EXPECT_FALSE(policy_.SoleVoiceFor(0).has_value());  // hears nobody
  Tick({Talking(-20), Talking(-22), {}});
  EXPECT_FALSE(policy_.SoleVoiceFor(0).has_value());  // 1 enters
  EXPECT_EQ(policy_.SoleVoiceFor(1), 0u);             // 0 is stable
  EXPECT_FALSE(policy_.SoleVoiceFor(2).has_value());  // hears two
  Tick({Talking(-20), Talking(-22), {}});
  EXPECT_EQ(policy_.SoleVoiceFor(0), 1u);
  EXPECT_EQ(policy_.SoleVoiceFor(1), 0u);
  Tick({{-60, false, false}, {}, {}});
  EXPECT_EQ(policy_.voices(), 2);                     // both fading out
  EXPECT_FALSE(policy_.SoleVoiceFor(0).has_value());  // hears 1 fading
  Tick({{}, {}, {}});
  EXPECT_EQ(policy_.voices(), 0);
  EXPECT_TRUE(policy_.HearsNobody(2));
}

}  // namespace
}  // namespace tutti::mixer
