#include "mixer/worker_pool.h"

#include "mediaplane/kernel_socket_io.h"

namespace tutti::mixer {

WorkerPool::WorkerPool(WorkerPoolOptions options) {
  for (int i = 0; i < options.workers; ++i) {
    WorkerOptions worker;
    worker.index = i;
    worker.core = options.cores.empty() ? -1 : options.cores[static_cast<size_t>(i)];
    worker.conference = options.conference;
    worker.rtp_timeout_us = options.rtp_timeout_us;
    worker.unverified_send_us = options.unverified_send_us;
    worker.consent_timeout_us = options.consent_timeout_us;
    worker.shed_load = options.shed_load;
    worker.restore_load = options.restore_load;
    std::unique_ptr<media::PacketIo> io =
        options.make_io ? options.make_io(i) : std::make_unique<media::KernelSocketIo>();
    workers_.push_back(std::make_unique<MediaWorker>(worker, std::move(io)));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  for (auto& worker : workers_) worker->Start();
}

void WorkerPool::Stop() {
  for (auto& worker : workers_) worker->Stop();
}

bool WorkerPool::Add(std::unique_ptr<Participant> participant) {
  const uint32_t conference_id = participant->spec().conference_id;
  return Send(conference_id, AddParticipant{std::move(participant)});
}

bool WorkerPool::Remove(uint32_t conference_id, uint64_t participant_id) {
  return Send(conference_id, RemoveParticipant{{conference_id, participant_id}});
}

bool WorkerPool::Update(const ParticipantSpec& spec) {
  return Send(spec.conference_id, UpdateParticipant{spec});
}

bool WorkerPool::SetMuted(uint32_t conference_id, uint64_t participant_id, bool muted) {
  return Send(conference_id, MuteParticipant{{conference_id, participant_id}, muted});
}

bool WorkerPool::Record(uint32_t conference_id, RoomRecorder* recorder) {
  return Send(conference_id, SetRecorder{conference_id, recorder});
}

bool WorkerPool::Play(uint32_t conference_id, uint64_t participant_id, const media::Prompt* prompt,
                      bool loop) {
  return Send(conference_id, PlayPrompt{{conference_id, participant_id}, prompt, loop});
}

bool WorkerPool::Detach(uint32_t conference_id, uint64_t participant_id,
                        uint32_t to_conference_id) {
  return Send(conference_id, DetachParticipant{{conference_id, participant_id}, to_conference_id});
}

bool WorkerPool::SetGains(uint32_t conference_id, uint64_t participant_id, int listen_gain_db,
                          int talk_gain_db) {
  return Send(conference_id,
              SetParticipantGains{{conference_id, participant_id}, listen_gain_db, talk_gain_db});
}

bool WorkerPool::Configure(uint32_t conference_id, const ConferenceSettings& settings) {
  return Send(conference_id, ConfigureConference{conference_id, settings});
}

bool WorkerPool::Send(uint32_t conference_id, WorkerCommand command) {
  control_thread_.Check();
  return WorkerFor(conference_id).Post(std::move(command));
}

void WorkerPool::DrainEvents(const std::function<void(WorkerEvent&)>& handle) {
  control_thread_.Check();
  for (auto& worker : workers_) {
    while (std::optional<WorkerEvent> event = worker->PollEvent()) handle(*event);
  }
}

}  // namespace tutti::mixer
