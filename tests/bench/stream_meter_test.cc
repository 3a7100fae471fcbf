#include "bench/tutti_load/stream_meter.h"

#include <gtest/gtest.h>

namespace tutti::load {
namespace {

using Expect = TalkModel::Expect;

TEST(StreamMeterTest, NothingCountsBeforeMeasuring) {
  StreamMeter meter(8000);
  meter.OnPacket(1, 160, 20'000);
  EXPECT_EQ(meter.packets(), 0);
  meter.StartMeasuring();
  meter.OnPacket(2, 320, 40'000);
  EXPECT_EQ(meter.packets(), 1);
  EXPECT_EQ(meter.missing(), 0);
}

TEST(StreamMeterTest, SequenceGapsAreMissingFramesAcrossWrapAndReordering) {
  StreamMeter meter(8000);
  meter.StartMeasuring();
  int64_t t = 0;
  uint32_t ts = 0;
  for (uint16_t seq : {65533, 65534, 65535, 0, 2, 1, 5}) {  // 3 and 4 never came
    meter.OnPacket(seq, ts += 160, t += 20'000);
  }
  EXPECT_EQ(meter.packets(), 7);
  EXPECT_EQ(meter.missing(), 2);
}

TEST(StreamMeterTest, JitterFollowsRfc3550AndIgnoresDtxJumps) {
  StreamMeter steady(48000);
  steady.StartMeasuring();
  for (int i = 0; i < 100; ++i) steady.OnPacket(static_cast<uint16_t>(i), i * 960u, i * 20'000);
  EXPECT_EQ(steady.jitter_ms(), 0);

  StreamMeter shaky(48000);
  shaky.StartMeasuring();
  for (int i = 0; i < 200; ++i) {
    // Every other packet 4 ms late: |D| alternates 4 ms; J converges to 4 ms.
    shaky.OnPacket(static_cast<uint16_t>(i), i * 960u, i * 20'000 + (i % 2) * 4'000);
  }
  EXPECT_NEAR(shaky.jitter_ms(), 4.0, 0.1);
  EXPECT_NEAR(shaky.max_jitter_ms(), 4.0, 0.1);

  // After two seconds of skipped silence the timestamp and the arrival jump
  // together: a packet 30 ms off is jitter (30/16 ms); a jump of 300 ms
  // between timestamp and clock is a new timeline, not jitter.
  StreamMeter dtx(48000);
  dtx.StartMeasuring();
  dtx.OnPacket(1, 0, 0);
  dtx.OnPacket(2, 96000, 2'030'000);
  EXPECT_NEAR(dtx.jitter_ms(), 30.0 / 16, 0.01);
  StreamMeter restarted(48000);
  restarted.StartMeasuring();
  restarted.OnPacket(1, 0, 0);
  restarted.OnPacket(2, 96000, 2'300'000);
  EXPECT_EQ(restarted.jitter_ms(), 0);
}

TEST(StreamMeterTest, TurnsAreHeardWithEnoughSpeechAndPausesMustBeQuiet) {
  StreamMeter meter;
  meter.StartMeasuring();
  // Turn 0: speech in a third of the frames: heard.
  for (int i = 0; i < 90; ++i) meter.OnFrame(Expect::kAudible, 0, i % 3 == 0);
  // Its pause: two clicks are tolerated.
  for (int i = 0; i < 20; ++i) meter.OnFrame(Expect::kSilent, 0, i < 2);
  // Turn 1: almost nothing: not heard. Its pause: speech: noisy.
  for (int i = 0; i < 90; ++i) meter.OnFrame(Expect::kAudible, 1, i == 0);
  for (int i = 0; i < 20; ++i) meter.OnFrame(Expect::kSilent, 1, true);
  // Frames nobody judges change nothing.
  meter.OnFrame(Expect::kNone, 2, true);
  meter.Finish();
  EXPECT_EQ(meter.hearing().turns_heard, 1);
  EXPECT_EQ(meter.hearing().noisy_pauses, 1);
}

}  // namespace
}  // namespace tutti::load
