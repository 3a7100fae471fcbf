#include "mixer/talker_selection.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

std::vector<int> Selected(const std::vector<TalkerCandidate>& candidates) {
  std::vector<int> out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].selected) out.push_back(static_cast<int>(i));
  }
  return out;
}

TEST(TalkerSelectionTest, PicksTheLoudestEligible) {
  std::vector<TalkerCandidate> c = {{-30, true, false},
                                    {-20, true, false},
                                    {-10, false, false},
                                    {-25, true, false},
                                    {-40, true, false}};
  SelectTalkers(c, 3, 3.0f);
  EXPECT_EQ(Selected(c), (std::vector<int>{0, 1, 3}));  // index 2 is muted or silent
}

TEST(TalkerSelectionTest, HysteresisKeepsTheCurrentTalkers) {
  std::vector<TalkerCandidate> c = {{-30, true, true}, {-20, true, true}, {-28, true, false}};
  SelectTalkers(c, 2, 3.0f);
  EXPECT_EQ(Selected(c), (std::vector<int>{0, 1}));  // 2 dB louder is not enough
  c[2].level_db = -26;                               // 4 dB louder is
  SelectTalkers(c, 2, 3.0f);
  EXPECT_EQ(Selected(c), (std::vector<int>{1, 2}));
}

TEST(TalkerSelectionTest, StoppedTalkersLeaveAndOthersMoveUp) {
  std::vector<TalkerCandidate> c = {{-30, false, true}, {-20, true, true}, {-35, true, false}};
  SelectTalkers(c, 2, 3.0f);
  EXPECT_EQ(Selected(c), (std::vector<int>{1, 2}));
}

TEST(TalkerSelectionTest, ShrinkingTheLimitDropsTheQuietest) {
  std::vector<TalkerCandidate> c = {{-30, true, true}, {-20, true, true}, {-25, true, true}};
  SelectTalkers(c, 1, 3.0f);
  EXPECT_EQ(Selected(c), (std::vector<int>{1}));
}

}  // namespace
}  // namespace tutti::mixer
