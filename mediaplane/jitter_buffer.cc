#include "mediaplane/jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace tutti::media {
namespace {
constexpr int kWindowTicks = 100;        // 2 s at 20 ms
constexpr int kCalmWindowsToShrink = 5;  // 10 s without late packets
}  // namespace

size_t JitterSlotBytes(const CodecFormat& codec) {
  size_t bytes = JitterBuffer::kMaxPayloadBytes;
  const auto frame = static_cast<size_t>(codec.timestamps_per_frame());
  switch (codec.kind) {
    case CodecKind::kPcmu:
    case CodecKind::kPcma:
    case CodecKind::kG722:  // 8 bits per RTP timestamp unit, as G.711
      bytes = frame;
      break;
    case CodecKind::kG729:  // 10 bytes per 10 ms (80 timestamp units)
      bytes = (frame + 79) / 80 * 10;
      break;
    case CodecKind::kOpus:
      break;
  }
  return (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
}

JitterBuffer::JitterBuffer(JitterBufferOptions options)
    : options_(options),
      payloads_(std::make_unique_for_overwrite<uint8_t[]>(JitterBuffer::kSlots *
                                                          options.max_payload_bytes)),
      target_delay_(std::clamp(options.initial_delay_frames, options.min_delay_frames,
                               options.max_delay_frames)) {}

void JitterBuffer::Clear() {
  for (Slot& slot : slots_) slot.occupied = false;
  buffered_ = 0;
}

void JitterBuffer::Reset() {
  Clear();
  started_ = false;
  hold_ticks_ = 0;
}

void JitterBuffer::Advance() {
  playout_timestamp_ += options_.frame_samples;
  ++playout_index_;
}

void JitterBuffer::Anchor(uint32_t timestamp) {
  Clear();
  started_ = true;
  playout_timestamp_ = timestamp;
  hold_ticks_ = target_delay_;
}

JitterBuffer::InsertResult JitterBuffer::Insert(uint16_t sequence, uint32_t timestamp,
                                                std::span<const uint8_t> payload) {
  if (payload.size() > options_.max_payload_bytes) {
    ++stats_.oversized;
    return InsertResult::kOversized;
  }
  InsertResult result = InsertResult::kStored;
  if (!started_) {
    Anchor(timestamp);
  } else {
    const auto offset = static_cast<int32_t>(timestamp - playout_timestamp_);
    const int64_t frames = offset / static_cast<int32_t>(options_.frame_samples);
    if (offset < 0 && frames > -kSlots) {
      ++stats_.late;
      ++window_late_;
      return InsertResult::kLate;
    }
    if (frames >= kSlots || frames <= -kSlots) {
      // A jump the ring cannot span: a new talkspurt after long DTX, or a
      // sender that reset its clock. Start over from this packet.
      ++stats_.resyncs;
      Anchor(timestamp);
      result = InsertResult::kResynced;
    }
  }
  const auto frames_ahead = static_cast<int>(static_cast<int32_t>(timestamp - playout_timestamp_) /
                                             static_cast<int32_t>(options_.frame_samples));
  const size_t index = IndexAhead(frames_ahead);
  Slot& slot = slots_[index];
  if (slot.occupied && slot.timestamp == timestamp) {
    ++stats_.duplicates;
    return InsertResult::kDuplicate;
  }
  if (!slot.occupied) ++buffered_;
  slot.occupied = true;
  slot.sequence = sequence;
  slot.timestamp = timestamp;
  slot.size = static_cast<uint16_t>(payload.size());
  if (!payload.empty()) std::memcpy(PayloadOf(index), payload.data(), payload.size());
  ++stats_.stored;
  return result;
}

JitterBuffer::Frame JitterBuffer::Pop() {
  Frame frame;
  if (!started_) return frame;
  Adapt();
  if (hold_ticks_ > 0) {
    --hold_ticks_;
    return frame;
  }
  frame.timestamp = playout_timestamp_;
  const size_t index = IndexAhead(0);
  Slot& slot = slots_[index];
  if (slot.occupied && slot.timestamp != playout_timestamp_) {
    slot.occupied = false;  // left over from before a jump: never playable
    --buffered_;
  }
  const bool here = slot.occupied;
  if (here) {
    frame.kind = Frame::Kind::kPacket;
    frame.payload = BytesOf(index);
    slot.occupied = false;
    --buffered_;
    ++stats_.played;
    have_played_ = true;
    last_played_sequence_ = slot.sequence;
  } else if (const int next = NextBuffered();
             next >= 0 && !(have_played_ && slots_[static_cast<size_t>(next)].sequence ==
                                                static_cast<uint16_t>(last_played_sequence_ + 1))) {
    frame.kind = Frame::Kind::kLost;
    ++stats_.lost;
    if (static_cast<size_t>(next) == IndexAhead(1)) {
      frame.next_payload = BytesOf(static_cast<size_t>(next));
    }
  } else {
    frame.kind = Frame::Kind::kEmpty;
  }
  Advance();
  return frame;
}

int JitterBuffer::NextBuffered() const {
  if (buffered_ == 0) return -1;
  for (int ahead = 1; ahead < kSlots; ++ahead) {
    const size_t index = IndexAhead(ahead);
    if (slots_[index].occupied) return static_cast<int>(index);
  }
  return -1;
}

// Late packets grow the delay at once (one frame held back); a long calm with
// more buffered than needed shrinks it by dropping one frame.
void JitterBuffer::Adapt() {
  window_min_level_ = std::min(window_min_level_, buffered_);
  if (window_late_ > 0 && target_delay_ < options_.max_delay_frames) {
    ++target_delay_;
    ++hold_ticks_;
    calm_windows_ = 0;
    window_late_ = 0;
  }
  if (++window_ticks_ < kWindowTicks) return;
  const bool calm = window_late_ == 0;
  calm_windows_ = calm ? calm_windows_ + 1 : 0;
  if (calm_windows_ >= kCalmWindowsToShrink && target_delay_ > options_.min_delay_frames) {
    --target_delay_;
    calm_windows_ = 0;
  }
  if (window_min_level_ > target_delay_) {
    // Always more than the target buffered: drop the oldest frame.
    Slot& oldest = SlotAhead(0);
    if (oldest.occupied && oldest.timestamp == playout_timestamp_) {
      oldest.occupied = false;
      --buffered_;
    }
    Advance();
    ++stats_.dropped_for_latency;
  }
  window_ticks_ = 0;
  window_min_level_ = kSlots;
  window_late_ = 0;
}

}  // namespace tutti::media
