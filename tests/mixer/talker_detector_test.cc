#include "mixer/talker_detector.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

using Transition = TalkerDetector::Transition;

TEST(FrameLevelTest, SilenceAndFullScale) {
  std::vector<int16_t> silence(160, 0);
  EXPECT_EQ(FrameLevelDb(silence), -100.0f);
  std::vector<int16_t> square(160);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i % 2) ? 32767 : -32767;
  EXPECT_NEAR(FrameLevelDb(square), 0.0f, 0.01f);
  std::vector<int16_t> quieter(160);
  for (size_t i = 0; i < quieter.size(); ++i) quieter[i] = (i % 2) ? 3277 : -3277;
  EXPECT_NEAR(FrameLevelDb(quieter), -20.0f, 0.05f);
}

TEST(TalkerDetectorTest, StartsAfterSustainedSpeechAndStopsAfterHangover) {
  TalkerDetector detector({.start_db = -40, .start_ticks = 2, .stop_db = -45, .hangover_ticks = 5});
  EXPECT_EQ(detector.Update(-20), Transition::kNone);  // smoothed -60: not yet
  Transition t = Transition::kNone;
  int ticks = 0;
  while (t != Transition::kStarted && ticks < 10) {
    t = detector.Update(-20);
    ++ticks;
  }
  ASSERT_EQ(t, Transition::kStarted);
  EXPECT_TRUE(detector.talking());
  // A short pause (two frames of silence) does not end the spurt.
  EXPECT_EQ(detector.Update(-100), Transition::kNone);
  EXPECT_EQ(detector.Update(-100), Transition::kNone);
  EXPECT_EQ(detector.Update(-20), Transition::kNone);
  // Long silence does, exactly once.
  int stops = 0;
  for (int i = 0; i < 100; ++i) stops += detector.Update(-100) == Transition::kStopped ? 1 : 0;
  EXPECT_EQ(stops, 1);
  EXPECT_FALSE(detector.talking());
}

// The hangover counts one pause, not the silence of a whole spurt: pauses
// between words, each shorter than the hangover, never end a talker however
// many there are.
TEST(TalkerDetectorTest, ManyShortPausesNeverAddUpToAStop) {
  TalkerDetector detector;  // the defaults: 400 ms hangover below -48 dBov
  for (int i = 0; i < 5; ++i) detector.Update(-20);
  ASSERT_TRUE(detector.talking());
  for (int word = 0; word < 20; ++word) {
    // 240 ms of silence: its smoothed level is below stop_db for about half.
    for (int i = 0; i < 12; ++i) {
      ASSERT_EQ(detector.Update(-100), Transition::kNone) << "word " << word;
    }
    for (int i = 0; i < 8; ++i) {
      ASSERT_EQ(detector.Update(-20), Transition::kNone) << "word " << word;
    }
  }
  EXPECT_TRUE(detector.talking());
}

TEST(TalkerDetectorTest, SingleClickDoesNotStartTalking) {
  TalkerDetector detector;
  EXPECT_EQ(detector.Update(0), Transition::kNone);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(detector.Update(-100), Transition::kNone);
}

TEST(TalkerDetectorTest, CloseEndsAnOpenSpurtOnce) {
  TalkerDetector detector;
  for (int i = 0; i < 10; ++i) detector.Update(-10);
  ASSERT_TRUE(detector.talking());
  EXPECT_EQ(detector.Close(), Transition::kStopped);
  EXPECT_EQ(detector.Close(), Transition::kNone);
  EXPECT_FALSE(detector.talking());
}

}  // namespace
}  // namespace tutti::mixer
