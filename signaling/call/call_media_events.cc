// The call controller's worker events: drained from the workers every
// 20 ms and routed to the call (or the departed leg) they are about, the
// recordings, or the lobby-to-room move.
#include <string>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::PollMediaEvents() {
  media_->DrainEvents([this](mixer::WorkerEvent& event) { OnMediaEvent(event); });
  media_poll_timer_ = timers_->Add(absl::Milliseconds(20), [this] { PollMediaEvents(); });
}

namespace {

// The leg's final media figures, when it left.
void LogMediaStats(const std::string& call_id, const std::string& room,
                   const mixer::ParticipantStats& stats) {
  LogInfo("media", "media stats")
      .With("call_id", call_id)
      .With("room", room)
      .With("packets_in", static_cast<int64_t>(stats.packets_in))
      .With("packets_out", static_cast<int64_t>(stats.packets_out))
      .With("lost", stats.lost)
      .With("jitter_ms", static_cast<int64_t>(stats.jitter_ms))
      .With("concealed", static_cast<int64_t>(stats.concealed))
      .With("max_gap_ms", static_cast<int64_t>(stats.max_gap_ms))
      .With("malformed", static_cast<int64_t>(stats.malformed))
      .With("malformed_rtcp", static_cast<int64_t>(stats.malformed_rtcp))
      .With("stun", static_cast<int64_t>(stats.stun))
      .With("srtp_auth_failed", static_cast<int64_t>(stats.srtp_auth_failed))
      .With("srtp_replayed", static_cast<int64_t>(stats.srtp_replayed))
      .With("foreign", static_cast<int64_t>(stats.foreign_source))
      .With("withheld", static_cast<int64_t>(stats.withheld));
}

}  // namespace

void CallController::OnMediaEvent(mixer::WorkerEvent& event) {
  if (auto* detached = std::get_if<mixer::Detached>(&event)) return OnDetached(*detached);
  if (auto* released = std::get_if<mixer::RecorderReleased>(&event)) {
    return recordings_.OnReleased(released->conference_id);
  }
  // Every other event is about one participant: its call, or a call that
  // ended while its participant was still on a worker (its record names it).
  const uint64_t id = mixer::ParticipantIdOf(event);
  auto it = calls_.find(id);
  Call* call = it != calls_.end() ? it->second.get() : nullptr;
  std::string call_id;
  std::string room;
  if (call != nullptr) {
    call_id = call->call_id;
    room = call->room;
  } else if (const CallRecord* gone = records_.Departure(id)) {
    call_id = gone->call_id;
    room = gone->room;
    if (const auto* left = std::get_if<mixer::Left>(&event)) records_.Departed(id, left->stats);
  }
  std::visit(
      mixer::Overloaded{
          [&](const mixer::PlaybackEnded&) {
            if (call == nullptr) return;
            Publish("playback_done", *call);
            PlayNextPrompt(*call);  // may end the call (goodbye)
          },
          [&](const mixer::Stats& stats) {
            if (call == nullptr) return;
            call->media.OnStats(stats.stats);
            OnVideoStats(*call, stats.stats);
          },
          [&](const mixer::TalkingStarted&) { OnTalking(call, call_id, room, true); },
          [&](const mixer::TalkingStopped&) { OnTalking(call, call_id, room, false); },
          [&](const mixer::Dtmf& dtmf) {
            if (call != nullptr) OnDigit(*call, dtmf.digit, dtmf.inband ? "inband" : "rfc4733");
          },
          [&](const mixer::RtpTimeout& timeout) {
            LogWarn("media", "no media from caller, ending call")
                .With("call_id", call_id)
                .With("room", room);
            EndedByWorker(call, timeout.stats, "RTP timeout");
          },
          [&](const mixer::DtlsFailed& failed) {
            const std::string why = StrCat("DTLS-SRTP ", media::DtlsFailureName(failed.failure));
            LogWarn("media", "DTLS-SRTP failed, ending call")
                .With("call_id", call_id)
                .With("room", room)
                .With("why", why);
            EndedByWorker(call, failed.stats, why);
          },
          [&](const mixer::Left& left) { LogMediaStats(call_id, room, left.stats); },
          [&](const mixer::VideoSourceChanged& changed) { OnVideoSourceChanged(call, changed); },
          [](const mixer::Detached&) {},          // handled above
          [](const mixer::RecorderReleased&) {},  // handled above
      },
      event);
}

void CallController::OnTalking(Call* call, const std::string& call_id, const std::string& room,
                               bool started) {
  if (call != nullptr) {
    call->talking = started;
    Publish(started ? "talking_started" : "talking_stopped", *call);
    RosterChanged(*call, RoomSubscriptions::Change::kTalking);
  }
  LogDebug("media", started ? "talking started" : "talking stopped")
      .With("call_id", call_id)
      .With("room", room);
}

void CallController::EndedByWorker(Call* call, const mixer::ParticipantStats& final_stats,
                                   const std::string& why) {
  if (call == nullptr) return;
  call->media.OnLetGo(final_stats);
  SendBye(*call, why);
  EndCall(call->id, why);
}

}  // namespace tutti
