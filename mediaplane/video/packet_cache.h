// The last second or so of one video source's RTP packets, kept so that a
// receiver's generic NACK (RFC 4585 §6.2.1) costs a retransmission from here
// instead of a keyframe from the source.
//
// Memory: packets are copied back to back into one byte ring, and an index
// of `slots` entries (a power of 2, by sequence number modulo `slots`) says
// where each one starts. A fixed 1500-octet slot per packet would need 768 KB
// for 512 packets; the defaults here, a 240 KiB ring and 512 index entries of
// 24 octets, take 252 KiB (258,048 octets), all allocated in the constructor,
// and hold the last 204 packets of 1,200 octets (about 1 s of a 2 Mb/s
// stream) or the last 512 smaller ones. A packet is found only while both its
// index entry and its bytes are still there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace tutti::media {

class PacketCache {
 public:
  static constexpr size_t kDefaultSlots = 512;
  static constexpr size_t kDefaultRingBytes = 240 * 1024;

  // All memory allocated here, once: an index of `slots` entries (rounded up
  // to a power of 2) and a ring of `ring_bytes` (at least kMaxDatagramBytes).
  explicit PacketCache(size_t slots = kDefaultSlots, size_t ring_bytes = kDefaultRingBytes);

  PacketCache(const PacketCache&) = delete;
  PacketCache& operator=(const PacketCache&) = delete;

  // Keeps a clear RTP packet (header included, at most kMaxDatagramBytes;
  // larger or empty ones are ignored) under its sequence number; the oldest
  // goes first. A duplicate or a late (reordered) packet is kept if its index
  // entry holds nothing newer; it never replaces a newer packet.
  void Store(uint16_t sequence, std::span<const uint8_t> packet);

  // The packet stored under `sequence`, or empty when it was never stored or
  // has been overwritten. Sequence numbers are extended (cycles of 2^16
  // counted) against the newest one stored, so an entry never answers for a
  // sequence number a multiple of 2^16 away. Valid until the next Store or
  // Clear.
  std::span<const uint8_t> Find(uint16_t sequence) const;

  // Forgets every packet (the source restarted, or changed its SSRC).
  void Clear();

  size_t slots() const { return mask_ + 1; }
  // What the constructor allocated, in octets.
  size_t memory_bytes() const;

 private:
  struct Entry {
    int64_t sequence = -1;  // extended; -1: empty
    uint64_t start = 0;     // of its bytes, in octets the ring advanced since Clear
    uint32_t offset = 0;    // of its bytes in the ring
    uint32_t length = 0;
  };

  // `sequence` extended to the cycle that puts it nearest the newest one.
  int64_t Extend(uint16_t sequence) const;
  bool Intact(const Entry& entry) const;

  size_t mask_;
  size_t ring_size_;
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<uint8_t[]> ring_;
  uint64_t written_ = 0;  // octets the ring has advanced by since Clear
  size_t head_ = 0;       // where the next packet goes: written_ modulo the ring's size
  int64_t newest_ = -1;   // extended sequence number; -1: nothing stored
};

}  // namespace tutti::media
