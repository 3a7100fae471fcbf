#include "mediaplane/jitter_buffer.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

using Kind = JitterBuffer::Frame::Kind;

constexpr uint32_t kFrame = 160;

// A one-byte payload that names its frame, so tests can see what plays.
std::vector<uint8_t> Payload(int frame) { return {static_cast<uint8_t>(frame)}; }

JitterBuffer MakeBuffer(int initial_delay = 2) {
  return JitterBuffer({.frame_samples = kFrame,
                       .min_delay_frames = 1,
                       .max_delay_frames = 8,
                       .initial_delay_frames = initial_delay});
}

// Pops until the first packet plays; returns how many ticks that took.
int PopUntilPacket(JitterBuffer& buffer, JitterBuffer::Frame* frame) {
  for (int ticks = 1; ticks < 100; ++ticks) {
    *frame = buffer.Pop();
    if (frame->kind == Kind::kPacket) return ticks;
  }
  return -1;
}

TEST(JitterBufferTest, NothingBeforeTheFirstPacket) {
  JitterBuffer buffer = MakeBuffer();
  EXPECT_EQ(buffer.Pop().kind, Kind::kWaiting);
}

TEST(JitterBufferTest, HoldsTheTargetDelayThenPlaysInOrder) {
  JitterBuffer buffer = MakeBuffer(2);
  const uint32_t base = 0xfffffe00;  // crosses the 32-bit timestamp wrap
  for (int i = 0; i < 3; ++i)
    buffer.Insert(static_cast<uint16_t>(i), base + kFrame * i, Payload(i));
  JitterBuffer::Frame frame;
  EXPECT_EQ(PopUntilPacket(buffer, &frame), 3);  // two ticks of delay, then frame 0
  EXPECT_EQ(frame.payload[0], 0);
  EXPECT_EQ(buffer.Pop().payload[0], 1);
  EXPECT_EQ(buffer.Pop().payload[0], 2);
  EXPECT_EQ(buffer.Pop().kind, Kind::kEmpty);
}

TEST(JitterBufferTest, ReorderedPacketsPlayInTimestampOrder) {
  JitterBuffer buffer = MakeBuffer(2);
  for (int i : {0, 2, 1, 4, 3}) buffer.Insert(static_cast<uint16_t>(i), kFrame * i, Payload(i));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  std::vector<int> played = {frame.payload[0]};
  for (int i = 0; i < 4; ++i) played.push_back(buffer.Pop().payload[0]);
  EXPECT_EQ(played, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(JitterBufferTest, DuplicatesAreDropped) {
  JitterBuffer buffer = MakeBuffer();
  EXPECT_EQ(buffer.Insert(0, 0, Payload(0)), JitterBuffer::InsertResult::kStored);
  EXPECT_EQ(buffer.Insert(0, 0, Payload(9)), JitterBuffer::InsertResult::kDuplicate);
  EXPECT_EQ(buffer.stats().duplicates, 1u);
  EXPECT_EQ(buffer.buffered_frames(), 1);
}

TEST(JitterBufferTest, MissingFrameOffersTheNextForFec) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(0));
  buffer.Insert(2, 2 * kFrame, Payload(2));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  JitterBuffer::Frame lost = buffer.Pop();
  EXPECT_EQ(lost.kind, Kind::kLost);
  ASSERT_EQ(lost.next_payload.size(), 1u);
  EXPECT_EQ(lost.next_payload[0], 2);
  EXPECT_EQ(buffer.Pop().payload[0], 2);
  EXPECT_EQ(buffer.stats().lost, 1u);
}

TEST(JitterBufferTest, SequenceGapAcrossSilenceIsALoss) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(0));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  buffer.Insert(3, 4 * kFrame, Payload(4));  // sequence 1 and 2 never came
  EXPECT_EQ(buffer.Pop().kind, Kind::kLost);
  EXPECT_EQ(buffer.Pop().kind, Kind::kLost);
  EXPECT_EQ(buffer.Pop().kind, Kind::kLost);
  EXPECT_EQ(buffer.Pop().payload[0], 4);
}

TEST(JitterBufferTest, LatePacketIsCountedAndGrowsTheDelay) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(0));
  buffer.Insert(2, 2 * kFrame, Payload(2));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  buffer.Pop();  // frame 1 is lost
  EXPECT_EQ(buffer.Insert(1, kFrame, Payload(1)), JitterBuffer::InsertResult::kLate);
  EXPECT_EQ(buffer.stats().late, 1u);
  const int before = buffer.target_delay_frames();
  // The next tick holds one frame back to make room for the jitter.
  EXPECT_EQ(buffer.Pop().kind, Kind::kWaiting);
  EXPECT_EQ(buffer.target_delay_frames(), before + 1);
  EXPECT_EQ(buffer.Pop().payload[0], 2);
}

TEST(JitterBufferTest, TimestampJumpResynchronises) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(0));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  const uint32_t far = 1000000;
  EXPECT_EQ(buffer.Insert(9, far, Payload(7)), JitterBuffer::InsertResult::kResynced);
  EXPECT_EQ(PopUntilPacket(buffer, &frame), 2);
  EXPECT_EQ(frame.payload[0], 7);
}

TEST(JitterBufferTest, DtxGapKeepsPaceWithTheSender) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(0));
  JitterBuffer::Frame frame;
  PopUntilPacket(buffer, &frame);
  // Frame 0 arrived one tick before it played. Frames 1-5 are silence (DTX:
  // nothing sent); frame 6 arrives on time, one tick before its playout, and
  // plays in its own slot, not late and not re-delayed.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(buffer.Pop().kind, Kind::kEmpty);
  EXPECT_EQ(buffer.Insert(1, 6 * kFrame, Payload(6)), JitterBuffer::InsertResult::kStored);
  // Frame 5's slot: empty, and not a loss, since sequence 1 follows sequence 0.
  EXPECT_EQ(buffer.Pop().kind, Kind::kEmpty);
  frame = buffer.Pop();
  ASSERT_EQ(frame.kind, Kind::kPacket);
  EXPECT_EQ(frame.payload[0], 6);
}

TEST(JitterBufferTest, ExcessDelayIsDroppedAfterACalmWindow) {
  JitterBuffer buffer = MakeBuffer(1);
  // A burst puts 6 frames in at once; afterwards one per tick, in time.
  int next = 0;
  for (; next < 6; ++next) buffer.Insert(static_cast<uint16_t>(next), kFrame * next, Payload(next));
  for (int tick = 0; tick < 1000; ++tick) {
    buffer.Insert(static_cast<uint16_t>(next), kFrame * next, Payload(next));
    ++next;
    buffer.Pop();
  }
  EXPECT_GT(buffer.stats().dropped_for_latency, 0u);
  EXPECT_LE(buffer.buffered_frames(), buffer.target_delay_frames() + 1);
  EXPECT_EQ(buffer.stats().lost, 0u);
}

TEST(JitterBufferTest, OversizedPayloadIsRefused) {
  JitterBuffer buffer = MakeBuffer();
  std::vector<uint8_t> big(JitterBuffer::kMaxPayloadBytes + 1);
  EXPECT_EQ(buffer.Insert(0, 0, big), JitterBuffer::InsertResult::kOversized);
  EXPECT_EQ(buffer.stats().oversized, 1u);
}

// Slots sized for what they hold: a G.711 frame, not an Opus one.
TEST(JitterBufferTest, SlotsAreSizedForTheCodecsFrame) {
  const CodecFormat pcmu{.kind = CodecKind::kPcmu, .clock_rate = 8000, .ptime_ms = 20};
  EXPECT_EQ(JitterSlotBytes(pcmu), 192u);  // 160 bytes, rounded up to a cache line
  EXPECT_EQ(JitterSlotBytes({.kind = CodecKind::kPcma, .clock_rate = 8000, .ptime_ms = 30}), 256u);
  EXPECT_EQ(JitterSlotBytes({.kind = CodecKind::kG722, .clock_rate = 8000, .ptime_ms = 20}), 192u);
  EXPECT_EQ(JitterSlotBytes({.kind = CodecKind::kG729, .clock_rate = 8000, .ptime_ms = 20}), 64u);
  EXPECT_EQ(JitterSlotBytes({.kind = CodecKind::kOpus, .clock_rate = 48000, .ptime_ms = 20}),
            448u);  // the default 400, rounded up
}

// Full G.711 frames in consecutive slots play back whole and unmixed; one
// byte more than the slot is refused and counted, not cut to fit.
TEST(JitterBufferTest, AG711BufferKeepsFullFramesAndRefusesLargerOnes) {
  const CodecFormat pcmu{.kind = CodecKind::kPcmu, .clock_rate = 8000, .ptime_ms = 20};
  JitterBuffer buffer({.frame_samples = kFrame,
                       .min_delay_frames = 1,
                       .max_delay_frames = 8,
                       .initial_delay_frames = 1,
                       .max_payload_bytes = JitterSlotBytes(pcmu)});
  EXPECT_EQ(buffer.max_payload_bytes(), 192u);
  std::vector<uint8_t> too_big(buffer.max_payload_bytes() + 1, 0xee);
  for (int i = 0; i < 4; ++i) {
    const std::vector<uint8_t> frame(buffer.max_payload_bytes(), static_cast<uint8_t>(i + 1));
    EXPECT_EQ(buffer.Insert(static_cast<uint16_t>(i), kFrame * static_cast<uint32_t>(i), frame),
              JitterBuffer::InsertResult::kStored);
  }
  EXPECT_EQ(buffer.Insert(4, kFrame * 4, too_big), JitterBuffer::InsertResult::kOversized);
  EXPECT_EQ(buffer.stats().oversized, 1u);
  JitterBuffer::Frame frame;
  ASSERT_GT(PopUntilPacket(buffer, &frame), 0);
  for (int i = 0; i < 4; ++i) {
    if (i > 0) frame = buffer.Pop();
    ASSERT_EQ(frame.kind, Kind::kPacket) << i;
    ASSERT_EQ(frame.payload.size(), buffer.max_payload_bytes());
    for (uint8_t byte : frame.payload) ASSERT_EQ(byte, i + 1) << i;
  }
  EXPECT_EQ(buffer.Pop().kind, Kind::kEmpty);  // the refused frame left no trace
}

// A codec change replaces the buffer (the participant's move-assignment):
// the new one has its own slots and size.
TEST(JitterBufferTest, AMovedBufferKeepsItsPayloads) {
  JitterBuffer buffer = MakeBuffer(1);
  buffer.Insert(0, 0, Payload(9));
  JitterBuffer moved = std::move(buffer);
  JitterBuffer::Frame frame;
  ASSERT_GT(PopUntilPacket(moved, &frame), 0);
  EXPECT_EQ(frame.payload[0], 9);
}

TEST(JitterBufferTest, ResetForgetsTheStream) {
  JitterBuffer buffer = MakeBuffer();
  buffer.Insert(0, 0, Payload(0));
  buffer.Reset();
  EXPECT_EQ(buffer.Pop().kind, Kind::kWaiting);
  EXPECT_EQ(buffer.buffered_frames(), 0);
}

}  // namespace
}  // namespace tutti::media
