#include "mixer/media_worker.h"

#include <pthread.h>
#include <sched.h>

#include <array>
#include <chrono>
#include <tuple>

#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/rtp/stun_message.h"

namespace tutti::mixer {
namespace {
constexpr int64_t kTickUs = 20'000;
}  // namespace

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
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

  void PlaybackDone(uint64_t participant_id) override {
    worker_->Emit(PlaybackEnded{participant_id});
  }

  void InbandDigit(uint64_t participant_id, char digit) override {
    worker_->Emit(Dtmf{participant_id, digit, /*inband=*/true});
  }

  void StatsReported(uint64_t participant_id, const ParticipantStats& stats) override {
    worker_->Emit(Stats{participant_id, stats});
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
      sink_(std::make_unique<Sink>(this, 1024)) {}

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
  int64_t next_tick = SteadyMicros() + kTickUs;
  while (running_.load(std::memory_order_relaxed)) {
    HandleCommands();
    const int64_t now = SteadyMicros();
    if (now >= next_tick) {
      if (now - next_tick >= kTickUs) {
        // A whole tick behind: count it, and skip ahead rather than burst
        // several mixes at once (the jitter buffers absorb one lost tick).
        counters_.late_ticks.fetch_add(1, std::memory_order_relaxed);
        next_tick = now;
      }
      Tick(now);
      next_tick += kTickUs;
      continue;
    }
    const int count = io_->Receive(burst, next_tick - now);
    const int64_t received_at = SteadyMicros();
    for (int i = 0; i < count; ++i) HandleDatagram(burst[static_cast<size_t>(i)], received_at);
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
  }
  io_->AttachPort(participant->rtp_port(), participant->ports().rtp_fd());
  io_->AttachPort(participant->rtcp_port(), participant->ports().rtcp_fd());
  participant->MarkJoined(SteadyMicros());
  participant->SetSendLimits(options_.unverified_send_us, options_.consent_timeout_us);
  routes_[participant->rtp_port()] = {participant.get(), conference_id, false};
  routes_[participant->rtcp_port()] = {participant.get(), conference_id, true};
  conference->Add(std::move(participant));
}

void MediaWorker::Handle(RemoveParticipant& command) {
  DropParticipant(command.key.conference_id, command.key.participant_id, false);
}

void MediaWorker::Handle(UpdateParticipant& command) {
  if (Participant* participant = Find({command.spec.conference_id, command.spec.id})) {
    participant->Update(command.spec);
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
  if (it->second->empty()) {
    if (it->second->recorder() != nullptr) Emit(RecorderReleased{conference_id});
    conferences_.erase(it);
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
    HandleDtls(route.participant, route.conference_id, route.rtcp, received, now_us);
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
  Participant& participant = *route.participant;
  const bool rtcp =
      route.rtcp || media::LooksLikeRtcp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (const auto verdict = participant.Unprotect(datagram, rtcp);
      verdict != media::SrtpSession::Verdict::kOk) {
    auto& counter = verdict == media::SrtpSession::Verdict::kReplayed ? counters_.srtp_replayed
                                                                      : counters_.srtp_auth_failed;
    counter.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t foreign_before = participant.stats_foreign_source();
  if (rtcp) {
    participant.OnRtcp(datagram, now_us);
  } else if (std::optional<char> digit = participant.OnRtp(datagram, now_us)) {
    Emit(Dtmf{participant.id(), *digit, /*inband=*/false});
  }
  if (participant.stats_foreign_source() != foreign_before) {
    counters_.foreign_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

// DTLS-SRTP runs here, on the worker that owns the leg, rather than on the
// control thread: its datagrams come in and must go out on this worker's
// media port, a handshake is a handful of datagrams per call, and each step
// is bounded (one datagram into OpenSSL, one flight out, never a wait). The
// ECDHE and signature of a ClientHello cost about as much as one Opus
// encode; a stranger cannot make more of them than the leg's restart bound.
void MediaWorker::HandleDtls(Participant* participant, uint32_t conference_id, bool rtcp_port,
                             const media::Datagram& datagram, int64_t now_us) {
  const uint64_t foreign_before = participant->stats_foreign_source();
  const media::DtlsSrtp::Outcome outcome = participant->OnDtls(datagram, rtcp_port, now_us, *sink_);
  sink_->Flush();  // the answer (or the alert) goes before the leg may go
  if (participant->stats_foreign_source() != foreign_before) {
    counters_.foreign_dropped.fetch_add(1, std::memory_order_relaxed);
  }
  if (CountDtls(outcome)) EndDtlsLeg(conference_id, participant->id(), outcome.failure);
}

void MediaWorker::TickDtls(int64_t now_us) {
  // Collected first: removal changes the conference's participant list.
  std::array<std::tuple<uint32_t, uint64_t, media::DtlsSession::Failure>, 16> failed{};
  size_t count = 0;
  for (auto& [id, conference] : conferences_) {
    for (const auto& participant : conference->participants()) {
      if (count == failed.size()) break;  // the rest next tick
      if (!participant->dtls_handshaking()) continue;
      for (const media::DtlsSrtp::Outcome& outcome : participant->DtlsTick(now_us, *sink_)) {
        if (CountDtls(outcome) && count < failed.size()) {
          failed[count++] = {id, participant->id(), outcome.failure};
          break;
        }
      }
    }
  }
  sink_->Flush();
  for (size_t i = 0; i < count; ++i) {
    EndDtlsLeg(std::get<0>(failed[i]), std::get<1>(failed[i]), std::get<2>(failed[i]));
  }
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

void MediaWorker::Tick(int64_t now_us) {
  worker_side_.Check();
  const int64_t started = SteadyMicros();
  uint64_t withheld = 0;
  for (auto& [id, conference] : conferences_) {
    conference->Tick(now_us, *sink_);
    withheld += static_cast<uint64_t>(conference->withheld_last_tick());
  }
  if (withheld > 0) counters_.send_withheld.fetch_add(withheld, std::memory_order_relaxed);
  sink_->Flush();
  TickDtls(now_us);
  if (options_.rtp_timeout_us > 0) {
    // Collected first: removal changes the conference's participant list.
    std::array<std::pair<uint32_t, uint64_t>, 16> silent{};
    size_t count = 0;
    for (auto& [id, conference] : conferences_) {
      for (const auto& participant : conference->participants()) {
        const int64_t last = participant->last_rtp_us();
        if (count < silent.size() && participant->expects_media() &&
            now_us - last > options_.rtp_timeout_us) {
          silent[count++] = {id, participant->id()};
        }
      }
    }
    for (size_t i = 0; i < count; ++i) DropParticipant(silent[i].first, silent[i].second, true);
  }
  const int64_t took_us = SteadyMicros() - started;
  size_t bucket = 0;
  while (bucket < kTickBucketsUs.size() && static_cast<double>(took_us) > kTickBucketsUs[bucket]) {
    ++bucket;
  }
  counters_.tick_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  counters_.ticks.fetch_add(1, std::memory_order_relaxed);
  counters_.tick_ns_total.fetch_add(static_cast<uint64_t>(took_us) * 1000,
                                    std::memory_order_relaxed);
}

}  // namespace tutti::mixer
