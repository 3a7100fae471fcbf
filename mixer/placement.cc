#include "mixer/placement.h"

namespace tutti::mixer {

int Placement::WorkerOf(uint32_t conference_id) const {
  auto it = conferences_.find(conference_id);
  return it == conferences_.end() ? -1 : it->second.worker;
}

int Placement::Join(uint32_t conference_id, uint64_t participant_id, int worker_if_new) {
  if (where_.contains(participant_id)) Leave(participant_id);
  auto it = conferences_.try_emplace(conference_id, Conference{worker_if_new, 0}).first;
  ++it->second.participants;
  ++participants_[static_cast<size_t>(it->second.worker)];
  where_.emplace(participant_id, conference_id);
  return it->second.worker;
}

bool Placement::Leave(uint64_t participant_id) {
  auto where = where_.find(participant_id);
  if (where == where_.end()) return false;
  auto it = conferences_.find(where->second);
  where_.erase(where);
  if (it == conferences_.end()) return false;  // cannot happen: joined together
  --participants_[static_cast<size_t>(it->second.worker)];
  if (--it->second.participants == 0) conferences_.erase(it);
  return true;
}

}  // namespace tutti::mixer
