#include "dpdk/arp_table.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::dpdk {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);
constexpr uint32_t kGateway = 0xc00002fe;  // 192.0.2.254
constexpr uint32_t kPeer = 0xc000020a;     // 192.0.2.10

MacAddress Mac(uint8_t last) { return MacAddress{{0x52, 0x54, 0x00, 0x00, 0x00, last}}; }

TEST(ArpTableTest, UnknownMisses) {
  ArpTable table(ArpOptions{});
  EXPECT_FALSE(table.Lookup(kPeer, kStart).has_value());
  EXPECT_EQ(table.size(), 0u);
}

TEST(ArpTableTest, LearnedEntryExpiresAfterTtl) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5)});
  table.Learn(kPeer, Mac(1), kStart);
  EXPECT_EQ(table.Lookup(kPeer, kStart), Mac(1));
  EXPECT_EQ(table.Lookup(kPeer, kStart + absl::Minutes(5) - absl::Nanoseconds(1)), Mac(1));
  EXPECT_FALSE(table.Lookup(kPeer, kStart + absl::Minutes(5)).has_value());
  EXPECT_EQ(table.size(), 1u);  // held until evicted or relearned
}

TEST(ArpTableTest, RelearningRefreshesAndReplaces) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5)});
  table.Learn(kPeer, Mac(1), kStart);
  table.Learn(kPeer, Mac(2), kStart + absl::Minutes(4));  // the peer moved
  EXPECT_EQ(table.Lookup(kPeer, kStart + absl::Minutes(8)), Mac(2));
  EXPECT_FALSE(table.Lookup(kPeer, kStart + absl::Minutes(9)).has_value());
  EXPECT_EQ(table.size(), 1u);
}

TEST(ArpTableTest, StaticEntryNeverExpiresAndWinsOverLearning) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5)});
  table.SetStatic(kGateway, Mac(0xfe));
  EXPECT_EQ(table.Lookup(kGateway, kStart + absl::Hours(24 * 365)), Mac(0xfe));
  table.Learn(kGateway, Mac(0x66), kStart);  // a spoofed ARP for the gateway
  EXPECT_EQ(table.Lookup(kGateway, kStart), Mac(0xfe));
  EXPECT_FALSE(table.ShouldRequest(kGateway, kStart));
}

TEST(ArpTableTest, StaticReplacesLearned) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5), .max_entries = 1});
  table.Learn(kGateway, Mac(1), kStart);
  table.SetStatic(kGateway, Mac(0xfe));
  EXPECT_EQ(table.Lookup(kGateway, kStart + absl::Hours(1)), Mac(0xfe));
  // The static entry does not occupy the one learned slot, nor is it evicted.
  table.Learn(kPeer, Mac(2), kStart);
  table.Learn(kPeer + 1, Mac(3), kStart + absl::Seconds(1));
  EXPECT_EQ(table.Lookup(kGateway, kStart), Mac(0xfe));
  EXPECT_EQ(table.Lookup(kPeer + 1, kStart + absl::Seconds(1)), Mac(3));
  EXPECT_FALSE(table.Lookup(kPeer, kStart + absl::Seconds(1)).has_value());
  EXPECT_EQ(table.size(), 2u);
}

TEST(ArpTableTest, BoundEvictsOldest) {
  ArpTable table(ArpOptions{.max_entries = 3});
  for (uint32_t i = 0; i < 3; ++i) table.Learn(kPeer + i, Mac(i), kStart + absl::Seconds(i));
  table.Learn(kPeer, Mac(0), kStart + absl::Seconds(10));  // refreshed: now the newest
  table.Learn(kPeer + 3, Mac(3), kStart + absl::Seconds(11));
  const absl::Time now = kStart + absl::Seconds(12);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Lookup(kPeer, now), Mac(0));
  EXPECT_FALSE(table.Lookup(kPeer + 1, now).has_value());  // the oldest went
  EXPECT_EQ(table.Lookup(kPeer + 2, now), Mac(2));
  EXPECT_EQ(table.Lookup(kPeer + 3, now), Mac(3));
}

TEST(ArpTableTest, FloodOfLearningStaysBounded) {
  ArpTable table(ArpOptions{.max_entries = 100});
  for (uint32_t i = 0; i < 10'000; ++i) table.Learn(i, Mac(1), kStart + absl::Milliseconds(i));
  EXPECT_EQ(table.size(), 100u);
  const absl::Time now = kStart + absl::Seconds(10);
  EXPECT_TRUE(table.Lookup(9'999, now).has_value());
  EXPECT_TRUE(table.Lookup(9'900, now).has_value());
  EXPECT_FALSE(table.Lookup(9'899, now).has_value());
}

TEST(ArpTableTest, ShouldRequestOncePerRetryWhileUnresolved) {
  ArpTable table(ArpOptions{.retry = absl::Seconds(1)});
  EXPECT_TRUE(table.ShouldRequest(kPeer, kStart));
  int requests = 0;
  for (int ms = 1; ms < 3000; ++ms) {  // a packet every millisecond for 3 s
    requests += table.ShouldRequest(kPeer, kStart + absl::Milliseconds(ms)) ? 1 : 0;
  }
  EXPECT_EQ(requests, 2);                               // at 1 s and 2 s
  EXPECT_TRUE(table.ShouldRequest(kPeer + 1, kStart));  // another IP has its own clock
  // Exactly one retry interval after the last request is soon enough.
  EXPECT_FALSE(table.ShouldRequest(kPeer + 1, kStart + absl::Seconds(1) - absl::Nanoseconds(1)));
  EXPECT_TRUE(table.ShouldRequest(kPeer + 1, kStart + absl::Seconds(1)));
}

TEST(ArpTableTest, NoRequestWhileResolvedAndAgainOnExpiry) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5), .retry = absl::Seconds(1)});
  EXPECT_TRUE(table.ShouldRequest(kPeer, kStart));
  table.Learn(kPeer, Mac(1), kStart + absl::Milliseconds(10));
  EXPECT_FALSE(table.ShouldRequest(kPeer, kStart + absl::Seconds(2)));
  const absl::Time expired = kStart + absl::Milliseconds(10) + absl::Minutes(5);
  EXPECT_TRUE(table.ShouldRequest(kPeer, expired));
  EXPECT_FALSE(table.ShouldRequest(kPeer, expired + absl::Milliseconds(500)));
}

TEST(ArpTableTest, AgeingEntryIsRefreshedBeforeItExpires) {
  ArpTable table(ArpOptions{.ttl = absl::Minutes(5), .retry = absl::Seconds(1)});
  table.Learn(kPeer, Mac(1), kStart);
  EXPECT_FALSE(table.ShouldRequest(kPeer, kStart + absl::Minutes(3)));
  // In its last fifth: still used, and asked for again (once per retry).
  const absl::Time ageing = kStart + absl::Minutes(4) + absl::Seconds(1);
  EXPECT_EQ(table.Lookup(kPeer, ageing), Mac(1));
  EXPECT_TRUE(table.ShouldRequest(kPeer, ageing));
  EXPECT_FALSE(table.ShouldRequest(kPeer, ageing + absl::Milliseconds(200)));
  // The answer renews it.
  table.Learn(kPeer, Mac(1), ageing + absl::Milliseconds(300));
  EXPECT_FALSE(table.ShouldRequest(kPeer, ageing + absl::Seconds(5)));
  EXPECT_EQ(table.Lookup(kPeer, kStart + absl::Minutes(6)), Mac(1));
  // A static entry never asks.
  table.SetStatic(kGateway, Mac(9));
  EXPECT_FALSE(table.ShouldRequest(kGateway, kStart + absl::Hours(10)));
}

TEST(ArpTableTest, PendingRequestsAreBounded) {
  ArpTable table(ArpOptions{.retry = absl::Seconds(1), .max_entries = 2});
  EXPECT_TRUE(table.ShouldRequest(1, kStart));
  EXPECT_TRUE(table.ShouldRequest(2, kStart + absl::Milliseconds(500)));
  EXPECT_FALSE(table.ShouldRequest(3, kStart + absl::Milliseconds(600)));  // full, all fresh
  EXPECT_FALSE(table.ShouldRequest(4, kStart + absl::Milliseconds(999)));
  EXPECT_TRUE(table.ShouldRequest(3, kStart + absl::Seconds(1)));   // IP 1's record lapsed
  EXPECT_FALSE(table.ShouldRequest(4, kStart + absl::Seconds(1)));  // 2 and 3 are fresh
  EXPECT_TRUE(table.ShouldRequest(4, kStart + absl::Milliseconds(1500)));
  // Learning frees a pending slot too.
  table.Learn(3, Mac(3), kStart + absl::Milliseconds(1600));
  EXPECT_TRUE(table.ShouldRequest(5, kStart + absl::Milliseconds(1700)));
}

TEST(ArpTableTest, ConcurrentWorkers) {
  ArpTable table(ArpOptions{.max_entries = 64});
  table.SetStatic(kGateway, Mac(0xfe));
  std::atomic<int> gateway_misses = 0;
  std::vector<std::thread> workers;
  for (uint32_t w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (uint32_t i = 0; i < 5'000; ++i) {
        const absl::Time now = kStart + absl::Milliseconds(i);
        table.Learn(w * 1'000'000 + i, Mac(static_cast<uint8_t>(w)), now);
        if (!table.Lookup(kGateway, now)) ++gateway_misses;
        (void)table.ShouldRequest(w * 1'000'000 + i + 1, now);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(gateway_misses, 0);
  EXPECT_EQ(table.size(), 65u);
}

}  // namespace
}  // namespace tutti::dpdk
