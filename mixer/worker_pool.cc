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
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kAdd;
  command.participant_id = participant->id();
  command.conference_id = participant->spec().conference_id;
  MediaWorker& worker = WorkerFor(command.conference_id);
  command.participant = std::move(participant);
  return worker.Post(std::move(command));
}

bool WorkerPool::Remove(uint32_t conference_id, uint64_t participant_id) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kRemove;
  command.conference_id = conference_id;
  command.participant_id = participant_id;
  return WorkerFor(conference_id).Post(std::move(command));
}

bool WorkerPool::Update(const ParticipantSpec& spec) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kUpdate;
  command.conference_id = spec.conference_id;
  command.participant_id = spec.id;
  command.spec = spec;
  return WorkerFor(spec.conference_id).Post(std::move(command));
}

bool WorkerPool::SetMuted(uint32_t conference_id, uint64_t participant_id, bool muted) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kMute;
  command.conference_id = conference_id;
  command.participant_id = participant_id;
  command.flag = muted;
  return WorkerFor(conference_id).Post(std::move(command));
}

bool WorkerPool::Record(uint32_t conference_id, RoomRecorder* recorder) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kRecord;
  command.conference_id = conference_id;
  command.recorder = recorder;
  return WorkerFor(conference_id).Post(std::move(command));
}

bool WorkerPool::Play(uint32_t conference_id, uint64_t participant_id, const media::Prompt* prompt,
                      bool loop) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kPlay;
  command.conference_id = conference_id;
  command.participant_id = participant_id;
  command.prompt = prompt;
  command.flag = loop;
  return WorkerFor(conference_id).Post(std::move(command));
}

bool WorkerPool::Detach(uint32_t conference_id, uint64_t participant_id,
                        uint32_t to_conference_id) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kDetach;
  command.conference_id = conference_id;
  command.participant_id = participant_id;
  command.to_conference_id = to_conference_id;
  return WorkerFor(conference_id).Post(std::move(command));
}

bool WorkerPool::SetGains(uint32_t conference_id, uint64_t participant_id, int listen_gain_db,
                          int talk_gain_db) {
  WorkerCommand command;
  command.kind = WorkerCommand::Kind::kGain;
  command.conference_id = conference_id;
  command.participant_id = participant_id;
  command.listen_gain_db = listen_gain_db;
  command.talk_gain_db = talk_gain_db;
  return WorkerFor(conference_id).Post(std::move(command));
}

void WorkerPool::DrainEvents(const std::function<void(WorkerEvent&)>& handle) {
  for (auto& worker : workers_) {
    while (std::optional<WorkerEvent> event = worker->PollEvent()) handle(*event);
  }
}

}  // namespace tutti::mixer
