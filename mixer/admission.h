// Admission by media load (issue 20): whether a worker has room for one
// more participant, where a conference no one is in yet goes, and whether a
// new call or a caller moving from the IVR to a room is let in. Pure
// functions of the workers' loads and the configured limits, so call
// control's decision is tested without threads or clocks.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace tutti::mixer {

// [media] admit_load, max_participants_per_worker, full_worker.
struct AdmissionLimits {
  // A worker that would be busier than this share of its core with one
  // more participant (ProjectedLoadPermille plus one participant's cost)
  // takes no new participant; 0: no load limit.
  double admit_load = 0.90;
  // A configured capacity per worker; 0: none.
  int max_participants_per_worker = 0;
  // A join to a room whose worker is full (other workers may have room,
  // but a conference is mixed on one worker): false refuses it, true
  // over-commits that worker.
  bool over_commit_full_worker = false;

  bool operator==(const AdmissionLimits&) const = default;
};

// What admission reads of a worker.
struct WorkerUse {
  uint32_t load_permille = 0;
  int participants = 0;  // placed on it by the control thread
  // From the worker's ParticipantCostMeter (tick_load.h): the participants
  // its load was measured with, and what one costs (millionths of a core);
  // 0: no estimate yet, the load alone counts.
  int measured_participants = 0;
  uint32_t participant_cost_ppm = 0;
};

// The load a worker will carry (thousandths of a core) once what it has
// not measured yet shows: the participants placed on it since its load was
// measured, and its quiet participants talking. The larger of the load now
// plus the unmeasured participants at the estimated cost, and all of its
// participants at that cost.
uint32_t ProjectedLoadPermille(const WorkerUse& worker);

enum class Admission : uint8_t {
  kAdmit,
  kOverCommit,  // the room's worker is full; admitted per full_worker = "admit"
  kNoCapacity,  // no worker has room: a new call is refused (503)
  kWorkerFull,  // the room's worker is full and full_worker = "refuse"
};
std::string_view AdmissionName(Admission admission);
inline bool Admitted(Admission admission) {
  return admission == Admission::kAdmit || admission == Admission::kOverCommit;
}

// Loads closer than this (thousandths of a core) count as equal when placing:
// the measure is smoothed over a second, so a burst of new rooms would all
// go to the worker that was marginally idler a second ago.
inline constexpr uint32_t kPlacementLoadBandPermille = 50;

bool HasRoom(const AdmissionLimits& limits, const WorkerUse& worker);

// The worker a conference not placed yet goes to: among the workers with
// room (all of them when none has), the least loaded (by
// ProjectedLoadPermille) within kPlacementLoadBandPermille, then the fewest
// participants, then the lowest index. -1 when there is no worker.
int PlaceOn(const AdmissionLimits& limits, std::span<const WorkerUse> workers);

// A new call to a conference (a room, or a caller's IVR lobby), placed on
// `placed_worker` or not placed yet (-1): refused when no worker has room;
// when only its own worker is full, per over_commit_full_worker.
Admission AdmitNew(const AdmissionLimits& limits, std::span<const WorkerUse> workers,
                   int placed_worker);

// A participant already in (on `from_worker`) moving to a conference placed
// on `to_worker` (-1: not placed, so it goes where there is room): never
// refused for lack of capacity overall (it already holds a place), only
// when the room's worker is another one and is full, per
// over_commit_full_worker.
Admission AdmitMove(const AdmissionLimits& limits, std::span<const WorkerUse> workers,
                    int from_worker, int to_worker);

}  // namespace tutti::mixer
