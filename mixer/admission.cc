#include "mixer/admission.h"

#include <algorithm>
#include <cmath>

namespace tutti::mixer {
namespace {

bool Valid(std::span<const WorkerUse> workers, int index) {
  return index >= 0 && static_cast<size_t>(index) < workers.size();
}

}  // namespace

std::string_view AdmissionName(Admission admission) {
  switch (admission) {
    case Admission::kAdmit:
      return "admit";
    case Admission::kOverCommit:
      return "over_commit";
    case Admission::kNoCapacity:
      return "no_capacity";
    case Admission::kWorkerFull:
      return "worker_full";
  }
  return "unknown";
}

uint32_t ProjectedLoadPermille(const WorkerUse& worker) {
  const double cost_permille = worker.participant_cost_ppm / 1000.0;
  const int unmeasured = std::max(0, worker.participants - worker.measured_participants);
  const double ramp = worker.load_permille + unmeasured * cost_permille;
  const double talk = worker.participants * cost_permille;
  return static_cast<uint32_t>(std::lround(std::max(ramp, talk)));
}

bool HasRoom(const AdmissionLimits& limits, const WorkerUse& worker) {
  if (limits.max_participants_per_worker > 0 &&
      worker.participants >= limits.max_participants_per_worker) {
    return false;
  }
  if (limits.admit_load <= 0) return true;
  const double with_one_more = ProjectedLoadPermille(worker) + worker.participant_cost_ppm / 1000.0;
  return with_one_more <= limits.admit_load * 1000;
}

int PlaceOn(const AdmissionLimits& limits, std::span<const WorkerUse> workers) {
  bool any_room = false;
  for (const WorkerUse& worker : workers) any_room = any_room || HasRoom(limits, worker);
  auto candidate = [&](const WorkerUse& worker) { return !any_room || HasRoom(limits, worker); };
  uint32_t least_load = UINT32_MAX;
  for (const WorkerUse& worker : workers) {
    if (candidate(worker)) least_load = std::min(least_load, ProjectedLoadPermille(worker));
  }
  int best = -1;
  for (size_t i = 0; i < workers.size(); ++i) {
    const WorkerUse& worker = workers[i];
    if (!candidate(worker) ||
        ProjectedLoadPermille(worker) > least_load + kPlacementLoadBandPermille) {
      continue;
    }
    if (best < 0 || worker.participants < workers[static_cast<size_t>(best)].participants) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

Admission AdmitNew(const AdmissionLimits& limits, std::span<const WorkerUse> workers,
                   int placed_worker) {
  bool any_room = false;
  for (const WorkerUse& worker : workers) any_room = any_room || HasRoom(limits, worker);
  if (!any_room) return Admission::kNoCapacity;
  if (!Valid(workers, placed_worker) ||
      HasRoom(limits, workers[static_cast<size_t>(placed_worker)])) {
    return Admission::kAdmit;
  }
  return limits.over_commit_full_worker ? Admission::kOverCommit : Admission::kWorkerFull;
}

Admission AdmitMove(const AdmissionLimits& limits, std::span<const WorkerUse> workers,
                    int from_worker, int to_worker) {
  if (!Valid(workers, to_worker) || to_worker == from_worker ||
      HasRoom(limits, workers[static_cast<size_t>(to_worker)])) {
    return Admission::kAdmit;
  }
  return limits.over_commit_full_worker ? Admission::kOverCommit : Admission::kWorkerFull;
}

}  // namespace tutti::mixer
