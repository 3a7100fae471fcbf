#include "bench/tutti_load/talk_model.h"

#include <gtest/gtest.h>

namespace tutti::load {
namespace {

using Expect = TalkModel::Expect;

TEST(TalkModelTest, TwoMembersTalkPerTurnAndTurnsGoRound) {
  const TalkModel model;  // 3 s turn, 1 s pause
  EXPECT_TRUE(model.Talks(0, 10, 0));
  EXPECT_TRUE(model.Talks(1, 10, 2999));
  EXPECT_FALSE(model.Talks(2, 10, 100));
  EXPECT_FALSE(model.Talks(0, 10, 3000));  // the pause
  EXPECT_FALSE(model.Talks(1, 10, 3999));
  EXPECT_TRUE(model.Talks(2, 10, 4000));  // next turn: the next two
  EXPECT_TRUE(model.Talks(3, 10, 4000));
  EXPECT_TRUE(model.Talks(0, 10, 5 * 4000));  // 10 members, 5 turns later: back to 0
  EXPECT_FALSE(model.Talks(0, 10, -1));
  // An odd room wraps: in a room of 3 the second turn is members 2 and 0.
  EXPECT_TRUE(model.Talks(2, 3, 4000));
  EXPECT_TRUE(model.Talks(0, 3, 4000));
  EXPECT_FALSE(model.Talks(1, 3, 4000));
}

TEST(TalkModelTest, ListenersExpectSpeechInTurnsAndSilenceInPausesAfterSettling) {
  const TalkModel model;
  EXPECT_EQ(model.ExpectedBy(5, 10, 100), Expect::kNone);  // settling
  EXPECT_EQ(model.ExpectedBy(5, 10, 500), Expect::kAudible);
  EXPECT_EQ(model.ExpectedBy(0, 10, 500), Expect::kAudible);  // a talker hears the other one
  EXPECT_EQ(model.ExpectedBy(5, 10, 3100), Expect::kNone);
  EXPECT_EQ(model.ExpectedBy(5, 10, 3500), Expect::kSilent);
  EXPECT_EQ(model.ExpectedBy(0, 1, 500), Expect::kNone);  // alone: nobody to hear
  EXPECT_EQ(model.ExpectedBy(0, 1, 3500), Expect::kSilent);
  EXPECT_EQ(model.ExpectedBy(0, 10, -50), Expect::kNone);
}

TEST(TalkModelTest, OnlyWholePeriodsInsideTheWindowAreJudged) {
  const TalkModel model;
  // Room time from -300 ms (offset) to 9700: periods 0 and 1 are whole.
  EXPECT_FALSE(model.PeriodInside(-1, -300, 9700));
  EXPECT_TRUE(model.PeriodInside(0, -300, 9700));
  EXPECT_TRUE(model.PeriodInside(1, -300, 9700));
  EXPECT_FALSE(model.PeriodInside(2, -300, 9700));
  const TalkModel::Judged judged = model.JudgedBetween(4, 10, -300, 9700);
  EXPECT_EQ(judged.pauses, 2);
  EXPECT_EQ(judged.audible_turns, 2);
  EXPECT_EQ(model.JudgedBetween(0, 1, 0, 8000).audible_turns, 0);
  EXPECT_EQ(model.RoomOffsetMs(0), 0);
  EXPECT_LT(model.RoomOffsetMs(7), model.period_ms());
}

}  // namespace
}  // namespace tutti::load
