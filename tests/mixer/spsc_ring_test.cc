#include "mixer/spsc_ring.h"

#include <cstdint>
#include <thread>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

TEST(SpscRingTest, RoundsCapacityUpAndRefusesWhenFull) {
  SpscRing<int> ring(5);
  EXPECT_EQ(ring.capacity(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(ring.TryPush(int{i}));
  EXPECT_FALSE(ring.TryPush(99));
  EXPECT_EQ(ring.size(), 8u);
  EXPECT_EQ(ring.TryPop(), 0);
  EXPECT_TRUE(ring.TryPush(8));
}

TEST(SpscRingTest, EmptyRingPopsNothing) {
  SpscRing<int> ring(4);
  EXPECT_FALSE(ring.TryPop().has_value());
  ring.TryPush(1);
  EXPECT_EQ(ring.TryPop(), 1);
  EXPECT_FALSE(ring.TryPop().has_value());
}

// Two threads, one each side: every item arrives exactly once and in order,
// also across many index wraps of a small ring.
TEST(SpscRingTest, CarriesItemsInOrderBetweenThreads) {
  constexpr uint64_t kItems = 200000;
  SpscRing<uint64_t> ring(64);
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kItems;) {
      if (ring.TryPush(uint64_t{i})) ++i;
    }
  });
  uint64_t expected = 1;
  while (expected <= kItems) {
    if (auto item = ring.TryPop()) {
      ASSERT_EQ(*item, expected);
      ++expected;
    }
  }
  producer.join();
  EXPECT_FALSE(ring.TryPop().has_value());
}

}  // namespace
}  // namespace tutti::mixer
