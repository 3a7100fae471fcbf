#include "mixer/media_worker.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <tuple>

#include "common/log.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/rtp/stun_message.h"

namespace tutti::mixer {
namespace {
MediaTransport* TransportOrNull(VideoStream* stream) {
  return stream != nullptr ? &stream->transport() : nullptr;
}
constexpr int64_t kTickUs = TickSchedule::kIntervalUs;
constexpr int64_t kTickNs = kTickUs * 1000;
// How often the heaviest phase is looked for, to even it out (walks every
// conference): every 5th round, 10 times a second.
constexpr uint64_t kRebalanceRounds = 5;
}  // namespace

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Collects a tick's datagrams in preallocated buffers and sends them in bursts.
class MediaWorker::Sink final : public TickSink {
 public:
  Sink(MediaWorker* worker, size_t capacity)
      : worker_(worker), buffers_(capacity * media::kMaxDatagramBytes), datagrams_(capacity) {}

  uint8_t* NextBuffer() override {
    if (count_ == datagrams_.size()) Flush();
    return buffers_.data() + count_ * media::kMaxDatagramBytes;
  }

  void Commit(uint16_t local_port, const media::Endpoint& remote, uint16_t size) override {
    datagrams_[count_] = {local_port, remote, buffers_.data() + count_ * media::kMaxDatagramBytes,
                          size};
    ++count_;
  }

  void TalkingChanged(uint64_t participant_id, bool talking) override {
    if (talking) {
      worker_->Emit(TalkingStarted{participant_id});
    } else {
      worker_->Emit(TalkingStopped{participant_id});
    }
  }

  void JitterReported(uint64_t lost, uint64_t late) override {
    worker_->counters_.jitter_lost.fetch_add(lost, std::memory_order_relaxed);
    worker_->counters_.jitter_late.fetch_add(late, std::memory_order_relaxed);
  }

  void MalformedReported(uint64_t count) override {
    worker_->counters_.media_malformed.fetch_add(count, std::memory_order_relaxed);
  }

  void PlaybackDone(uint64_t participant_id) override {
    worker_->Emit(PlaybackEnded{participant_id});
  }

  void InbandDigit(uint64_t participant_id, char digit) override {
    worker_->Emit(Dtmf{participant_id, digit, /*inband=*/true});
  }

  void StatsReported(uint64_t participant_id, const ParticipantStats& stats) override {
    worker_->Emit(Stats{participant_id, stats});
  }

  void VideoSourceChanged(uint64_t participant_id, uint64_t source_id, bool slides) override {
    worker_->Emit(mixer::VideoSourceChanged{participant_id, source_id, slides});
  }

  void Flush() {
    if (count_ == 0) return;
    const int sent =
        worker_->io_->Send(std::span<const media::Datagram>(datagrams_.data(), count_));
    worker_->counters_.datagrams_out.fetch_add(static_cast<uint64_t>(sent),
                                               std::memory_order_relaxed);
    worker_->counters_.send_drops.fetch_add(count_ - static_cast<size_t>(sent),
                                            std::memory_order_relaxed);
    count_ = 0;
  }

 private:
  MediaWorker* worker_;
  std::vector<uint8_t> buffers_;
  std::vector<media::Datagram> datagrams_;
  size_t count_ = 0;
};

MediaWorker::MediaWorker(WorkerOptions options, std::unique_ptr<media::PacketIo> io)
    : options_(options),
      io_(std::move(io)),
      commands_(options.ring_capacity),
      events_(options.ring_capacity),
      routes_(65536),
      sink_(std::make_unique<Sink>(this, 1024)),
      schedule_(options.spread_ticks ? TickSchedule::kSpreadSlots : 1, SteadyMicros() + kTickUs),
      shed_(options.shed_load, options.restore_load, SteadyMicros()) {}

MediaWorker::~MediaWorker() { Stop(); }

void MediaWorker::Start() {
  running_.store(true);
  thread_ = std::thread([this] { Run(); });
}

void MediaWorker::Stop() {
  if (!thread_.joinable()) return;
  running_.store(false);
  thread_.join();
  for (auto& [id, conference] : conferences_) {
    for (const auto& participant : conference->participants()) {
      io_->DetachPort(participant->rtp_port(), participant->ports().rtp_fd());
      io_->DetachPort(participant->rtcp_port(), participant->ports().rtcp_fd());
    }
  }
  conferences_.clear();
}

void MediaWorker::Emit(WorkerEvent event) {
  worker_side_.Check();
  if (!events_.TryPush(std::move(event))) {
    counters_.event_ring_full.fetch_add(1, std::memory_order_relaxed);
  }
}

void MediaWorker::Run() {
  worker_side_.Bind();
  if (options_.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(options_.core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  std::array<media::Datagram, 64> burst{};
  housekeeping_due_ns_ = SteadyNanos() + kTickNs;
  while (running_.load(std::memory_order_relaxed)) {
    HandleCommands();
    const int64_t now_ns = SteadyNanos();
    if (now_ns >= housekeeping_due_ns_) {
      Housekeeping(now_ns);
      continue;
    }
    if (const std::optional<TickSchedule::Run> run = schedule_.Take(now_ns / 1000)) {
      RunSlot(*run, now_ns);
      continue;
    }
    int64_t next_ns = housekeeping_due_ns_;
    if (const std::optional<int64_t> due_us = schedule_.next_due_us()) {
      next_ns = std::min(next_ns, *due_us * 1000);
    }
    // Rounded up: woken early, the loop would only wait again.
    const int count = io_->Receive(burst, (next_ns - now_ns + 999) / 1000);
    const int64_t received_at = SteadyMicros();
    for (int i = 0; i < count; ++i) HandleDatagram(burst[static_cast<size_t>(i)], received_at);
    // Video is forwarded as it comes: out with this burst, not at the next tick.
    sink_->Flush();
    counters_.datagrams_in.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
  }
}

void MediaWorker::HandleCommands() {
  worker_side_.Check();
  while (std::optional<WorkerCommand> command = commands_.TryPop()) {
    std::visit([this](auto& kind) { Handle(kind); }, *command);
  }
}

void MediaWorker::Handle(AddParticipant& command) {
  std::unique_ptr<Participant>& participant = command.participant;
  participant->owner().Bind();  // handed over through the ring
  const uint32_t conference_id = participant->spec().conference_id;
  auto& conference = conferences_[conference_id];
  if (!conference) {
    conference = std::make_unique<Conference>(conference_id, options_.conference);
    if (auto it = settings_.find(conference_id); it != settings_.end()) {
      conference->Configure(it->second);
    }
    conference->SetCostLevel(shed_.level());
    schedule_.Add(conference_id, 1, SteadyMicros());
  }
  participant->MarkJoined(SteadyMicros());
  participant->SetSendLimits(options_.unverified_send_us, options_.consent_timeout_us);
  Attach(*participant, conference_id);
  conference->Add(std::move(participant));
}

void MediaWorker::Attach(Participant& participant, uint32_t conference_id) {
  io_->AttachPort(participant.rtp_port(), participant.ports().rtp_fd());
  io_->AttachPort(participant.rtcp_port(), participant.ports().rtcp_fd());
  routes_[participant.rtp_port()] = {&participant, conference_id, false, Stream::kAudio};
  routes_[participant.rtcp_port()] = {&participant, conference_id, true, Stream::kAudio};
  AttachVideo(participant, conference_id, false);
  AttachVideo(participant, conference_id, true);
}

void MediaWorker::AttachVideo(Participant& participant, uint32_t conference_id, bool slides) {
  VideoStream* stream = participant.video_stream(slides);
  if (stream == nullptr) return;
  const media::PortPair& ports = stream->transport().ports();
  io_->AttachPort(ports.rtp_port(), ports.rtp_fd());
  io_->AttachPort(ports.rtcp_port(), ports.rtcp_fd());
  const Stream kind = slides ? Stream::kSlides : Stream::kVideo;
  routes_[ports.rtp_port()] = {&participant, conference_id, false, kind};
  routes_[ports.rtcp_port()] = {&participant, conference_id, true, kind};
}

void MediaWorker::DetachVideo(Participant& participant, bool slides) {
  VideoStream* stream = participant.video_stream(slides);
  if (stream == nullptr) return;
  const media::PortPair& ports = stream->transport().ports();
  io_->DetachPort(ports.rtp_port(), ports.rtp_fd());
  io_->DetachPort(ports.rtcp_port(), ports.rtcp_fd());
  routes_[ports.rtp_port()] = {};
  routes_[ports.rtcp_port()] = {};
}

void MediaWorker::UpdateVideo(UpdateParticipant& command, Participant& participant, bool slides) {
  const VideoStreamSpec& spec = slides ? command.spec.slides : command.spec.video;
  media::PortPair& ports = slides ? command.slides_ports : command.video_ports;
  const bool has = participant.video_stream(slides) != nullptr;
  const uint32_t conference_id = command.spec.conference_id;
  if (has && (!spec.active || ports.valid())) {
    // Removed (or replaced by a stream on new ports): nobody is shown it
    // any more, and its sockets close here, after they left the poll set.
    conferences_.at(conference_id)->VideoStreamEnding(participant, slides, *sink_);
    DetachVideo(participant, slides);
    participant.SetVideoStream(slides, nullptr);
  }
  if (spec.active && ports.valid()) {
    participant.SetVideoStream(slides, participant.MakeVideoStream(slides, spec, std::move(ports)));
    AttachVideo(participant, conference_id, slides);
  }
}

void MediaWorker::Handle(RemoveParticipant& command) {
  DropParticipant(command.key.conference_id, command.key.participant_id, false);
}

void MediaWorker::Handle(UpdateParticipant& command) {
  if (Participant* participant = Find({command.spec.conference_id, command.spec.id})) {
    UpdateVideo(command, *participant, false);
    UpdateVideo(command, *participant, true);
    if (participant->Update(command.spec)) {
      conferences_.at(command.spec.conference_id)->CodecChanged(*participant);
    }
    participant->MarkJoined(SteadyMicros());
  }
}

void MediaWorker::Handle(MuteParticipant& command) {
  if (Participant* participant = Find(command.key)) {
    participant->SetMuted(command.muted);
  }
}

void MediaWorker::Handle(SetParticipantGains& command) {
  if (Participant* participant = Find(command.key)) {
    participant->SetGains(command.listen_gain_db, command.talk_gain_db);
    conferences_.at(command.key.conference_id)->Regroup(*participant);
  }
}

void MediaWorker::Handle(PlayPrompt& command) {
  if (Participant* participant = Find(command.key)) {
    participant->Play(command.prompt, command.loop);
  }
}

void MediaWorker::Handle(SetRecorder& command) {
  auto it = conferences_.find(command.conference_id);
  Conference* conference = it == conferences_.end() ? nullptr : it->second.get();
  if (command.recorder != nullptr && conference != nullptr) {
    conference->AttachRecorder(command.recorder);
    return;
  }
  if (conference != nullptr) conference->AttachRecorder(nullptr);
  Emit(RecorderReleased{command.conference_id});
}

void MediaWorker::Handle(DetachParticipant& command) {
  std::unique_ptr<Participant> taken =
      TakeParticipant(command.key.conference_id, command.key.participant_id);
  if (!taken) return;
  taken->set_conference_id(command.to_conference_id);
  taken->Play(nullptr);
  taken->owner().Release();  // handed back through the ring
  Emit(Detached{std::move(taken)});
}

void MediaWorker::Handle(ConfigureConference& command) {
  if (command.settings == ConferenceSettings{}) {
    settings_.erase(command.conference_id);
  } else {
    settings_[command.conference_id] = command.settings;
  }
  if (auto it = conferences_.find(command.conference_id); it != conferences_.end()) {
    it->second->Configure(command.settings);
  }
}

Participant* MediaWorker::Find(const ParticipantKey& key) {
  auto it = conferences_.find(key.conference_id);
  return it == conferences_.end() ? nullptr : it->second->Find(key.participant_id);
}

void MediaWorker::DropParticipant(uint32_t conference_id, uint64_t participant_id, bool timed_out) {
  std::unique_ptr<Participant> removed = TakeParticipant(conference_id, participant_id);
  if (!removed) return;
  if (timed_out) {
    Emit(RtpTimeout{participant_id, removed->stats()});
  } else {
    Emit(Left{participant_id, removed->stats()});
  }
  // `removed` goes out of scope here: its sockets close on this thread, after
  // they left the poll set.
}

std::unique_ptr<Participant> MediaWorker::TakeParticipant(uint32_t conference_id,
                                                          uint64_t participant_id) {
  auto it = conferences_.find(conference_id);
  if (it == conferences_.end()) return nullptr;
  std::unique_ptr<Participant> removed = it->second->Remove(participant_id, *sink_);
  if (!removed) return nullptr;
  io_->DetachPort(removed->rtp_port(), removed->ports().rtp_fd());
  io_->DetachPort(removed->rtcp_port(), removed->ports().rtcp_fd());
  routes_[removed->rtp_port()] = {};
  routes_[removed->rtcp_port()] = {};
  DetachVideo(*removed, false);
  DetachVideo(*removed, true);
  if (it->second->empty()) {
    if (it->second->recorder() != nullptr) Emit(RecorderReleased{conference_id});
    conferences_.erase(it);
    schedule_.Remove(conference_id);
  }
  return removed;
}

void MediaWorker::HandleDatagram(const media::Datagram& received, int64_t now_us) {
  worker_side_.Check();
  const Route& route = routes_[received.local_port];
  if (route.participant == nullptr) {
    counters_.datagrams_unrouted.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (media::IsDtlsRecord({received.data, received.size})) {
    HandleDtls(route, received, now_us);
    return;
  }
  // STUN (RFC 7983's third kind): a NAT keep-alive without ICE, not media.
  // Before SRTP, which would count it as a failed authentication.
  if (media::IsStunMessage({received.data, received.size})) {
    route.participant->CountStun();
    counters_.stun_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // SRTP leaves the RTP/RTCP header in clear, so the demultiplexing below
  // works on protected packets; the rest sees the clear packet.
  media::Datagram datagram = received;
  MediaTransport& transport = TransportOf(route);
  const bool rtcp =
      route.rtcp || media::LooksLikeRtcp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (const auto verdict = transport.Unprotect(datagram, rtcp);
      verdict != media::SrtpSession::Verdict::kOk) {
    auto& counter = verdict == media::SrtpSession::Verdict::kReplayed ? counters_.srtp_replayed
                                                                      : counters_.srtp_auth_failed;
    counter.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t foreign_before = transport.counters().foreign_source;
  Participant& participant = *route.participant;
  if (route.stream != Stream::kAudio) {
    conferences_.at(route.conference_id)
        ->OnVideo(participant, route.stream == Stream::kSlides, rtcp, datagram, now_us, *sink_);
  } else if (rtcp) {
    participant.OnRtcp(datagram, now_us);
  } else if (std::optional<char> digit = participant.OnRtp(datagram, now_us)) {
    Emit(Dtmf{participant.id(), *digit, /*inband=*/false});
  }
  if (transport.counters().foreign_source != foreign_before) {
    counters_.foreign_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

MediaTransport& MediaWorker::TransportOf(const Route& route) {
  if (route.stream == Stream::kAudio) return route.participant->audio_transport();
  return route.participant->video_stream(route.stream == Stream::kSlides)->transport();
}

// DTLS-SRTP runs here, on the worker that owns the leg, rather than on the
// control thread: its datagrams come in and must go out on this worker's
// media port, a handshake is a handful of datagrams per call, and each step
// is bounded (one datagram into OpenSSL, one flight out, never a wait). The
// ECDHE and signature of a ClientHello cost about as much as one Opus
// encode; a stranger cannot make more of them than the leg's restart bound.
void MediaWorker::HandleDtls(const Route& route, const media::Datagram& datagram, int64_t now_us) {
  MediaTransport& transport = TransportOf(route);
  const uint64_t foreign_before = transport.counters().foreign_source;
  const media::DtlsSrtp::Outcome outcome = transport.OnDtls(datagram, route.rtcp, now_us, *sink_);
  sink_->Flush();  // the answer (or the alert) goes before the leg may go
  if (transport.counters().foreign_source != foreign_before) {
    counters_.foreign_dropped.fetch_add(1, std::memory_order_relaxed);
  }
  if (CountDtls(outcome)) EndDtlsLeg(route.conference_id, route.participant->id(), outcome.failure);
}

void MediaWorker::CheckLegs(uint32_t conference_id, const Conference& conference, int64_t now_us,
                            Upkeep& upkeep) {
  for (const auto& participant : conference.participants()) {
    if (options_.rtp_timeout_us > 0 && upkeep.silent_count < upkeep.silent.size() &&
        participant->expects_media() &&
        now_us - participant->last_rtp_us() > options_.rtp_timeout_us) {
      upkeep.silent[upkeep.silent_count++] = {conference_id, participant->id()};
      continue;
    }
    if (upkeep.failed_count == upkeep.failed.size()) continue;  // the rest next tick
    for (MediaTransport* transport :
         {&participant->audio_transport(), TransportOrNull(participant->video_stream(false)),
          TransportOrNull(participant->video_stream(true))}) {
      if (transport == nullptr || !transport->dtls_handshaking()) continue;
      bool fatal = false;
      for (const media::DtlsSrtp::Outcome& outcome : transport->DtlsTick(now_us, *sink_)) {
        if (CountDtls(outcome)) {
          upkeep.failed[upkeep.failed_count++] = {conference_id, participant->id(),
                                                  outcome.failure};
          fatal = true;
          break;
        }
      }
      if (fatal) break;
    }
  }
}

void MediaWorker::FinishUpkeep(const Upkeep& upkeep) {
  for (size_t i = 0; i < upkeep.failed_count; ++i) {
    const auto& [conference_id, participant_id, failure] = upkeep.failed[i];
    EndDtlsLeg(conference_id, participant_id, failure);
  }
  for (size_t i = 0; i < upkeep.silent_count; ++i) {
    DropParticipant(upkeep.silent[i].first, upkeep.silent[i].second, true);
  }
}

void MediaWorker::AddVideoTally(const VideoTally& tally) {
  if (tally.packets_in == 0 && tally.packets_out == 0 && tally.keyframe_requests == 0) return;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  counters_.video_packets_in.fetch_add(tally.packets_in, kRelaxed);
  counters_.video_packets_out.fetch_add(tally.packets_out, kRelaxed);
  counters_.video_keyframe_requests.fetch_add(tally.keyframe_requests, kRelaxed);
  counters_.video_switches.fetch_add(tally.switches, kRelaxed);
  counters_.video_switch_wait_us_total.fetch_add(tally.switch_wait_us, kRelaxed);
  counters_.video_nacks_answered.fetch_add(tally.nacks_answered, kRelaxed);
  counters_.video_retransmissions.fetch_add(tally.retransmissions, kRelaxed);
}

bool MediaWorker::CountDtls(const media::DtlsSrtp::Outcome& outcome) {
  using Kind = media::DtlsSrtp::Outcome::Kind;
  using Failure = media::DtlsSession::Failure;
  if (outcome.kind == Kind::kCompleted) {
    counters_.dtls_handshakes_completed.fetch_add(1, std::memory_order_relaxed);
  } else if (outcome.kind == Kind::kFailed) {
    if (outcome.failure == Failure::kTimedOut) {
      counters_.dtls_handshakes_timed_out.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters_.dtls_handshakes_failed.fetch_add(1, std::memory_order_relaxed);
    }
    if (outcome.failure == Failure::kFingerprintMismatch) {
      counters_.dtls_fingerprint_mismatches.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return outcome.kind == Kind::kFailed && outcome.fatal;
}

void MediaWorker::EndDtlsLeg(uint32_t conference_id, uint64_t participant_id,
                             media::DtlsSession::Failure failure) {
  std::unique_ptr<Participant> removed = TakeParticipant(conference_id, participant_id);
  if (!removed) return;
  Emit(DtlsFailed{participant_id, removed->stats(), failure});
}

void MediaWorker::RunSlot(const TickSchedule::Run& run, int64_t now_ns) {
  worker_side_.Check();
  uint64_t withheld = 0;
  int64_t start_ns = now_ns;
  Upkeep upkeep;
  for (TickSchedule::Entry& entry : run.entries) {
    if (!run.Mixes(entry)) continue;  // moved here, mixed in its old phase lately
    auto it = conferences_.find(entry.id);
    if (it == conferences_.end()) continue;
    Conference& conference = *it->second;
    CountLateness(start_ns - run.due_us * 1000);
    if (run.late) counters_.late_ticks.fetch_add(1, std::memory_order_relaxed);
    conference.Tick(start_ns / 1000, *sink_);
    withheld += static_cast<uint64_t>(conference.withheld_last_tick());
    AddVideoTally(conference.TakeVideoTally());
    CheckLegs(entry.id, conference, start_ns / 1000, upkeep);
    const int64_t end_ns = SteadyNanos();
    schedule_.Measured(run, entry, static_cast<int>(conference.size()),
                       static_cast<double>(end_ns - start_ns));
    start_ns = end_ns;
  }
  if (withheld > 0) counters_.send_withheld.fetch_add(withheld, std::memory_order_relaxed);
  sink_->Flush();  // DTLS retransmissions and alerts go before a leg may go
  FinishUpkeep(upkeep);
  const int64_t finished_ns = SteadyNanos();
  ObserveRun(finished_ns - now_ns);
  if (run.slot == heaviest_slot_) {
    // Right after its run: a conference moved now keeps its cadence.
    schedule_.Rebalance(run.slot, finished_ns / 1000);
    heaviest_slot_ = -1;
  }
}

void MediaWorker::Housekeeping(int64_t now_ns) {
  worker_side_.Check();
  // A whole interval behind: skip ahead rather than run twice at once.
  if (now_ns - housekeeping_due_ns_ >= kTickNs) housekeeping_due_ns_ = now_ns;
  housekeeping_due_ns_ += kTickNs;
  const int64_t now_us = now_ns / 1000;
  if (++housekeeping_rounds_ % kRebalanceRounds == 0 && schedule_.slots() > 1 &&
      schedule_.size() > 1) {
    heaviest_slot_ = schedule_.HeaviestSlot();
  }
  if (load_meter_.Update(now_ns, io_->idle_ns())) {
    counters_.load_permille.store(load_meter_.permille(), std::memory_order_relaxed);
    size_t participants = 0;
    for (const auto& [id, conference] : conferences_) participants += conference->size();
    cost_meter_.Update(load_meter_.load(), static_cast<int>(participants));
    counters_.load_participants.store(
        static_cast<int32_t>(std::lround(cost_meter_.measured_participants())),
        std::memory_order_relaxed);
    counters_.participant_cost_ppm.store(static_cast<uint32_t>(cost_meter_.cost() * 1e6),
                                         std::memory_order_relaxed);
    CopyIoCounters();
    Shed(now_us);
  }
  ObserveRun(SteadyNanos() - now_ns);
  // The mixing time of the interval just ended, as one tick's was before
  // the mixes were spread: what the console shows next to the load.
  smoothed_tick_ns_ = SmoothTickNs(smoothed_tick_ns_, static_cast<double>(mixing_ns_));
  counters_.tick_ns_smoothed.store(static_cast<uint64_t>(smoothed_tick_ns_),
                                   std::memory_order_relaxed);
  mixing_ns_ = 0;
  counters_.ticks.fetch_add(1, std::memory_order_relaxed);
}

void MediaWorker::CopyIoCounters() {
  const media::PacketIo::Counters io = io_->counters();
  counters_.send_drops.fetch_add(io.send_failed_late - send_failed_late_,
                                 std::memory_order_relaxed);
  send_failed_late_ = io.send_failed_late;
  counters_.receive_errors.store(io.receive_errors, std::memory_order_relaxed);
  counters_.receive_stalls.store(io.receive_stalls, std::memory_order_relaxed);
}

// One step of encoder cost at a time, on every encoder of the worker (the
// conferences pass it to their groups, their participants and the encoders
// made later); logged, since a step trades quality.
void MediaWorker::Shed(int64_t now_us) {
  const double load = load_meter_.load();
  const int step = shed_.Update(now_us, load);
  if (step == 0) return;
  const int level = shed_.level();
  for (auto& [id, conference] : conferences_) conference->SetCostLevel(level);
  counters_.shed_level.store(static_cast<uint32_t>(level), std::memory_order_relaxed);
  (step > 0 ? counters_.shed_steps_up : counters_.shed_steps_down)
      .fetch_add(1, std::memory_order_relaxed);
  LogInfo("mixer", step > 0 ? "worker sheds encoder cost" : "worker restores encoder cost")
      .With("worker", options_.index)
      .With("level", level)
      .With("load", load)
      .With("shed_load", options_.shed_load)
      .With("restore_load", options_.restore_load);
}

void MediaWorker::ObserveRun(int64_t took_ns) {
  const double took_us = static_cast<double>(took_ns) / 1000;
  size_t bucket = 0;
  while (bucket < kTickBucketsUs.size() && took_us > kTickBucketsUs[bucket]) ++bucket;
  counters_.tick_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  counters_.tick_ns_total.fetch_add(static_cast<uint64_t>(took_ns), std::memory_order_relaxed);
  mixing_ns_ += took_ns;
}

void MediaWorker::CountLateness(int64_t late_ns) {
  const double late_us = static_cast<double>(std::max<int64_t>(late_ns, 0)) / 1000;
  size_t bucket = 0;
  while (bucket < kLatenessBucketsUs.size() && late_us > kLatenessBucketsUs[bucket]) ++bucket;
  counters_.lateness_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  counters_.lateness_ns_total.fetch_add(static_cast<uint64_t>(std::max<int64_t>(late_ns, 0)),
                                        std::memory_order_relaxed);
}

}  // namespace tutti::mixer
