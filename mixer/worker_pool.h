// The media workers of a process and how the control thread reaches them:
// a conference lives on one worker, so every participant of a room goes to
// the same worker and a mix needs no lock. Which one is chosen by load when
// its first participant joins (issue 20, placement.h); the same pool says
// whether a new call may come in (admission.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/thread_owner.h"
#include "mixer/media_worker.h"
#include "mixer/media_workers.h"
#include "mixer/placement.h"

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
  bool spread_ticks = true;  // WorkerOptions
  // Admission by load; SetAdmissionLimits changes it on a reload.
  AdmissionLimits admission;
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
  // room is empty); default settings (a deleted room's) are forgotten. Sent
  // to every worker: the room may be placed on any of them at its next join.
  bool Configure(uint32_t conference_id, const ConferenceSettings& settings);

  // [media] admit_load, max_participants_per_worker, full_worker, live.
  void SetAdmissionLimits(const AdmissionLimits& limits);

  // MediaWorkers: the command side (every command above is a Send) and the
  // event drain, both on the control thread. An AddParticipant places its
  // conference when nobody is in it; the events of a participant leaving
  // its worker (Left, RtpTimeout, DtlsFailed, Detached) are counted before
  // `handle` sees them, so a Detached participant's Add goes by its new room.
  bool Send(uint32_t conference_id, WorkerCommand command) override;
  void DrainEvents(const std::function<void(WorkerEvent&)>& handle) override;
  int WorkerIndexFor(uint32_t conference_id) override;
  Admission AdmitNew(uint32_t conference_id) override;
  Admission AdmitMove(uint32_t from, uint32_t to) override;

  const std::vector<std::unique_ptr<MediaWorker>>& workers() const { return workers_; }
  // Control thread.
  const Placement& placement() const { return placement_; }

 private:
  // The worker of a conference in use; for one nobody is in, any worker
  // answers (a command finds no conference there): its id's.
  MediaWorker& RouteOf(uint32_t conference_id);
  bool Join(AddParticipant command);
  // Each worker's load and participants now.
  std::span<const WorkerUse> Uses();

  std::vector<std::unique_ptr<MediaWorker>> workers_;
  AdmissionLimits limits_;
  Placement placement_;
  std::vector<WorkerUse> uses_;  // one per worker, refreshed by Uses()
  [[no_unique_address]] OwnerThread control_thread_;
};

}  // namespace tutti::mixer
