// Per-participant adaptive jitter buffer for fixed-ptime audio.
//
// Packets are placed by RTP timestamp into a ring of frame slots, so
// reordering and DTX gaps (timestamp jumps with consecutive sequence numbers)
// need no special case. The playout point advances one frame per mixer tick,
// also through silence, so it keeps pace with the sender's clock; the target
// delay grows by a frame when a packet arrives too late to be played and
// shrinks when the buffer has held more than the target for a whole window.
// Fixed memory, no allocation after construction.
//
// The slots' bookkeeping (a few bytes each) is kept apart from their
// payloads, and a payload slot is as large as the codec's frame needs (160
// bytes for 20 ms of G.711, 400 for Opus): with thousands of participants
// per worker these buffers are cold on every packet, so the bytes touched
// per packet, and the scans of the slots, are what they cost.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "mediaplane/codec/audio_codec.h"

namespace tutti::media {

struct JitterBufferOptions {
  uint32_t frame_samples = 160;  // RTP timestamp units per frame (160 for 20 ms G.711)
  int min_delay_frames = 2;
  int max_delay_frames = 12;
  int initial_delay_frames = 3;
  // The largest payload a slot holds; a larger one is refused (kOversized),
  // never truncated. JitterSlotBytes gives it for a codec.
  size_t max_payload_bytes = 400;
};

// A slot's payload size for a codec: a fixed-rate codec's frame (rounded up
// to a cache line), Opus's variable frames up to ~160 kbit/s at 20 ms.
size_t JitterSlotBytes(const CodecFormat& codec);

struct JitterBufferStats {
  uint64_t stored = 0;
  uint64_t played = 0;
  uint64_t lost = 0;  // frames missing at playout while the stream was active
  uint64_t late = 0;  // packets that arrived after their playout time
  uint64_t duplicates = 0;
  uint64_t oversized = 0;            // payloads larger than a slot
  uint64_t resyncs = 0;              // timestamp jumps the buffer re-anchored on
  uint64_t dropped_for_latency = 0;  // frames skipped to shrink the delay
};

class JitterBuffer {
 public:
  static constexpr int kSlots = 32;                // 640 ms at 20 ms
  static constexpr size_t kMaxPayloadBytes = 400;  // the default slot (Opus up to ~160 kbit/s)

  explicit JitterBuffer(JitterBufferOptions options);
  JitterBuffer(JitterBuffer&&) = default;
  JitterBuffer& operator=(JitterBuffer&&) = default;

  enum class InsertResult { kStored, kDuplicate, kLate, kOversized, kResynced };
  InsertResult Insert(uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload);

  struct Frame {
    enum class Kind {
      kWaiting,  // not started, or holding back to build up delay: play silence/PLC
      kPacket,   // `payload` is this frame
      kLost,     // the frame is missing but later ones are here; `next_payload`
                 // (when non-empty) is the following frame, for Opus FEC
      kEmpty,    // nothing to play and nothing lost: the talker is silent (DTX,
                 // told by consecutive sequence numbers across the gap) or gone
    };
    Kind kind = Kind::kWaiting;
    uint32_t timestamp = 0;  // RTP timestamp of the frame played (not kWaiting)
    std::span<const uint8_t> payload;
    std::span<const uint8_t> next_payload;
  };
  // One call per tick. The spans stay valid until the next Pop or Insert.
  Frame Pop();

  // Forgets everything (new SSRC).
  void Reset();

  int target_delay_frames() const { return target_delay_; }
  int buffered_frames() const { return buffered_; }
  const JitterBufferStats& stats() const { return stats_; }
  size_t max_payload_bytes() const { return options_.max_payload_bytes; }

 private:
  // 12 bytes: the whole ring's bookkeeping is six cache lines.
  struct Slot {
    uint32_t timestamp = 0;
    uint16_t sequence = 0;
    uint16_t size = 0;
    bool occupied = false;
  };

  // The slot of the frame `frames_ahead` after the playout point. Indexing
  // by distance from the playout point (not by timestamp / frame) keeps the
  // ring continuous across the 32-bit timestamp wrap.
  size_t IndexAhead(int frames_ahead) const {
    return (playout_index_ + static_cast<uint64_t>(frames_ahead)) % kSlots;
  }
  Slot& SlotAhead(int frames_ahead) { return slots_[IndexAhead(frames_ahead)]; }
  uint8_t* PayloadOf(size_t index) const {
    return payloads_.get() + index * options_.max_payload_bytes;
  }
  std::span<const uint8_t> BytesOf(size_t index) const {
    return {PayloadOf(index), slots_[index].size};
  }
  void Anchor(uint32_t timestamp);
  void Advance();
  void Clear();
  void Adapt();
  // The index of the first buffered frame after the playout point, or -1.
  int NextBuffered() const;

  JitterBufferOptions options_;
  std::array<Slot, kSlots> slots_{};
  // kSlots payloads of options_.max_payload_bytes, made once here.
  std::unique_ptr<uint8_t[]> payloads_;
  bool started_ = false;
  uint32_t playout_timestamp_ = 0;  // timestamp of the next frame Pop returns
  uint64_t playout_index_ = 0;      // frames played since start; selects the slot
  int hold_ticks_ = 0;              // ticks to wait before (re)starting playout
  int buffered_ = 0;
  bool have_played_ = false;
  uint16_t last_played_sequence_ = 0;
  int target_delay_;
  // Adaptation window: the smallest level seen, and late packets, over ~2 s.
  int window_ticks_ = 0;
  int window_min_level_ = kSlots;
  int window_late_ = 0;
  int calm_windows_ = 0;
  JitterBufferStats stats_;
};

}  // namespace tutti::media
