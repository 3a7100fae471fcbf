#include "mixer/worker_pool.h"

#include "mediaplane/kernel_socket_io.h"

namespace tutti::mixer {
WorkerPool::WorkerPool(WorkerPoolOptions options)
    : limits_(options.admission),
      placement_(options.workers),
      uses_(static_cast<size_t>(options.workers)) {
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
    worker.spread_ticks = options.spread_ticks;
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

void WorkerPool::SetAdmissionLimits(const AdmissionLimits& limits) {
  control_thread_.Check();
  limits_ = limits;
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
  if (auto* add = std::get_if<AddParticipant>(&command)) return Join(std::move(*add));
  if (const auto* configure = std::get_if<ConfigureConference>(&command)) {
    bool all = true;
    for (auto& worker : workers_) all = worker->Post(*configure) && all;
    return all;
  }
  return RouteOf(conference_id).Post(std::move(command));
}

bool WorkerPool::Join(AddParticipant command) {
  const uint32_t conference_id = command.participant->spec().conference_id;
  const uint64_t participant_id = command.participant->id();
  int worker = placement_.WorkerOf(conference_id);
  if (worker < 0) worker = PlaceOn(limits_, Uses());
  if (!workers_[static_cast<size_t>(worker)]->Post(std::move(command))) return false;
  placement_.Join(conference_id, participant_id, worker);
  return true;
}

MediaWorker& WorkerPool::RouteOf(uint32_t conference_id) {
  const int placed = placement_.WorkerOf(conference_id);
  return *workers_[placed >= 0 ? static_cast<size_t>(placed) : conference_id % workers_.size()];
}

int WorkerPool::WorkerIndexFor(uint32_t conference_id) {
  control_thread_.Check();
  return placement_.WorkerOf(conference_id);
}

std::span<const WorkerUse> WorkerPool::Uses() {
  for (size_t i = 0; i < workers_.size(); ++i) {
    uses_[i].load_permille = workers_[i]->counters().load_permille.load(std::memory_order_relaxed);
    uses_[i].participants = placement_.participants(static_cast<int>(i));
    uses_[i].measured_participants =
        workers_[i]->counters().load_participants.load(std::memory_order_relaxed);
    uses_[i].participant_cost_ppm =
        workers_[i]->counters().participant_cost_ppm.load(std::memory_order_relaxed);
  }
  return uses_;
}

Admission WorkerPool::AdmitNew(uint32_t conference_id) {
  control_thread_.Check();
  return mixer::AdmitNew(limits_, Uses(), placement_.WorkerOf(conference_id));
}

Admission WorkerPool::AdmitMove(uint32_t from, uint32_t to) {
  control_thread_.Check();
  return mixer::AdmitMove(limits_, Uses(), placement_.WorkerOf(from), placement_.WorkerOf(to));
}

void WorkerPool::DrainEvents(const std::function<void(WorkerEvent&)>& handle) {
  control_thread_.Check();
  for (auto& worker : workers_) {
    while (std::optional<WorkerEvent> event = worker->PollEvent()) {
      std::visit(
          Overloaded{[this](const Left& left) { placement_.Leave(left.participant_id); },
                     [this](const RtpTimeout& out) { placement_.Leave(out.participant_id); },
                     [this](const DtlsFailed& failed) { placement_.Leave(failed.participant_id); },
                     [this](const Detached& detached) {
                       if (detached.participant) placement_.Leave(detached.participant->id());
                     },
                     [](const auto&) {}},
          *event);
      handle(*event);
    }
  }
}

}  // namespace tutti::mixer
