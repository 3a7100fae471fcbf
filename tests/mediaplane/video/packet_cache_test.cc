#include "mediaplane/video/packet_cache.h"

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/packet_io.h"

namespace tutti::media {
namespace {

// A packet that says which one it is: `tag` in its first 8 octets, the rest
// filled from it, `size` octets in all.
std::vector<uint8_t> Packet(uint64_t tag, size_t size = 1200) {
  std::vector<uint8_t> packet(size);
  for (size_t i = 0; i < size; ++i) {
    packet[i] = static_cast<uint8_t>(i < 8 ? tag >> (8 * i) : tag * 31 + i);
  }
  return packet;
}

std::vector<uint8_t> Found(const PacketCache& cache, uint16_t sequence) {
  const std::span<const uint8_t> found = cache.Find(sequence);
  return {found.begin(), found.end()};
}

TEST(PacketCacheTest, FindsWhatWasStored) {
  PacketCache cache;
  EXPECT_TRUE(cache.Find(0).empty());
  cache.Store(1000, Packet(1000));
  cache.Store(1001, Packet(1001, 60));
  EXPECT_EQ(Found(cache, 1000), Packet(1000));
  EXPECT_EQ(Found(cache, 1001), Packet(1001, 60));
  EXPECT_TRUE(cache.Find(999).empty());
  EXPECT_TRUE(cache.Find(1002).empty());
  EXPECT_TRUE(cache.Find(1000 + 512).empty());  // the same index entry, never stored
}

TEST(PacketCacheTest, TheDefaultsHoldASecondOfTwoMegabitsInUnder300Kb) {
  PacketCache cache;
  EXPECT_LT(cache.memory_bytes(), 300'000u);
  // 2 Mb/s of 1,200-octet packets is 208 a second.
  for (uint16_t seq = 0; seq < 1000; ++seq) cache.Store(seq, Packet(seq));
  for (uint16_t seq = 1000 - 200; seq < 1000; ++seq) EXPECT_EQ(Found(cache, seq), Packet(seq));
  EXPECT_TRUE(cache.Find(1000 - 300).empty());
  // Small packets: as many as the index has entries.
  PacketCache small;
  for (uint16_t seq = 0; seq < 2000; ++seq) small.Store(seq, Packet(seq, 100));
  for (uint16_t seq = 2000 - 512; seq < 2000; ++seq) EXPECT_EQ(Found(small, seq), Packet(seq, 100));
  EXPECT_TRUE(small.Find(2000 - 513).empty());
}

TEST(PacketCacheTest, TheOldestGoesFirstFromTheIndex) {
  PacketCache cache(8);
  EXPECT_EQ(cache.slots(), 8u);
  for (uint16_t seq = 0; seq < 9; ++seq) cache.Store(seq, Packet(seq, 100));
  EXPECT_TRUE(cache.Find(0).empty());
  for (uint16_t seq = 1; seq < 9; ++seq) EXPECT_EQ(Found(cache, seq), Packet(seq, 100));
  EXPECT_EQ(PacketCache(5).slots(), 8u);  // rounded up to a power of 2
}

TEST(PacketCacheTest, TheOldestGoesFirstFromTheRing) {
  // Room for four packets of 1,000 octets, an index for 512.
  PacketCache cache(512, 4000);
  for (uint16_t seq = 0; seq < 5; ++seq) cache.Store(seq, Packet(seq, 1000));
  EXPECT_TRUE(cache.Find(0).empty());
  for (uint16_t seq = 1; seq < 5; ++seq) EXPECT_EQ(Found(cache, seq), Packet(seq, 1000));
  // A packet that would run past the ring's end starts over at its beginning,
  // and what it covers there is gone even though its index entry remains.
  PacketCache odd(512, 2500);
  for (uint16_t seq = 0; seq < 3; ++seq) odd.Store(seq, Packet(seq, 1000));
  EXPECT_TRUE(odd.Find(0).empty());
  EXPECT_EQ(Found(odd, 1), Packet(1, 1000));
  EXPECT_EQ(Found(odd, 2), Packet(2, 1000));
  odd.Store(3, Packet(3, 1000));
  EXPECT_TRUE(odd.Find(1).empty());
  EXPECT_EQ(Found(odd, 2), Packet(2, 1000));
  EXPECT_EQ(Found(odd, 3), Packet(3, 1000));
}

TEST(PacketCacheTest, RunsOnAcrossTheWrap) {
  PacketCache cache;
  for (uint32_t i = 0; i < 12; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);
    cache.Store(seq, Packet(i));
  }
  for (uint32_t i = 0; i < 12; ++i) {
    EXPECT_EQ(Found(cache, static_cast<uint16_t>(65530 + i)), Packet(i)) << i;
  }
  EXPECT_TRUE(cache.Find(65529).empty());
  EXPECT_TRUE(cache.Find(6).empty());
}

TEST(PacketCacheTest, AnEntryNeverAnswersForAnotherCycle) {
  // Sequence 100 is stored, then the stream runs a whole cycle on in a few
  // long steps (losses), so 100's index entry and bytes are still there when
  // sequence 100 of the next cycle is asked for: it was never stored.
  PacketCache cache;
  cache.Store(100, Packet(100));
  cache.Store(32000, Packet(32000));
  cache.Store(64000, Packet(64000));
  cache.Store(120, Packet(65536 + 120));
  EXPECT_TRUE(cache.Find(100).empty());
  EXPECT_EQ(Found(cache, 120), Packet(65536 + 120));
  EXPECT_EQ(Found(cache, 64000), Packet(64000));
}

TEST(PacketCacheTest, LateAndDuplicatePacketsNeverReplaceNewerOnes) {
  PacketCache cache(8);
  // Reordered within the window: kept.
  cache.Store(10, Packet(10, 100));
  cache.Store(12, Packet(12, 100));
  cache.Store(11, Packet(11, 100));
  EXPECT_EQ(Found(cache, 11), Packet(11, 100));
  // A duplicate keeps the first copy.
  cache.Store(10, Packet(99, 100));
  EXPECT_EQ(Found(cache, 10), Packet(10, 100));
  // Older than the window, its entry holding a newer packet (11 + 8 = 19): dropped.
  for (uint16_t seq = 13; seq < 20; ++seq) cache.Store(seq, Packet(seq, 100));
  cache.Store(11, Packet(11, 100));
  EXPECT_TRUE(cache.Find(11).empty());
  EXPECT_EQ(Found(cache, 19), Packet(19, 100));
  // Older than the window, its entry holding an older one (21 and 29 were
  // lost, so their entry still holds 13): kept.
  cache.Store(20, Packet(20, 100));
  for (uint16_t seq = 22; seq < 34; ++seq) {
    if (seq != 29) cache.Store(seq, Packet(seq, 100));
  }
  cache.Store(21, Packet(21, 100));
  EXPECT_EQ(Found(cache, 21), Packet(21, 100));
  EXPECT_TRUE(cache.Find(13).empty());
}

TEST(PacketCacheTest, OversizeAndEmptyPacketsAreNotKept) {
  PacketCache cache;
  cache.Store(1, Packet(1, kMaxDatagramBytes + 1));
  cache.Store(2, {});
  EXPECT_TRUE(cache.Find(1).empty());
  EXPECT_TRUE(cache.Find(2).empty());
  cache.Store(3, Packet(3, kMaxDatagramBytes));
  EXPECT_EQ(Found(cache, 3), Packet(3, kMaxDatagramBytes));
}

TEST(PacketCacheTest, ClearForgetsEverything) {
  PacketCache cache;
  for (uint16_t seq = 0; seq < 10; ++seq) cache.Store(seq, Packet(seq));
  cache.Clear();
  for (uint16_t seq = 0; seq < 10; ++seq) EXPECT_TRUE(cache.Find(seq).empty());
  // A new stream anywhere in the sequence space, even half a cycle away.
  cache.Store(40000, Packet(40000));
  EXPECT_EQ(Found(cache, 40000), Packet(40000));
  EXPECT_TRUE(cache.Find(5).empty());
}

TEST(PacketCacheTest, NeverAWrongPacket) {
  // A stream with losses, reordering, duplicates and jumps, packets of mixed
  // sizes, in a small cache: whatever Find returns is the packet stored under
  // that extended sequence number, and the newest ones are always found.
  PacketCache cache(64, 16 * 1024);
  std::mt19937 random(16);
  std::map<int64_t, std::vector<uint8_t>> sent;  // extended sequence -> packet
  int64_t newest = 1'000'000 + 65000;
  for (int step = 0; step < 5000; ++step) {
    const uint32_t roll = random() % 100;
    int64_t extended = newest + 1;
    if (roll < 10) {
      extended = newest + 2 + random() % 30;  // a loss
    } else if (roll < 20) {
      extended = newest - random() % 100;  // late or duplicate
    } else if (roll < 21) {
      extended = newest + 1000 + random() % 30000;  // a jump
    }
    const auto size = static_cast<size_t>(40 + random() % 1400);
    if (!sent.contains(extended)) sent[extended] = Packet(static_cast<uint64_t>(extended), size);
    cache.Store(static_cast<uint16_t>(extended), sent[extended]);
    newest = std::max(newest, extended);
    if (extended == newest) {
      ASSERT_EQ(Found(cache, static_cast<uint16_t>(newest)), sent[newest]);
    }
    for (int64_t back = 0; back < 200; back += 1 + random() % 7) {
      const int64_t asked = newest - back;
      const std::vector<uint8_t> found = Found(cache, static_cast<uint16_t>(asked));
      if (found.empty()) continue;
      ASSERT_TRUE(sent.contains(asked)) << "step " << step << " asked " << asked;
      ASSERT_EQ(found, sent[asked]) << "step " << step << " asked " << asked;
    }
  }
}

}  // namespace
}  // namespace tutti::media
