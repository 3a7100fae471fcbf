#include "mixer/admission.h"

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

bool HasRoom(const AdmissionLimits& limits, const WorkerUse& worker) {
  if (limits.max_participants_per_worker > 0 &&
      worker.participants >= limits.max_participants_per_worker) {
    return false;
  }
  if (limits.admit_load > 0 && worker.load_permille > limits.admit_load * 1000) return false;
  return true;
}

int PlaceOn(const AdmissionLimits& limits, std::span<const WorkerUse> workers) {
  bool any_room = false;
  for (const WorkerUse& worker : workers) any_room = any_room || HasRoom(limits, worker);
  auto candidate = [&](const WorkerUse& worker) { return !any_room || HasRoom(limits, worker); };
  uint32_t least_load = UINT32_MAX;
  for (const WorkerUse& worker : workers) {
    if (candidate(worker) && worker.load_permille < least_load) least_load = worker.load_permille;
  }
  int best = -1;
  for (size_t i = 0; i < workers.size(); ++i) {
    const WorkerUse& worker = workers[i];
    if (!candidate(worker) || worker.load_permille > least_load + kPlacementLoadBandPermille) {
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
