// The pool places a room on a worker at its first join and forgets it when
// its last participant's leaving comes back as an event (Left, Detached...),
// with the running workers (no timing: it waits for the events, bounded).
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "mediaplane/port_allocator.h"
#include "mixer/worker_pool.h"

namespace tutti::mixer {
namespace {

class WorkerPoolPlacementTest : public ::testing::Test {
 protected:
  WorkerPoolPlacementTest() : pool_(Options()) { pool_.Start(); }
  ~WorkerPoolPlacementTest() override { pool_.Stop(); }

  static WorkerPoolOptions Options() {
    WorkerPoolOptions options;
    options.workers = 2;
    return options;
  }

  bool Add(uint32_t conference_id, uint64_t participant_id) {
    auto ports = ports_.Allocate();
    EXPECT_TRUE(ports.ok());
    ParticipantSpec spec;
    spec.id = participant_id;
    spec.conference_id = conference_id;
    spec.codec = {media::CodecKind::kPcmu, 8000, 20};
    spec.payload_type = 0;
    return pool_.Add(std::make_unique<Participant>(spec, std::move(*ports), 1));
  }

  // Drains events until one of kind `Kind` came (handing each to
  // `handle`), for at most 20 s (a bound, not a timing).
  template <typename Kind>
  bool DrainUntil(const std::function<void(WorkerEvent&)>& handle = [](WorkerEvent&) {}) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      pool_.DrainEvents([&](WorkerEvent& event) {
        seen = seen || std::holds_alternative<Kind>(event);
        handle(event);
      });
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return seen;
  }

  media::PortAllocator ports_{"127.0.0.1", 47000, 47999};
  WorkerPool pool_;
};

TEST_F(WorkerPoolPlacementTest, RoomsArePlacedAtFirstJoinAndForgottenWhenEmpty) {
  EXPECT_EQ(pool_.WorkerIndexFor(10), -1);
  ASSERT_TRUE(Add(10, 1));
  ASSERT_TRUE(Add(11, 2));  // the other worker: as idle, fewer participants
  ASSERT_TRUE(Add(10, 3));  // where room 10 is
  EXPECT_EQ(pool_.WorkerIndexFor(10), 0);
  EXPECT_EQ(pool_.WorkerIndexFor(11), 1);
  EXPECT_EQ(pool_.placement().participants(0), 2);
  EXPECT_EQ(pool_.placement().participants(1), 1);

  ASSERT_TRUE(pool_.Remove(10, 1));
  ASSERT_TRUE(DrainUntil<Left>());
  EXPECT_EQ(pool_.placement().participants(0), 1);
  EXPECT_EQ(pool_.WorkerIndexFor(10), 0);  // 3 is still in

  // 3 moves to room 11: out of 10 (now empty, forgotten) when its worker
  // hands it back, into 11's worker when the control thread adds it.
  ASSERT_TRUE(pool_.Detach(10, 3, 11));
  ASSERT_TRUE(DrainUntil<Detached>([&](WorkerEvent& event) {
    if (auto* detached = std::get_if<Detached>(&event)) {
      EXPECT_EQ(pool_.WorkerIndexFor(10), -1);  // counted before the handler sees it
      EXPECT_TRUE(pool_.Add(std::move(detached->participant)));
    }
  }));
  EXPECT_EQ(pool_.WorkerIndexFor(10), -1);
  EXPECT_EQ(pool_.placement().participants(0), 0);
  EXPECT_EQ(pool_.placement().participants(1), 2);
  EXPECT_EQ(pool_.placement().conferences(), 1u);

  // Room 10 again: the idle worker now.
  ASSERT_TRUE(Add(10, 4));
  EXPECT_EQ(pool_.WorkerIndexFor(10), 0);
}

TEST_F(WorkerPoolPlacementTest, AdmissionFollowsTheCapPerWorker) {
  pool_.SetAdmissionLimits({.admit_load = 0.9, .max_participants_per_worker = 2});
  ASSERT_TRUE(Add(20, 1));
  ASSERT_TRUE(Add(20, 2));  // worker 0 full
  EXPECT_EQ(pool_.AdmitNew(20), Admission::kWorkerFull);
  EXPECT_EQ(pool_.AdmitNew(21), Admission::kAdmit);  // goes to worker 1
  ASSERT_TRUE(Add(21, 3));
  EXPECT_EQ(pool_.WorkerIndexFor(21), 1);
  ASSERT_TRUE(Add(22, 4));  // placed where there is room: worker 1
  EXPECT_EQ(pool_.WorkerIndexFor(22), 1);
  EXPECT_EQ(pool_.AdmitNew(23), Admission::kNoCapacity);
  // A caller in room 22 (worker 1) may not move to room 20 on full worker 0,
  // unless the policy over-commits.
  EXPECT_EQ(pool_.AdmitMove(22, 20), Admission::kWorkerFull);
  pool_.SetAdmissionLimits(
      {.admit_load = 0.9, .max_participants_per_worker = 2, .over_commit_full_worker = true});
  EXPECT_EQ(pool_.AdmitMove(22, 20), Admission::kOverCommit);
  EXPECT_EQ(pool_.AdmitNew(23), Admission::kNoCapacity);

  // One leaves: there is room again.
  ASSERT_TRUE(pool_.Remove(20, 1));
  ASSERT_TRUE(DrainUntil<Left>());
  EXPECT_EQ(pool_.AdmitNew(23), Admission::kAdmit);
  EXPECT_EQ(pool_.AdmitNew(20), Admission::kAdmit);
}

}  // namespace
}  // namespace tutti::mixer
