#include "bench/tutti_load/load_runner.h"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/tutti_load/audio_level.h"
#include "bench/tutti_load/g711_level.h"
#include "bench/tutti_load/load_call.h"
#include "bench/tutti_load/media_transport.h"
#include "bench/tutti_load/run_late_ticks.h"
#include "bench/tutti_load/server_api.h"
#include "bench/tutti_load/sip_messages.h"
#include "bench/tutti_load/udp_socket.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "signaling/sdp/session_description.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::load {
namespace {

std::atomic<bool> g_stop_requested{false};

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Speech level: RMS above -50 dBFS. Silence decodes to (near) zero on
// every path the server takes: digital silence, DTX, comfort noise.
bool Loud(std::span<const int16_t> pcm) {
  int64_t energy = 0;
  for (int16_t sample : pcm) energy += int64_t{sample} * sample;
  return energy > static_cast<int64_t>(pcm.size()) * 100 * 100;
}

// Polls /metrics on a thread of its own for the progress line, so that a
// slow response never delays the send schedule. Counts the late ticks of
// this run, from `server_start` (the idle sample before the first call).
class LateTickWatch {
 public:
  LateTickWatch(const LoadOptions& options, double interval_s,
                const std::optional<ServerSample>& server_start) {
    if (!options.use_api || interval_s <= 0) return;
    if (server_start) late_ticks_.Start(static_cast<int64_t>(server_start->late_ticks));
    thread_ = std::thread([this, options, interval_s] {
      ServerApi api(options.api_host, options.api_port, options.api_token);
      while (!stop_.load()) {
        if (absl::StatusOr<ServerSample> sample = api.Sample(); sample.ok()) {
          late_ticks_.Observe(static_cast<int64_t>(sample->late_ticks));
        }
        for (int i = 0; i < 10 && !stop_.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::duration<double>(interval_s / 10));
        }
      }
    });
  }
  ~LateTickWatch() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int64_t late_ticks() const { return late_ticks_.count(); }

 private:
  std::atomic<bool> stop_{false};
  RunLateTicks late_ticks_;
  std::thread thread_;
};

class LoadEngine {
 public:
  LoadEngine(const LoadOptions& options, SpeechFrames speech)
      : options_(options), speech_(std::move(speech)), info_(InfoOf(options.codec)) {}

  RunResult Run();

 private:
  enum class Phase { kRamp, kTalk, kHangup, kDone };
  // Callers are spread over the 20 ms in kSlots groups, so the server gets
  // its packets through the tick as from real phones. Each group costs the
  // tool a wake-up; 4 groups 5 ms apart cost a fifth of 1 ms steps.
  static constexpr int kSlots = 4;
  static constexpr int64_t kSlotUs = 20'000 / kSlots;
  // After the last MESSAGE: how long with no delivery or response before
  // the deliveries still missing are given up.
  static constexpr int64_t kDrainQuietUs = 2'000'000;

  bool churn() const { return options_.hold_s >= 0; }
  std::string RoomName(int room) const { return absl::StrCat(options_.room_prefix, room); }
  // ms of `room`'s talk schedule at `now_us`; negative before it begins.
  int64_t RoomTimeMs(int room, int64_t now_us) const {
    return (now_us - talk_start_us_) / 1000 - options_.talk.RoomOffsetMs(room);
  }

  bool Setup(RunResult* result);
  void PlaceCall(int index, int64_t now_us);
  void SendSip(const std::string& text);
  void ReceiveSip(int64_t now_us);
  void OnResponse(const sip::SipMessage& message, LoadCall& call, int64_t now_us);
  void OnRequest(const sip::SipMessage& message, LoadCall* call);
  void Answered(const sip::SipMessage& message, LoadCall& call, int64_t now_us);
  void HangUp(LoadCall& call, int64_t now_us);
  void Ended(LoadCall& call);
  void SetState(LoadCall& call, CallState next);
  void Timers(int64_t now_us);
  void SendSlot(int slot, int64_t now_us);
  void FlushBatch();
  size_t ReceiveRtp();  // how many datagrams it read
  // An audio packet from the server for `call`.
  void OnAudio(LoadCall& call, const media::RtpView& rtp, int64_t arrival_us);
  void StartVideo(const sdp::SessionDescription& answer, const LoadCall& call, int64_t now_us);
  bool Judged(const LoadCall& call) const {
    return options_.judge_per_room == 0 || call.member < options_.judge_per_room;
  }
  bool IsLoud(LoadCall& call, std::span<const uint8_t> payload);
  void RenumberAnswered();
  void StartTalk(int64_t now_us);
  void EndTalk(int64_t now_us, RunResult* result);
  bool AllSettled() const;
  static void FillServerVideo(const ServerSample& before, const ServerSample& after,
                              VideoResult::Server* server);
  void Interrupt(int64_t now_us, RunResult* result);
  void Progress(int64_t now_us, const LateTickWatch& watch);
  void Summarize(RunResult* result);

  LoadOptions options_;
  SpeechFrames speech_;
  CodecInfo info_;
  UacEndpoint endpoint_;
  std::string run_tag_;
  int sip_fd_ = -1;
  std::unique_ptr<MediaTransport> media_;  // the audio's: kernel socket or DPDK port
  std::unique_ptr<ServerApi> api_;
  std::unique_ptr<VideoTraffic> video_;       // --video only
  std::unique_ptr<MessageTraffic> messages_;  // --messages_per_second only
  std::vector<std::string> rooms_made_;

  std::vector<LoadCall> calls_;
  // Calls a timer may act on (a transaction in flight, or a churn call
  // waiting to hang up): Timers walks these, not every call.
  std::vector<int> watched_;
  int64_t inviting_ = 0;
  int64_t settled_ = 0;  // done or failed
  std::array<std::vector<int>, kSlots> slot_calls_;
  std::vector<int32_t> call_of_port_ = std::vector<int32_t>(65536, -1);
  Phase phase_ = Phase::kRamp;
  int placed_ = 0;
  int calls_to_place_ = 0;  // options_.calls, or fewer once interrupted
  int hung_up_ = 0;         // calls BYE'd so far in the hangup phase
  int64_t start_us_ = 0;
  int64_t hangup_start_us_ = 0;
  int64_t talk_start_us_ = 0;
  int64_t talk_end_us_ = 0;
  int64_t first_invite_us_ = 0;
  int64_t last_answer_us_ = 0;
  int64_t up_ = 0;
  int64_t tx_packets_ = 0;
  int64_t tx_at_talk_start_ = 0;
  int64_t rx_packets_ = 0;
  int64_t rtcp_ = 0;
  int64_t malformed_ = 0;
  int64_t strays_ = 0;
  int64_t retransmissions_ = 0;
  double max_lag_ms_ = 0;
  int64_t poll_idle_us_ = 0;  // DPDK: time in polls that found nothing (or slept)
  int64_t poll_idle_at_talk_start_ = 0;
  std::vector<double> setup_ms_;
  std::map<int, int64_t> failures_;
  int64_t ended_by_server_ = 0;
  int64_t refused_retry_after_ = 0;  // 503s with Retry-After
  int64_t byes_answered_ = 0;
  int64_t byes_unanswered_ = 0;
  std::optional<ServerSample> server_before_;
  std::optional<ServerSample> server_idle_;  // before the first call
  double tool_cpu_before_ = 0;

  std::array<int16_t, 5760> pcm_{};

  int64_t last_progress_us_ = 0;
  int64_t last_progress_tx_ = 0;
  int64_t last_progress_answered_ = 0;
  size_t rooms_ = 0;  // rooms of the run
  int64_t last_progress_rx_ = 0;
  int64_t last_progress_video_tx_ = 0;
  int64_t last_progress_video_rx_ = 0;
};

bool LoadEngine::Setup(RunResult* result) {
  std::optional<int> sip = BindUdp(options_.local_address, 0, 8 << 20);
  if (!sip) {
    result->error = "cannot bind UDP sockets on " + options_.local_address;
    return false;
  }
  sip_fd_ = *sip;
  absl::StatusOr<std::unique_ptr<MediaTransport>> media =
      options_.dpdk.eal_args.empty() ? OpenKernelTransport(options_.local_address)
                                     : OpenDpdkTransport(options_.dpdk);
  if (!media.ok()) {
    result->error = std::string(media.status().message());
    return false;
  }
  media_ = *std::move(media);
  if (options_.media && options_.video.enabled) {
    video_ = std::make_unique<VideoTraffic>(options_.video, options_.calls);
    if (!video_->Open(options_.local_address)) {
      result->error = "cannot bind a UDP socket for video on " + options_.local_address;
      return false;
    }
    endpoint_.video_rtp_port = video_->port();
    endpoint_.video_kbps = options_.video.kbps;
  }
  endpoint_.local_address = options_.local_address;
  endpoint_.sip_port = LocalPort(sip_fd_);
  endpoint_.media_address = media_->address();
  endpoint_.rtp_port = media_->port();
  endpoint_.server_host = options_.server_host;
  endpoint_.server_port = static_cast<uint16_t>(options_.server_port);
  // Call-IDs unique across runs, so that a server still ending the last
  // run's dialogs never mistakes them for this one's.
  run_tag_ = absl::StrCat("tl", getpid(), "x", NowUs() % 1000000);

  const int rooms = options_.rooms > 0
                        ? options_.rooms
                        : (options_.calls + options_.room_size - 1) / options_.room_size;
  result->rooms = rooms;
  rooms_ = static_cast<size_t>(rooms);
  if (options_.use_api) {
    api_ = std::make_unique<ServerApi>(options_.api_host, options_.api_port, options_.api_token);
    if (options_.create_rooms) {
      for (int room = 0; room < rooms; ++room) {
        if (absl::Status made = api_->CreateRoom(RoomName(room), info_.sdp_name); !made.ok()) {
          result->error = std::string(made.message());
          return false;
        }
        rooms_made_.push_back(RoomName(room));
      }
    }
  }

  calls_.resize(static_cast<size_t>(options_.calls));
  calls_to_place_ = options_.calls;
  if (options_.messages.per_second > 0 && !churn()) {
    messages_ = std::make_unique<MessageTraffic>(
        options_.messages, run_tag_, options_.room_size, &endpoint_,
        [this](int room) { return RoomName(room); },
        [this](const std::string& text) { SendSip(text); });
  }

  for (int i = 0; i < options_.calls; ++i) {
    LoadCall& call = calls_[static_cast<size_t>(i)];
    call.index = i;
    call.member = i % options_.room_size;
    if (options_.rooms > 0) {
      call.room = (i / options_.room_size) % options_.rooms;
      call.room_size = options_.room_size;
    } else {
      call.room = i / options_.room_size;
      call.room_size =
          std::min(options_.room_size, options_.calls - call.room * options_.room_size);
    }
    call.call_id = absl::StrCat(run_tag_, "-", i);
    call.from_tag = absl::StrCat("t", i);
    call.ssrc = 0x10000000u + static_cast<uint32_t>(i) * 7919u;
    call.sequence = static_cast<uint16_t>(i * 31);
    call.timestamp = static_cast<uint32_t>(i) * 160000u;
    // Talkers start at different places in the clip, so no two say the same.
    call.speech_at = speech_.speech.size() > 0
                         ? static_cast<size_t>(call.member) * 997 % speech_.speech.size()
                         : 0;
    call.meter = StreamMeter(info_.clock_rate);
    if (options_.codec == Codec::kOpus && options_.media && Judged(call)) {
      int error = OPUS_OK;
      // 8 kHz output is enough to judge speech level and costs a fraction
      // of a 48 kHz decode.
      call.decoder.reset(opus_decoder_create(8000, 1, &error));
    }
  }
  return true;
}

void LoadEngine::SendSip(const std::string& text) {
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(options_.server_port));
  inet_pton(AF_INET, options_.server_host.c_str(), &server.sin_addr);
  sendto(sip_fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
}

void LoadEngine::PlaceCall(int index, int64_t now_us) {
  LoadCall& call = calls_[static_cast<size_t>(index)];
  call.branch = NewBranch(call, 1);
  call.request = InviteText(call, RoomName(call.room), endpoint_, options_.codec);
  SetState(call, CallState::kInviting);
  if (video_) video_->Offered();
  call.first_sent_us = call.sent_us = now_us;
  call.retransmit_us = 500'000;  // T1
  if (first_invite_us_ == 0) first_invite_us_ = now_us;
  SendSip(call.request);
}

void LoadEngine::ReceiveSip(int64_t now_us) {
  std::array<char, 65536> buffer;
  while (true) {
    const ssize_t size = recv(sip_fd_, buffer.data(), buffer.size(), 0);
    if (size <= 0) return;
    sip::ParseOutcome parsed =
        sip::ParseSipMessage(std::string(buffer.data(), static_cast<size_t>(size)));
    if (!parsed.ok()) continue;
    const sip::SipMessage& message = parsed.message;
    if (messages_ && message.is_request() && message.method() == sip::Method::kMessage) {
      messages_->OnRequest(message, calls_, now_us);
      continue;
    }
    if (messages_ && message.is_response() && messages_->OnResponse(message, now_us)) continue;
    // Call-IDs are "<run tag>-<index>".
    LoadCall* call = nullptr;
    const std::string_view call_id = message.call_id();
    if (call_id.size() > run_tag_.size() + 1 && call_id.substr(0, run_tag_.size()) == run_tag_) {
      const int index = std::atoi(std::string(call_id.substr(run_tag_.size() + 1)).c_str());
      if (index >= 0 && index < static_cast<int>(calls_.size())) {
        call = &calls_[static_cast<size_t>(index)];
      }
    }
    if (message.is_request()) {
      OnRequest(message, call);
    } else if (call != nullptr) {
      OnResponse(message, *call, now_us);
    }
  }
}

void LoadEngine::OnResponse(const sip::SipMessage& message, LoadCall& call, int64_t now_us) {
  const int status = message.status_code();
  if (message.cseq().method == sip::Method::kInvite) {
    if (status < 200) {
      call.provisional = true;
      return;
    }
    if (status < 300) {
      if (call.state == CallState::kInviting) {
        Answered(message, call, now_us);
      } else {
        SendSip(AckText(call, RoomName(call.room), endpoint_, true));  // our ACK was lost
      }
      return;
    }
    if (call.state == CallState::kInviting) {
      call.to_tag = std::string(message.to().tag);
      SetState(call, CallState::kFailed);
      call.final_status = status;
      ++failures_[status];
      if (status == 503 && message.FindHeader(sip::HeaderId::kRetryAfter) != nullptr) {
        ++refused_retry_after_;
      }
    }
    SendSip(AckText(call, RoomName(call.room), endpoint_, false));
    return;
  }
  if (message.cseq().method == sip::Method::kBye && status >= 200 &&
      call.state == CallState::kHangingUp) {
    SetState(call, CallState::kDone);
    call.final_status = status;
    ++byes_answered_;
  }
}

void LoadEngine::Answered(const sip::SipMessage& message, LoadCall& call, int64_t now_us) {
  call.to_tag = std::string(message.to().tag);
  if (const sip::HeaderField* contact = message.FindHeader(sip::HeaderId::kContact)) {
    if (absl::StatusOr<sip::NameAddr> target = sip::ParseNameAddr(contact->value); target.ok()) {
      call.remote_target = std::string(target->uri_text);
    }
  }
  SendSip(AckText(call, RoomName(call.room), endpoint_, true));
  SetState(call, CallState::kUp);
  call.answered_us = now_us;
  ++up_;
  last_answer_us_ = now_us;
  setup_ms_.push_back(static_cast<double>(now_us - call.first_sent_us) / 1000.0);
  if (churn()) call.hangup_at_us = now_us + static_cast<int64_t>(options_.hold_s * 1e6);
  if (phase_ == Phase::kHangup) {
    HangUp(call, now_us);  // answered after an interrupt moved on to hanging up
    return;
  }

  absl::StatusOr<sdp::SessionDescription> answer = sdp::ParseSdp(message.body());
  if (!options_.media || !answer.ok() || answer->media.empty()) return;
  if (video_) StartVideo(*answer, call, now_us);
  const sdp::MediaDescription& audio = answer->media.front();
  if (options_.audio_level) call.audio_level_id = AudioLevelIdOf(audio);
  const std::string& address =
      audio.connection_address.empty() ? answer->connection_address : audio.connection_address;
  call.media_to.sin_family = AF_INET;
  call.media_to.sin_port = htons(audio.port);
  if (audio.port == 0 || inet_pton(AF_INET, address.c_str(), &call.media_to.sin_addr) != 1) return;
  call_of_port_[audio.port] = call.index;
  slot_calls_[static_cast<size_t>(call.index % kSlots)].push_back(call.index);
  if (phase_ == Phase::kTalk) call.meter.StartMeasuring();
}

// The answer's video line, when the server took it (a port, not 0).
void LoadEngine::StartVideo(const sdp::SessionDescription& answer, const LoadCall& call,
                            int64_t now_us) {
  for (const sdp::MediaDescription& media : answer.media) {
    if (media.media != "video" || media.port == 0) continue;
    const std::string& address =
        media.connection_address.empty() ? answer.connection_address : media.connection_address;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(media.port);
    if (inet_pton(AF_INET, address.c_str(), &to.sin_addr) == 1) {
      video_->Start(call.index, to, now_us);
    }
    return;
  }
}

void LoadEngine::OnRequest(const sip::SipMessage& message, LoadCall* call) {
  if (message.method() == sip::Method::kAck) return;
  if (call == nullptr) {
    SendSip(sip::ResponseTo(message, 481).Finish());
    return;
  }
  SendSip(OkText(message, *call, endpoint_, options_.codec));
  if (message.method() == sip::Method::kBye &&
      (call->state == CallState::kUp || call->state == CallState::kHangingUp)) {
    if (call->state == CallState::kUp) ++ended_by_server_;
    SetState(*call, CallState::kDone);
    Ended(*call);
  }
}

void LoadEngine::HangUp(LoadCall& call, int64_t now_us) {
  if (call.state != CallState::kUp) return;
  ++call.cseq;  // after the INVITE's 1 and any in-dialog MESSAGE's
  call.branch = NewBranch(call, 2);
  call.request = ByeText(call, RoomName(call.room), endpoint_);
  SetState(call, CallState::kHangingUp);
  call.first_sent_us = call.sent_us = now_us;
  call.retransmit_us = 500'000;
  Ended(call);
  SendSip(call.request);
}

// No more media either way; the server's port may go to a new call.
void LoadEngine::Ended(LoadCall& call) {
  if (video_) video_->Stop(call.index);
  const uint16_t port = ntohs(call.media_to.sin_port);
  if (port != 0 && call_of_port_[port] == call.index) call_of_port_[port] = -1;
}

void LoadEngine::SetState(LoadCall& call, CallState next) {
  auto terminal = [](CallState state) {
    return state == CallState::kDone || state == CallState::kFailed;
  };
  inviting_ += (next == CallState::kInviting) - (call.state == CallState::kInviting);
  settled_ += terminal(next) - terminal(call.state);
  const bool watch = next == CallState::kInviting || next == CallState::kHangingUp ||
                     (churn() && next == CallState::kUp);
  if (watch && !call.watched) {
    call.watched = true;
    watched_.push_back(call.index);
  }
  call.state = next;
}

void LoadEngine::Timers(int64_t now_us) {
  const auto timeout = static_cast<int64_t>(options_.response_timeout_s * 1e6);
  // Calls that need no timer any more leave the list here.
  std::erase_if(watched_, [this](int index) {
    LoadCall& call = calls_[static_cast<size_t>(index)];
    call.watched = call.state == CallState::kInviting || call.state == CallState::kHangingUp ||
                   (churn() && call.state == CallState::kUp);
    return !call.watched;
  });
  for (size_t i = 0; i < watched_.size(); ++i) {
    LoadCall& call = calls_[static_cast<size_t>(watched_[i])];
    if (call.state == CallState::kInviting || call.state == CallState::kHangingUp) {
      if (now_us - call.first_sent_us > timeout) {
        if (call.state == CallState::kInviting) {
          SetState(call, CallState::kFailed);
          call.final_status = 408;
          ++failures_[408];
        } else {
          SetState(call, CallState::kDone);
          ++byes_unanswered_;
        }
        continue;
      }
      // Timer A / E: doubling from T1; an INVITE stops at a provisional,
      // a BYE's interval is capped at T2 (4 s).
      if ((call.state == CallState::kInviting && call.provisional) ||
          now_us - call.sent_us < call.retransmit_us) {
        continue;
      }
      call.sent_us = now_us;
      call.retransmit_us = call.state == CallState::kInviting
                               ? call.retransmit_us * 2
                               : std::min<int64_t>(call.retransmit_us * 2, 4'000'000);
      ++retransmissions_;
      SendSip(call.request);
    } else if (churn() && call.state == CallState::kUp && now_us >= call.hangup_at_us) {
      HangUp(call, now_us);
    }
  }
}

void LoadEngine::FlushBatch() { tx_packets_ += static_cast<int64_t>(media_->Flush()); }

void LoadEngine::SendSlot(int slot, int64_t now_us) {
  const size_t frame_samples = static_cast<size_t>(info_.clock_rate / 50);
  std::vector<int>& members = slot_calls_[static_cast<size_t>(slot)];
  // Calls that ended leave their slot here, lazily.
  std::erase_if(members, [this](int index) {
    return calls_[static_cast<size_t>(index)].state != CallState::kUp;
  });
  for (int index : members) {
    LoadCall& call = calls_[static_cast<size_t>(index)];
    const bool talk_phase =
        phase_ == Phase::kTalk || (options_.talk_in_ramp && phase_ == Phase::kRamp);
    const bool talking = talk_phase && options_.talk.Talks(call.member, call.room_size,
                                                           RoomTimeMs(call.room, now_us));
    std::span<const uint8_t> payload;
    uint8_t level = 127;
    if (talking) {
      payload = speech_.speech[call.speech_at];
      level = speech_.speech.level(call.speech_at);
      call.speech_at = (call.speech_at + 1) % speech_.speech.size();
    } else {
      payload = speech_.silence[call.silence_at];
      level = speech_.silence.level(call.silence_at);
      call.silence_at = (call.silence_at + 1) % speech_.silence.size();
    }
    if (!payload.empty()) {
      uint8_t* packet = media_->next_out();
      const media::RtpHeaderFields header{.marker = call.marker_next,
                                          .payload_type = static_cast<uint8_t>(info_.payload_type),
                                          .sequence = call.sequence++,
                                          .timestamp = call.timestamp,
                                          .ssrc = call.ssrc};
      const size_t header_size = WriteHeader(header, call.audio_level_id, level, packet);
      std::copy(payload.begin(), payload.end(), packet + header_size);
      call.marker_next = false;
      if (media_->Queue(header_size + payload.size(), call.media_to)) FlushBatch();
    } else {
      call.marker_next = true;
    }
    call.timestamp += static_cast<uint32_t>(frame_samples);
  }
  FlushBatch();
}

size_t LoadEngine::ReceiveRtp() {
  return media_->Drain(
      [&](std::span<const uint8_t> packet, uint16_t from_port, int64_t arrival_us) {
        const int32_t index = call_of_port_[from_port];
        if (index < 0) {
          // After a BYE the server's last packets still arrive: only count
          // strays while everyone is meant to be connected.
          strays_ += phase_ == Phase::kTalk ? 1 : 0;
          return;
        }
        if (media::LooksLikeRtcp(packet)) {
          ++rtcp_;
          return;
        }
        const std::optional<media::RtpView> rtp = media::ParseRtp(packet);
        if (!rtp) {
          ++malformed_;
          return;
        }
        ++rx_packets_;
        OnAudio(calls_[static_cast<size_t>(index)], *rtp, arrival_us);
      });
}

void LoadEngine::OnAudio(LoadCall& call, const media::RtpView& rtp, int64_t arrival_us) {
  if (!call.meter.measuring() || rtp.payload_type != info_.payload_type) return;
  call.meter.OnPacket(rtp.sequence, rtp.timestamp, arrival_us);

  if (!Judged(call)) return;

  const int64_t t = RoomTimeMs(call.room, arrival_us);
  const int64_t turn = t >= 0 ? options_.talk.Turn(t) : -1;
  TalkModel::Expect expect = options_.talk.ExpectedBy(call.member, call.room_size, t);
  const int64_t window_start = RoomTimeMs(call.room, talk_start_us_);
  const int64_t window_end = RoomTimeMs(call.room, talk_end_us_);
  if (!options_.talk.PeriodInside(turn, window_start, window_end)) {
    expect = TalkModel::Expect::kNone;
  }
  // An Opus decoder must see every frame (its state carries over);
  // G.711 is decoded only when judged.
  if (expect == TalkModel::Expect::kNone && !call.decoder) return;
  const bool loud = IsLoud(call, rtp.payload);
  if (expect == TalkModel::Expect::kNone) return;
  call.meter.OnFrame(expect, turn, loud);
}

bool LoadEngine::IsLoud(LoadCall& call, std::span<const uint8_t> payload) {
  switch (options_.codec) {
    case Codec::kPcma:
      return G711Loud(payload, /*alaw=*/true);
    case Codec::kPcmu:
      return G711Loud(payload, /*alaw=*/false);
    case Codec::kOpus: {
      const int decoded =
          opus_decode(call.decoder.get(), payload.data(), static_cast<opus_int32>(payload.size()),
                      pcm_.data(), static_cast<int>(pcm_.size()), 0);
      return decoded > 0 &&
             Loud(std::span<const int16_t>(pcm_.data(), static_cast<size_t>(decoded)));
    }
  }
  return false;
}

// The talk model goes by each call's place in its room: a room some of
// whose calls were refused (or failed) talks among the answered ones, so
// that nobody waits to hear a member who never came in.
void LoadEngine::RenumberAnswered() {
  std::vector<int> answered(rooms_, 0);
  for (LoadCall& call : calls_) {
    if (call.state == CallState::kUp) call.member = answered[static_cast<size_t>(call.room)]++;
  }
  for (LoadCall& call : calls_) {
    call.room_size = answered[static_cast<size_t>(call.room)];
    // A listener judged now that was not before needs its decoder.
    if (options_.codec == Codec::kOpus && options_.media && Judged(call) && !call.decoder) {
      int error = OPUS_OK;
      call.decoder.reset(opus_decoder_create(8000, 1, &error));
    }
  }
}

void LoadEngine::StartTalk(int64_t now_us) {
  RenumberAnswered();
  phase_ = Phase::kTalk;
  talk_start_us_ = now_us;
  talk_end_us_ = now_us + static_cast<int64_t>(options_.duration_s * 1e6);
  if (api_) {
    if (absl::StatusOr<ServerSample> sample = api_->Sample(); sample.ok()) server_before_ = *sample;
  }
  tool_cpu_before_ = ProcessCpuSeconds();
  poll_idle_at_talk_start_ = poll_idle_us_;
  tx_at_talk_start_ = tx_packets_;
  max_lag_ms_ = 0;
  for (LoadCall& call : calls_) {
    if (call.state == CallState::kUp) call.meter.StartMeasuring();
  }
  if (video_) video_->StartMeasuring(now_us);
}

void LoadEngine::EndTalk(int64_t now_us, RunResult* result) {
  result->tool_cpu_s = ProcessCpuSeconds() - tool_cpu_before_;
  if (media_ && media_->busy_poll() && now_us > talk_start_us_) {
    result->tool_busy = 1.0 - static_cast<double>(poll_idle_us_ - poll_idle_at_talk_start_) /
                                  static_cast<double>(now_us - talk_start_us_);
  }
  result->tool_max_lag_ms = max_lag_ms_;
  result->packets_sent = tx_packets_ - tx_at_talk_start_;
  result->measured_s = static_cast<double>(now_us - talk_start_us_) / 1e6;
  if (video_) video_->EndMeasuring(now_us, &result->video);
  if (messages_) messages_->Finish(&result->messages);
  std::optional<ServerSample> after;
  if (api_ && server_before_) {
    if (absl::StatusOr<ServerSample> sample = api_->Sample(); sample.ok()) after = *sample;
  }
  double jitter_sum = 0;
  for (LoadCall& call : calls_) {
    if (!call.meter.measuring()) continue;
    call.meter.Finish();
    ++result->participants_measured;
    result->packets_received += call.meter.packets();
    result->frames_missing += call.meter.missing();
    result->participants_with_gaps += call.meter.missing() > 0 ? 1 : 0;
    jitter_sum += call.meter.jitter_ms();
    result->jitter_ms_max = std::max(result->jitter_ms_max, call.meter.max_jitter_ms());
    if (churn() || !Judged(call)) continue;
    ++result->participants_judged;
    const TalkModel::Judged judged = options_.talk.JudgedBetween(
        call.member, call.room_size, RoomTimeMs(call.room, talk_start_us_),
        RoomTimeMs(call.room, talk_end_us_));
    const HearingTally& heard = call.meter.hearing();
    result->turns_judged += judged.audible_turns;
    result->turns_heard += std::min(heard.turns_heard, judged.audible_turns);
    result->pauses_judged += judged.pauses;
    result->pauses_noisy += heard.noisy_pauses;
    if (heard.turns_heard >= judged.audible_turns && heard.noisy_pauses == 0) {
      ++result->participants_hearing_all;
    }
  }
  if (result->participants_measured > 0) {
    jitter_sum /= static_cast<double>(result->participants_measured);
    result->jitter_ms_mean = jitter_sum;
  }
  const double expected = static_cast<double>(result->packets_received + result->frames_missing);
  result->missing_percent =
      expected > 0 ? 100.0 * static_cast<double>(result->frames_missing) / expected : 0;
  if (server_before_ && after) {
    result->server_measured = true;
    result->server_cpu_s = after->cpu_seconds - server_before_->cpu_seconds;
    result->server_late_ticks =
        static_cast<int64_t>(after->late_ticks - server_before_->late_ticks);
    result->server_ticks = static_cast<int64_t>(after->ticks - server_before_->ticks);
    result->server_worker_load = after->worker_load_max;
    result->server_packets_in =
        static_cast<int64_t>(after->packets_in - server_before_->packets_in);
    result->server_packets_out =
        static_cast<int64_t>(after->packets_out - server_before_->packets_out);
    result->server_send_drops =
        static_cast<int64_t>(after->send_drops - server_before_->send_drops);
    if (server_idle_ && result->participants_measured > 0) {
      result->server_kb_per_participant =
          (server_before_->resident_bytes - server_idle_->resident_bytes) / 1024.0 /
          static_cast<double>(result->participants_measured);
    }
    if (video_) FillServerVideo(*server_before_, *after, &result->video.server);
    const double participant_minutes =
        static_cast<double>(result->participants_measured) * result->measured_s / 60.0;
    if (participant_minutes > 0) {
      result->server_cpu_s_per_participant_minute = result->server_cpu_s / participant_minutes;
    }
  }
  phase_ = Phase::kHangup;
  hangup_start_us_ = now_us;
}

void LoadEngine::FillServerVideo(const ServerSample& before, const ServerSample& after,
                                 VideoResult::Server* server) {
  auto delta = [](double a, double b) { return static_cast<int64_t>(a - b); };
  server->packets_in = delta(after.video_packets_in, before.video_packets_in);
  server->packets_out = delta(after.video_packets_out, before.video_packets_out);
  server->keyframe_requests = delta(after.video_keyframe_requests, before.video_keyframe_requests);
  server->switches = delta(after.video_switches, before.video_switches);
  server->nacks_answered = delta(after.video_nacks_answered, before.video_nacks_answered);
  if (server->switches > 0) {
    server->switch_wait_ms_mean =
        (after.video_switch_wait_seconds - before.video_switch_wait_seconds) * 1000 /
        static_cast<double>(server->switches);
  }
}

bool LoadEngine::AllSettled() const { return settled_ == calls_to_place_; }

// The first SIGINT or SIGTERM: no new calls, the measurement ends where it
// is, and every call that is up (or is answered from now on) gets its BYE.
void LoadEngine::Interrupt(int64_t now_us, RunResult* result) {
  result->interrupted = true;
  calls_to_place_ = placed_;
  if (phase_ == Phase::kTalk) {
    talk_end_us_ = now_us;  // judge the turns that were whole by now
    EndTalk(now_us, result);
  } else if (phase_ == Phase::kRamp && !churn()) {
    phase_ = Phase::kHangup;
    hangup_start_us_ = now_us;
  }
}

void LoadEngine::Progress(int64_t now_us, const LateTickWatch& watch) {
  const double interval = static_cast<double>(now_us - last_progress_us_) / 1e6;
  int64_t up = 0, failed = 0, missing = 0;
  const int64_t refused_503 = failures_.contains(503) ? failures_.at(503) : 0;
  for (const LoadCall& call : calls_) {
    up += call.state == CallState::kUp ? 1 : 0;
    failed += call.state == CallState::kFailed ? 1 : 0;
    missing += call.meter.measuring() ? call.meter.missing() : 0;
  }
  const char* phase = phase_ == Phase::kRamp   ? (churn() ? "churn" : "ramp")
                      : phase_ == Phase::kTalk ? "talk"
                                               : "hangup";
  std::string late = watch.late_ticks() >= 0 ? absl::StrCat(watch.late_ticks()) : "?";
  std::string video;
  if (video_) {
    video = absl::StrFormat(
        " | video tx %.1f Mb/s rx %.1f Mb/s",
        static_cast<double>(video_->total_bytes_sent() - last_progress_video_tx_) * 8 / 1e6 /
            interval,
        static_cast<double>(video_->total_bytes_received() - last_progress_video_rx_) * 8 / 1e6 /
            interval);
    last_progress_video_tx_ = video_->total_bytes_sent();
    last_progress_video_rx_ = video_->total_bytes_received();
  }
  std::fprintf(stderr,
               "tutti-load %6.1fs %-6s calls up %lld/%d in %zu rooms, answered %lld (%.0f/s), "
               "failed %lld (refused 503: %lld) | tx %.1fk/s rx %.1fk/s | missing frames %lld%s | "
               "server late ticks "
               "%s | tool lag max %.1f ms%s\n",
               static_cast<double>(now_us - start_us_) / 1e6, phase, static_cast<long long>(up),
               options_.calls, rooms_, static_cast<long long>(up_),
               static_cast<double>(up_ - last_progress_answered_) / interval,
               static_cast<long long>(failed), static_cast<long long>(refused_503),
               static_cast<double>(tx_packets_ - last_progress_tx_) / interval / 1000,
               static_cast<double>(rx_packets_ - last_progress_rx_) / interval / 1000,
               static_cast<long long>(missing), video.c_str(), late.c_str(), max_lag_ms_,
               messages_ ? absl::StrCat(" | messages accepted ", messages_->accepted(),
                                        ", delivered ", messages_->deliveries())
                               .c_str()
                         : "");
  last_progress_answered_ = up_;
  last_progress_us_ = now_us;
  last_progress_tx_ = tx_packets_;
  last_progress_rx_ = rx_packets_;
}

void LoadEngine::Summarize(RunResult* result) {
  result->attempted = placed_;
  result->answered = up_;
  for (const auto& [status, count] : failures_) result->failed += count;
  result->failures_by_status = failures_;
  if (auto it = failures_.find(503); it != failures_.end()) result->refused_503 = it->second;
  result->refused_503_retry_after = refused_retry_after_;
  result->ended_by_server = ended_by_server_;
  result->byes_answered = byes_answered_;
  result->byes_unanswered = byes_unanswered_;
  result->retransmissions = retransmissions_;
  result->rtcp_received = rtcp_;
  result->malformed_received = malformed_;
  result->strays_received = strays_;
  std::sort(setup_ms_.begin(), setup_ms_.end());
  if (!setup_ms_.empty()) {
    auto at = [this](double q) {
      return setup_ms_[std::min(setup_ms_.size() - 1,
                                static_cast<size_t>(q * static_cast<double>(setup_ms_.size())))];
    };
    result->setup_ms_p50 = at(0.5);
    result->setup_ms_p99 = at(0.99);
    result->setup_ms_max = setup_ms_.back();
  }
  if (last_answer_us_ > first_invite_us_ && up_ > 1) {
    result->joins_per_s =
        static_cast<double>(up_) / (static_cast<double>(last_answer_us_ - first_invite_us_) / 1e6);
  }
  result->run_s = static_cast<double>(NowUs() - start_us_) / 1e6;
}

RunResult LoadEngine::Run() {
  RunResult result;
  if (!Setup(&result)) return result;
  if (api_) {
    if (absl::StatusOr<ServerSample> sample = api_->Sample(); sample.ok()) server_idle_ = *sample;
  }
  const LateTickWatch watch(options_, options_.progress_s, server_idle_);
  start_us_ = last_progress_us_ = NowUs();
  if (churn()) {
    if (api_) {
      if (absl::StatusOr<ServerSample> sample = api_->Sample(); sample.ok())
        server_before_ = *sample;
    }
    tool_cpu_before_ = ProcessCpuSeconds();
    talk_start_us_ = start_us_;
  }
  int64_t next_slot_us = start_us_;
  int64_t slot = 0;
  int64_t next_timers_us = start_us_;
  while (phase_ != Phase::kDone) {
    int64_t now_us = NowUs();
    if (options_.media) {
      while (next_slot_us <= now_us) {
        max_lag_ms_ = std::max(max_lag_ms_, static_cast<double>(now_us - next_slot_us) / 1000.0);
        SendSlot(static_cast<int>(slot++ % kSlots), now_us);
        next_slot_us += kSlotUs;
      }
      if (video_) video_->SendDue(now_us);
    }
    if (messages_ && phase_ == Phase::kTalk && now_us < talk_end_us_) {
      messages_->SendDue(now_us, calls_);
    }
    if (g_stop_requested.load(std::memory_order_relaxed) && !result.interrupted) {
      Interrupt(now_us, &result);
    }
    while (placed_ < calls_to_place_ &&
           start_us_ + static_cast<int64_t>(placed_ * 1e6 / options_.cps) <= now_us) {
      PlaceCall(placed_++, now_us);
    }
    if (phase_ == Phase::kHangup) {
      while (hung_up_ < calls_to_place_ &&
             hangup_start_us_ + static_cast<int64_t>(hung_up_ * 1e6 / options_.cps) <= now_us) {
        HangUp(calls_[static_cast<size_t>(hung_up_++)], now_us);
      }
    }
    if (now_us >= next_timers_us) {
      Timers(now_us);
      if (messages_) messages_->Timers(now_us);
      next_timers_us = now_us + 5000;
      const bool all_placed = placed_ == calls_to_place_;
      if (phase_ == Phase::kRamp && all_placed && churn() && AllSettled()) {
        EndTalk(now_us, &result);
        phase_ = Phase::kDone;
      } else if (phase_ == Phase::kRamp && all_placed && !churn() && inviting_ == 0) {
        StartTalk(now_us);
      } else if (phase_ == Phase::kTalk && now_us >= talk_end_us_ &&
                 (!messages_ || result.interrupted || messages_->Drained(now_us, kDrainQuietUs))) {
        EndTalk(now_us, &result);
      } else if (phase_ == Phase::kHangup && hung_up_ == calls_to_place_ && AllSettled()) {
        phase_ = Phase::kDone;
      }
    }
    if (options_.progress_s > 0 &&
        now_us - last_progress_us_ >= static_cast<int64_t>(options_.progress_s * 1e6)) {
      Progress(now_us, watch);
    }

    // The loop wakes on a 1 ms clock, not on arriving datagrams: the server
    // answers in bursts, and a wake-up per datagram cost tutti-load more
    // than reading them (at 8,000 calls/s it was all of a core). RTP
    // arrival times come from the kernel (SO_TIMESTAMPNS), so jitter is
    // measured to the microsecond all the same; SIP times to the ms.
    const int64_t wait_us = std::clamp<int64_t>(
        (options_.media ? std::min(next_slot_us, now_us + 1000) : now_us + 1000) - NowUs(), 0,
        1000);
    if (wait_us > 0 && options_.media && media_->busy_poll()) {
      // DPDK: nothing wakes a sleeper, and an arrival time is the poll's.
      const int64_t until = NowUs() + wait_us;
      for (int64_t now = NowUs(); now < until; now = NowUs()) {
        if (ReceiveRtp() > 0) continue;
        if (options_.dpdk.idle_sleep_us > 0) {
          const timespec pause{0,
                               std::min<int64_t>(options_.dpdk.idle_sleep_us, until - now) * 1000};
          nanosleep(&pause, nullptr);
        }
        poll_idle_us_ += NowUs() - now;
      }
    } else if (wait_us > 0) {
      const timespec pause{0, static_cast<long>(wait_us * 1000)};
      nanosleep(&pause, nullptr);
    }
    now_us = NowUs();
    ReceiveSip(now_us);
    if (options_.media) ReceiveRtp();
    if (video_) video_->Receive(now_us);
  }
  Summarize(&result);
  for (const std::string& room : rooms_made_) (void)api_->DeleteRoom(room);
  close(sip_fd_);
  media_.reset();
  return result;
}

}  // namespace

void RequestStop() { g_stop_requested.store(true, std::memory_order_relaxed); }

RunResult RunLoad(const LoadOptions& options) {
  absl::StatusOr<SpeechFrames> speech = EncodeSpeech(options.speech_path, options.codec);
  if (!speech.ok()) {
    RunResult result;
    result.error = std::string(speech.status().message());
    return result;
  }
  return LoadEngine(options, *std::move(speech)).Run();
}

}  // namespace tutti::load
