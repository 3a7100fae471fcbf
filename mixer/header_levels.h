// The RFC 6464 audio levels a leg's packets carried, kept by RTP timestamp
// for the frames waiting in its jitter buffer: when a frame is played its
// level says, without decoding it, whether it is quiet. A ring of the
// jitter buffer's size; an entry is only believed for its own timestamp,
// so an overwritten or stale one reads as unknown (the frame is decoded).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "mediaplane/jitter_buffer.h"
#include "mediaplane/rtp/rtp_packet.h"

namespace tutti::mixer {

class HeaderLevels {
 public:
  explicit HeaderLevels(uint32_t frame_units) : frame_units_(frame_units == 0 ? 1 : frame_units) {}

  void Put(uint32_t timestamp, media::AudioLevel level) {
    Entry& entry = entries_[Index(timestamp)];
    entry = {timestamp, level, true};
  }
  std::optional<media::AudioLevel> Find(uint32_t timestamp) const {
    const Entry& entry = entries_[Index(timestamp)];
    if (!entry.valid || entry.timestamp != timestamp) return std::nullopt;
    return entry.level;
  }
  void Clear() { entries_ = {}; }

 private:
  struct Entry {
    uint32_t timestamp = 0;
    media::AudioLevel level;
    bool valid = false;
  };
  static constexpr size_t kEntries = media::JitterBuffer::kSlots;
  size_t Index(uint32_t timestamp) const { return (timestamp / frame_units_) % kEntries; }

  uint32_t frame_units_;
  std::array<Entry, kEntries> entries_{};
};

}  // namespace tutti::mixer
