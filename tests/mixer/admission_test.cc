// Admission by media load (mixer/admission.h): which worker a new room goes
// to, and which joins are refused, from loads and participant counts alone.
#include "mixer/admission.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

AdmissionLimits Limits(double admit_load, int cap, bool over_commit = false) {
  return {.admit_load = admit_load,
          .max_participants_per_worker = cap,
          .over_commit_full_worker = over_commit};
}

TEST(AdmissionTest, RoomIsLoadUnderTheLimitAndParticipantsUnderTheCap) {
  EXPECT_TRUE(HasRoom(Limits(0.9, 0), {900, 10'000}));  // at the limit, not above
  EXPECT_FALSE(HasRoom(Limits(0.9, 0), {901, 0}));
  EXPECT_TRUE(HasRoom(Limits(0.9, 12), {0, 11}));
  EXPECT_FALSE(HasRoom(Limits(0.9, 12), {0, 12}));
  // 0 disables either limit.
  EXPECT_TRUE(HasRoom(Limits(0, 0), {1000, 1'000'000}));
  EXPECT_FALSE(HasRoom(Limits(0, 3), {0, 3}));
}

TEST(AdmissionTest, PlacesOnTheLeastLoadedWorker) {
  const std::vector<WorkerUse> workers = {{600, 10}, {200, 40}, {400, 0}};
  EXPECT_EQ(PlaceOn(Limits(0.9, 0), workers), 1);
}

TEST(AdmissionTest, LoadsWithinTheBandTieAndFewestParticipantsWin) {
  // Before the workers measure anything (all 0), rooms spread by count.
  EXPECT_EQ(PlaceOn(Limits(0.9, 0), std::vector<WorkerUse>{{0, 4}, {0, 3}, {0, 3}}), 1);
  // 30 thousandths apart: equal for placement; worker 0 has fewer.
  EXPECT_EQ(PlaceOn(Limits(0.9, 0), std::vector<WorkerUse>{{230, 5}, {200, 9}}), 0);
  // Beyond the band the load decides.
  EXPECT_EQ(PlaceOn(Limits(0.9, 0), std::vector<WorkerUse>{{260, 5}, {200, 9}}), 1);
}

TEST(AdmissionTest, PlacementSkipsFullWorkers) {
  // Worker 0 is idle but at its cap; 1 is busier but has room.
  EXPECT_EQ(PlaceOn(Limits(0.9, 12), std::vector<WorkerUse>{{100, 12}, {700, 3}}), 1);
  // Worker 2 has nobody but is above admit_load.
  EXPECT_EQ(PlaceOn(Limits(0.5, 0), std::vector<WorkerUse>{{300, 3}, {200, 5}, {600, 0}}), 1);
  // None has room (an over-committed move): still the least loaded.
  EXPECT_EQ(PlaceOn(Limits(0.5, 0), std::vector<WorkerUse>{{950, 3}, {700, 9}}), 1);
  EXPECT_EQ(PlaceOn(Limits(0.9, 0), std::vector<WorkerUse>{}), -1);
}

TEST(AdmissionTest, NewCallIsRefusedWhenNoWorkerHasRoom) {
  const std::vector<WorkerUse> busy = {{950, 1}, {920, 1}};
  EXPECT_EQ(AdmitNew(Limits(0.9, 0), busy, -1), Admission::kNoCapacity);
  EXPECT_EQ(AdmitNew(Limits(0.9, 0), busy, 0), Admission::kNoCapacity);
  // Even to a room on a worker, and even when full rooms may over-commit.
  EXPECT_EQ(AdmitNew(Limits(0.9, 0, true), busy, 1), Admission::kNoCapacity);
  const std::vector<WorkerUse> capped = {{0, 12}, {0, 12}};
  EXPECT_EQ(AdmitNew(Limits(0.9, 12), capped, -1), Admission::kNoCapacity);
  EXPECT_EQ(AdmitNew(Limits(0.9, 13), capped, -1), Admission::kAdmit);
}

TEST(AdmissionTest, NewCallToARoomOnAFullWorkerGoesByPolicy) {
  const std::vector<WorkerUse> workers = {{950, 1}, {100, 1}};
  EXPECT_EQ(AdmitNew(Limits(0.9, 0), workers, 0), Admission::kWorkerFull);
  EXPECT_EQ(AdmitNew(Limits(0.9, 0, true), workers, 0), Admission::kOverCommit);
  // A room on the worker with room, or a room nobody is in yet.
  EXPECT_EQ(AdmitNew(Limits(0.9, 0), workers, 1), Admission::kAdmit);
  EXPECT_EQ(AdmitNew(Limits(0.9, 0), workers, -1), Admission::kAdmit);
}

TEST(AdmissionTest, MoveIsRefusedOnlyForAnotherFullWorker) {
  const std::vector<WorkerUse> workers = {{100, 12}, {100, 3}};
  const AdmissionLimits refuse = Limits(0.9, 12);
  EXPECT_EQ(AdmitMove(refuse, workers, 1, 0), Admission::kWorkerFull);
  EXPECT_EQ(AdmitMove(Limits(0.9, 12, true), workers, 1, 0), Admission::kOverCommit);
  // From the same worker: nothing changes there.
  EXPECT_EQ(AdmitMove(refuse, workers, 0, 0), Admission::kAdmit);
  // The room is not placed yet: it goes where there is room.
  EXPECT_EQ(AdmitMove(refuse, workers, 1, -1), Admission::kAdmit);
  // The caller already holds a place: a full process does not refuse it.
  EXPECT_EQ(AdmitMove(refuse, std::vector<WorkerUse>{{0, 12}, {0, 12}}, 1, -1), Admission::kAdmit);
  EXPECT_EQ(AdmitMove(refuse, workers, 0, 1), Admission::kAdmit);
}

TEST(AdmissionTest, OnlyAdmitAndOverCommitAreAdmitted) {
  EXPECT_TRUE(Admitted(Admission::kAdmit));
  EXPECT_TRUE(Admitted(Admission::kOverCommit));
  EXPECT_FALSE(Admitted(Admission::kNoCapacity));
  EXPECT_FALSE(Admitted(Admission::kWorkerFull));
  EXPECT_EQ(AdmissionName(Admission::kWorkerFull), "worker_full");
}

WorkerUse Use(uint32_t load_permille, int participants, int measured, uint32_t cost_ppm) {
  return {.load_permille = load_permille,
          .participants = participants,
          .measured_participants = measured,
          .participant_cost_ppm = cost_ppm};
}

TEST(AdmissionTest, ProjectionAddsTheParticipantsTheLoadHasNotSeen) {
  // 0.5 of the core for 1,000 participants measured, 200 more placed since.
  EXPECT_EQ(ProjectedLoadPermille(Use(500, 1200, 1000, 500)), 600u);
  // Without a cost estimate, the load alone.
  EXPECT_EQ(ProjectedLoadPermille(Use(500, 1200, 1000, 0)), 500u);
  // Fewer placed than measured (some left): the load, not less.
  EXPECT_EQ(ProjectedLoadPermille(Use(500, 900, 1000, 400)), 500u);
}

TEST(AdmissionTest, ProjectionForeseesQuietParticipantsTalking) {
  // 1,000 quiet participants at 0.3 of the core, but they cost 0.0008 each
  // when the worker was last busy with talk.
  EXPECT_EQ(ProjectedLoadPermille(Use(300, 1000, 1000, 800)), 800u);
}

TEST(AdmissionTest, RoomCountsTheProjectionAndTheCaller) {
  const AdmissionLimits limits = Limits(0.85, 0);
  // The load alone (0.70) has room; the 200 calls placed in the last second
  // at 0.0008 each bring it to 0.86.
  EXPECT_FALSE(HasRoom(limits, Use(700, 1200, 1000, 800)));
  EXPECT_TRUE(HasRoom(limits, Use(700, 1000, 1000, 800)));
  // 0.849 now: a caller costing 0.001 fits exactly, one costing 0.002 not.
  EXPECT_TRUE(HasRoom(limits, Use(849, 0, 0, 1000)));
  EXPECT_FALSE(HasRoom(limits, Use(849, 0, 0, 2000)));
  // A new call is refused on the projection, and placement prefers the
  // worker whose projection is lower though its load now is higher.
  const std::vector<WorkerUse> workers = {Use(300, 1000, 1000, 800), Use(400, 500, 500, 800)};
  EXPECT_EQ(PlaceOn(limits, workers), 1);
  EXPECT_EQ(AdmitNew(limits, std::vector<WorkerUse>{Use(700, 1200, 1000, 800)}, -1),
            Admission::kNoCapacity);
}

}  // namespace
}  // namespace tutti::mixer
