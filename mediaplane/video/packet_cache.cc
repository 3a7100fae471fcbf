#include "mediaplane/video/packet_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mediaplane/packet_io.h"

namespace tutti::media {
namespace {

// The first packet's cycle: far enough from 0 that sequence numbers extended
// backwards from it stay positive.
constexpr int64_t kFirstCycle = int64_t{1} << 32;

}  // namespace

PacketCache::PacketCache(size_t slots, size_t ring_bytes)
    : mask_(std::bit_ceil(std::max<size_t>(slots, 1)) - 1),
      ring_size_(std::max(ring_bytes, kMaxDatagramBytes)),
      entries_(new Entry[mask_ + 1]),
      ring_(new uint8_t[ring_size_]) {}

size_t PacketCache::memory_bytes() const { return ring_size_ + (mask_ + 1) * sizeof(Entry); }

int64_t PacketCache::Extend(uint16_t sequence) const {
  if (newest_ < 0) return kFirstCycle + sequence;
  const auto delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - newest_));
  return newest_ + delta;
}

// A packet's bytes last until the ring has gone round once past its start.
bool PacketCache::Intact(const Entry& entry) const {
  return entry.sequence >= 0 && written_ - entry.start <= ring_size_;
}

void PacketCache::Store(uint16_t sequence, std::span<const uint8_t> packet) {
  if (packet.empty() || packet.size() > kMaxDatagramBytes) return;
  const int64_t extended = Extend(sequence);
  Entry& entry = entries_[static_cast<size_t>(extended) & mask_];
  if (entry.sequence > extended || (entry.sequence == extended && Intact(entry))) return;
  // Each packet lies whole in the ring, so Find can hand out one span: one
  // that would run past the end starts over at the beginning.
  if (head_ + packet.size() > ring_size_) {
    written_ += ring_size_ - head_;
    head_ = 0;
  }
  std::memcpy(ring_.get() + head_, packet.data(), packet.size());
  entry = Entry{.sequence = extended,
                .start = written_,
                .offset = static_cast<uint32_t>(head_),
                .length = static_cast<uint32_t>(packet.size())};
  written_ += packet.size();
  head_ += packet.size();
  newest_ = std::max(newest_, extended);
}

std::span<const uint8_t> PacketCache::Find(uint16_t sequence) const {
  if (newest_ < 0) return {};
  const int64_t extended = Extend(sequence);
  const Entry& entry = entries_[static_cast<size_t>(extended) & mask_];
  if (entry.sequence != extended || !Intact(entry)) return {};
  return {ring_.get() + entry.offset, entry.length};
}

void PacketCache::Clear() {
  std::fill(entries_.get(), entries_.get() + mask_ + 1, Entry{});
  written_ = 0;
  head_ = 0;
  newest_ = -1;
}

}  // namespace tutti::media
