// Which worker runs each conference in use, and how many participants each
// worker has (issue 20): a conference is placed on a worker when its first
// participant joins and forgotten when its last one leaves, so a room that
// empties may be mixed elsewhere next time. Control thread only.
//
// Bounded by what is in use: one entry per participant joined (legs hold
// media ports, so [media] rtp_port_min..max bounds them) and one per
// conference that has any.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tutti::mixer {

class Placement {
 public:
  explicit Placement(int workers) : participants_(static_cast<size_t>(workers), 0) {}

  // The worker running `conference_id`; -1 when nobody is in it.
  int WorkerOf(uint32_t conference_id) const;
  // `participant_id` joins `conference_id`, which is placed on
  // `worker_if_new` when nobody is in it yet. Returns the conference's
  // worker. A participant still counted elsewhere leaves there first.
  int Join(uint32_t conference_id, uint64_t participant_id, int worker_if_new);
  // The participant left its worker (Left, RtpTimeout, DtlsFailed, or
  // Detached on its way to another conference); its conference is forgotten
  // when it was the last. False when it was not counted.
  bool Leave(uint64_t participant_id);

  int participants(int worker) const { return participants_[static_cast<size_t>(worker)]; }
  int workers() const { return static_cast<int>(participants_.size()); }
  size_t conferences() const { return conferences_.size(); }
  size_t tracked_participants() const { return where_.size(); }

 private:
  struct Conference {
    int worker = 0;
    int participants = 0;
  };
  absl::flat_hash_map<uint32_t, Conference> conferences_;
  absl::flat_hash_map<uint64_t, uint32_t> where_;  // participant -> conference
  std::vector<int> participants_;                  // by worker
};

}  // namespace tutti::mixer
