// The media workers of a process and how the control thread reaches them:
// a conference lives on one worker (chosen by its id), so every participant
// of a room goes to the same worker and a mix needs no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/thread_owner.h"
#include "mixer/media_worker.h"
#include "mixer/media_workers.h"

namespace tutti::mixer {

struct WorkerPoolOptions {
  int workers = 1;
  std::vector<int> cores;  // one per worker, or empty
  ConferenceOptions conference;
  int64_t rtp_timeout_us = 0;
  int64_t unverified_send_us = 5'000'000;  // WorkerOptions
  int64_t consent_timeout_us = 10'000'000;
  double shed_load = 0.85;  // WorkerOptions
  double restore_load = 0.70;
  // Each worker's packet I/O; unset: kernel sockets. The DPDK backend
  // passes its own (the mixer knows nothing of DPDK).
  std::function<std::unique_ptr<media::PacketIo>(int worker)> make_io;
};

class WorkerPool final : public MediaWorkers {
 public:
  explicit WorkerPool(WorkerPoolOptions options);
  ~WorkerPool() override;

  void Start();
  void Stop();

  // Control thread only. False when the worker's command ring is full: the
  // caller treats the call as not joined (and counts it).
  bool Add(std::unique_ptr<Participant> participant);
  bool Remove(uint32_t conference_id, uint64_t participant_id);
  bool Update(const ParticipantSpec& spec);
  bool SetMuted(uint32_t conference_id, uint64_t participant_id, bool muted);
  // Starts (recorder) or stops (null) recording a conference; the worker
  // answers RecorderReleased when the recorder may be closed.
  bool Record(uint32_t conference_id, RoomRecorder* recorder);
  bool Play(uint32_t conference_id, uint64_t participant_id, const media::Prompt* prompt,
            bool loop = false);
  // Moves a participant to another conference (on any worker) in two steps:
  // its worker answers Detached with the participant, which the control
  // thread then Add()s (its spec names `to_conference_id`).
  bool Detach(uint32_t conference_id, uint64_t participant_id, uint32_t to_conference_id);
  bool SetGains(uint32_t conference_id, uint64_t participant_id, int listen_gain_db,
                int talk_gain_db);
  // A room's own settings for its conference, from now on (also while the
  // room is empty); default settings (a deleted room's) are forgotten.
  bool Configure(uint32_t conference_id, const ConferenceSettings& settings);

  // MediaWorkers: the command side (every command above is a Send) and the
  // event drain, both on the control thread.
  bool Send(uint32_t conference_id, WorkerCommand command) override;
  void DrainEvents(const std::function<void(WorkerEvent&)>& handle) override;
  int WorkerIndexFor(uint32_t conference_id) override { return WorkerFor(conference_id).index(); }

  MediaWorker& WorkerFor(uint32_t conference_id) {
    return *workers_[conference_id % workers_.size()];
  }
  const std::vector<std::unique_ptr<MediaWorker>>& workers() const { return workers_; }

 private:
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  [[no_unique_address]] OwnerThread control_thread_;
};

}  // namespace tutti::mixer
