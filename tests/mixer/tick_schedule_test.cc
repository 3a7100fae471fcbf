#include "mixer/tick_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace tutti::mixer {
namespace {

constexpr int64_t kStart = 1'000'000;
constexpr int64_t kInterval = TickSchedule::kIntervalUs;

// Drives a schedule with a clock of its own, as the worker's loop would:
// at each due instant (or `lag_us` after it) take the run and "mix" its
// conferences at a cost per participant; records every mix.
struct Driver {
  explicit Driver(int slots) : schedule(slots, kStart) {}

  // Runs everything due up to `until_us`; mixes take no time unless the
  // cost of a conference is set in `mix_us`.
  void RunUntil(int64_t until_us, int64_t lag_us = 0) {
    while (true) {
      const std::optional<int64_t> due = schedule.next_due_us();
      if (!due || *due + lag_us > until_us) return;
      now = std::max(now, *due + lag_us);
      std::optional<TickSchedule::Run> run = schedule.Take(now);
      if (!run) continue;
      if (run->late) ++late_runs;
      int64_t at = now;
      for (TickSchedule::Entry& entry : run->entries) {
        if (!run->Mixes(entry)) continue;
        mixes[entry.id].push_back(at);
        lateness.push_back(at - run->due_us);
        const int64_t took = mix_us.contains(entry.id) ? mix_us[entry.id] : 0;
        schedule.Measured(*run, entry, participants[entry.id],
                          static_cast<double>(took * 1000 + 1000 * participants[entry.id]));
        at += took;
      }
      now = at;
      if (rebalance) schedule.Rebalance(run->slot, now);
    }
  }

  TickSchedule schedule;
  int64_t now = kStart;
  int late_runs = 0;
  bool rebalance = false;
  std::map<uint32_t, int> participants;
  std::map<uint32_t, int64_t> mix_us;
  std::map<uint32_t, std::vector<int64_t>> mixes;  // instants each was mixed at
  std::vector<int64_t> lateness;
};

// Gaps between a conference's consecutive mixes.
std::vector<int64_t> Gaps(const std::vector<int64_t>& instants) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < instants.size(); ++i) gaps.push_back(instants[i] - instants[i - 1]);
  return gaps;
}

TEST(TickScheduleTest, EqualRoomsSpreadOverEveryPhase) {
  Driver driver(TickSchedule::kSpreadSlots);
  for (uint32_t id = 1; id <= 40; ++id) {
    driver.participants[id] = 10;
    driver.schedule.Add(id, 10, kStart);
  }
  for (int slot = 0; slot < TickSchedule::kSpreadSlots; ++slot) {
    EXPECT_DOUBLE_EQ(driver.schedule.SlotCost(slot), driver.schedule.SlotCost(0)) << slot;
  }
  driver.RunUntil(kStart + 10 * kInterval);
  std::set<int64_t> phases;
  for (const auto& [id, instants] : driver.mixes)
    phases.insert((instants.front() - kStart) % kInterval);
  EXPECT_EQ(phases.size(), 20u);  // 20 instants 1 ms apart, two rooms each
  EXPECT_EQ(*phases.rbegin(), 19'000);
}

TEST(TickScheduleTest, OneSlotMixesEveryRoomAtOneInstant) {
  Driver driver(1);
  for (uint32_t id = 1; id <= 5; ++id) driver.schedule.Add(id, 10, kStart);
  driver.RunUntil(kStart + 5 * kInterval);
  std::set<int64_t> instants;
  for (const auto& [id, mixed] : driver.mixes) instants.insert(mixed.begin(), mixed.end());
  EXPECT_EQ(instants.size(), 6u);  // kStart, then five more 20 ms apart
}

TEST(TickScheduleTest, EachRoomIsDueEvery20Ms) {
  Driver driver(TickSchedule::kSpreadSlots);
  for (uint32_t id = 1; id <= 7; ++id) driver.schedule.Add(id, 3, kStart + 333);
  driver.RunUntil(kStart + 50 * kInterval);
  for (const auto& [id, instants] : driver.mixes) {
    EXPECT_GE(instants.size(), 49u) << id;
    for (int64_t gap : Gaps(instants)) EXPECT_EQ(gap, kInterval) << id;
  }
}

TEST(TickScheduleTest, ANewRoomTakesTheLightestPhase) {
  TickSchedule schedule(TickSchedule::kSpreadSlots, kStart);
  for (uint32_t id = 1; id <= 20; ++id) EXPECT_EQ(schedule.Add(id, 1, kStart), int(id - 1));
  // Make slot 7 the lightest by far: everyone else measured heavier.
  for (int round = 0; round < 3; ++round) {
    for (int64_t t = kStart + round * kInterval; t < kStart + (round + 1) * kInterval; t += 1000) {
      std::optional<TickSchedule::Run> run = schedule.Take(t);
      ASSERT_TRUE(run);
      for (TickSchedule::Entry& entry : run->entries) {
        schedule.Measured(*run, entry, 1, run->slot == 7 ? 1'000 : 50'000);
      }
    }
  }
  EXPECT_EQ(schedule.Add(100, 1, kStart + 3 * kInterval), 7);
  EXPECT_EQ(schedule.SlotOf(100), 7);
}

TEST(TickScheduleTest, RemovalAndAdditionKeepTheOthersPhases) {
  Driver driver(TickSchedule::kSpreadSlots);
  for (uint32_t id = 1; id <= 10; ++id) driver.schedule.Add(id, 5, kStart);
  driver.RunUntil(kStart + 3 * kInterval);
  std::map<uint32_t, int> slots;
  for (uint32_t id = 1; id <= 10; ++id) slots[id] = driver.schedule.SlotOf(id);
  const size_t mixes_of_4 = driver.mixes[4].size();
  driver.schedule.Remove(4);
  driver.schedule.Remove(9);
  EXPECT_EQ(driver.schedule.SlotOf(4), -1);
  driver.schedule.Add(11, 5, driver.now);
  driver.schedule.Add(12, 5, driver.now);
  driver.RunUntil(kStart + 10 * kInterval);
  for (uint32_t id = 1; id <= 10; ++id) {
    if (id == 4 || id == 9) continue;
    EXPECT_EQ(driver.schedule.SlotOf(id), slots[id]) << id;
    for (int64_t gap : Gaps(driver.mixes[id])) EXPECT_EQ(gap, kInterval) << id;
  }
  EXPECT_EQ(driver.mixes[4].size(), mixes_of_4);  // none after its removal
}

TEST(TickScheduleTest, AnOverrunPhaseCountsLateAndSkipsAheadWithoutADoubleMix) {
  TickSchedule schedule(TickSchedule::kSpreadSlots, kStart);
  schedule.Add(1, 10, kStart);
  std::optional<TickSchedule::Run> first = schedule.Take(kStart);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->late);
  // The loop got back 2.5 intervals later than the next due instant.
  const int64_t now = kStart + kInterval + 2 * kInterval + kInterval / 2;
  std::optional<TickSchedule::Run> late = schedule.Take(now);
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->late);
  EXPECT_EQ(late->due_us, kStart + kInterval);
  // Next at its own phase, at least half an interval on: not at once.
  EXPECT_FALSE(schedule.Take(now));
  ASSERT_TRUE(schedule.next_due_us());
  EXPECT_EQ((*schedule.next_due_us() - kStart) % kInterval, 0);
  EXPECT_GE(*schedule.next_due_us() - now, kInterval / 2);
  EXPECT_LE(*schedule.next_due_us() - now, kInterval + kInterval / 2);
}

TEST(TickScheduleTest, ALittleLateIsNotLateAndKeepsThePhase) {
  TickSchedule schedule(TickSchedule::kSpreadSlots, kStart);
  schedule.Add(1, 10, kStart);
  ASSERT_TRUE(schedule.Take(kStart + 15'000));
  EXPECT_EQ(*schedule.next_due_us(), kStart + kInterval);
  std::optional<TickSchedule::Run> run = schedule.Take(kStart + kInterval + 19'999);
  ASSERT_TRUE(run);
  EXPECT_FALSE(run->late);
}

TEST(TickScheduleTest, LatenessGrowsWithinAnOverfullInstant) {
  // The old single instant: ten rooms of 0.9 ms each, all due at once.
  Driver one(1);
  Driver spread(TickSchedule::kSpreadSlots);
  for (Driver* driver : {&one, &spread}) {
    for (uint32_t id = 1; id <= 10; ++id) {
      driver->schedule.Add(id, 10, kStart);
      driver->mix_us[id] = 900;
      driver->participants[id] = 10;
    }
    driver->RunUntil(kStart + 20 * kInterval);
  }
  EXPECT_EQ(*std::ranges::max_element(one.lateness), 9 * 900);
  // Spread, each room has a 1 ms phase to itself: none is held up.
  EXPECT_EQ(*std::ranges::max_element(spread.lateness), 0);
}

TEST(TickScheduleTest, RebalanceMovesARoomWithoutDoubleOrMissedTicks) {
  Driver driver(TickSchedule::kSpreadSlots);
  driver.rebalance = true;
  // Twenty rooms placed evenly while small; then the ones of slots 0 and 1
  // grow big, with others, so slot 0 and slot 1 are the heaviest.
  for (uint32_t id = 1; id <= 40; ++id) {
    driver.participants[id] = 1;
    driver.schedule.Add(id, 1, kStart);
  }
  driver.RunUntil(kStart + 2 * kInterval);
  for (uint32_t id = 1; id <= 40; ++id) {
    const int slot = driver.schedule.SlotOf(id);
    if (slot <= 1) driver.participants[id] = 20;
  }
  driver.RunUntil(kStart + 400 * kInterval);
  double most = 0;
  double least = 1e18;
  for (int slot = 0; slot < driver.schedule.slots(); ++slot) {
    most = std::max(most, driver.schedule.SlotCost(slot));
    least = std::min(least, driver.schedule.SlotCost(slot));
  }
  // Slots 0 and 1 had two rooms of 20 each; after the moves, no slot has
  // two of them.
  EXPECT_LT(most, 30 * 1000.0 + 1);
  bool moved = false;
  for (const auto& [id, instants] : driver.mixes) {
    EXPECT_GE(instants.size(), 399u) << id;  // none skipped
    for (int64_t gap : Gaps(instants)) {
      EXPECT_GE(gap, kInterval / 2) << id;  // never twice within 10 ms
      EXPECT_LE(gap, kInterval + kInterval / 2) << id;
      if (gap != kInterval) moved = true;
    }
  }
  EXPECT_TRUE(moved);
  EXPECT_GT(least, 0);
}

TEST(TickScheduleTest, NoRebalanceWhenEven) {
  Driver driver(TickSchedule::kSpreadSlots);
  driver.rebalance = true;
  for (uint32_t id = 1; id <= 40; ++id) {
    driver.participants[id] = 10;
    driver.schedule.Add(id, 10, kStart);
  }
  driver.RunUntil(kStart + 100 * kInterval);
  for (const auto& [id, instants] : driver.mixes) {
    for (int64_t gap : Gaps(instants)) EXPECT_EQ(gap, kInterval) << id;
  }
}

}  // namespace
}  // namespace tutti::mixer
