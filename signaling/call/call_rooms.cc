// The rooms side of the call controller: the dial-in IVR (a lobby per
// caller, conference number, PIN), prompts played one after another, and who
// is in a room (alone, waiting for the moderator, the moderator leaving).
#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/media_security.h"
#include "signaling/call/spoken_number.h"

namespace tutti {

namespace {

absl::Duration Length(const media::Prompt& prompt) {
  return absl::Milliseconds(static_cast<int64_t>(prompt.pcm_48k.size() / 48));
}

}  // namespace

// --- Dial-in

int CallController::in_ivr() const {
  int count = 0;
  for (const auto& [key, call] : calls_) count += call->dial_in ? 1 : 0;
  return count;
}

void CallController::StartDialIn(Call& call) {
  ++dial_in_counters_.started;
  LogInfo("call", "dial-in started")
      .With("call_id", call.call_id)
      .With("from", call.source.address.ip())
      .With("room", call.dial_in->room());
  RunDialInStep(call, call.dial_in->Start());
}

void CallController::OnDialInDigit(Call& call, char digit) {
  if (call.hang_up_after_prompts) return;  // saying goodbye already
  if (call.held_step) return;              // one PIN at a time while its answer is held
  // Barge-in: a key stops the prompt it interrupts.
  if (call.prompt_playing || !call.prompts.empty()) {
    call.prompts.clear();
    call.prompt_playing = false;
    call.media.Play(nullptr);
  }
  std::optional<DialInStep> step =
      call.dial_in->OnDigit(digit, *rooms_, pin_guard_, timers_->Now());
  if (step) return RunDialInStep(call, *step);
  call.digit_timer.Start(timers_, options_.digit_timeout, [this, &call] { OnDigitTimeout(call); });
}

void CallController::OnDigitTimeout(Call& call) {
  if (!call.dial_in) return;
  RunDialInStep(call, call.dial_in->OnTimeout(*rooms_, pin_guard_, timers_->Now()));
}

void CallController::RunDialInStep(Call& call, const DialInStep& step) {
  call.digit_timer.Cancel();
  if (step.room_slowed) {
    // Many wrong PINs for this room from any number of addresses: its
    // answers are held from now on (never refused: its owners must get in).
    ++dial_in_counters_.rooms_slowed;
    LogWarn("call", "room PIN guessing, answers slowed")
        .With("room", call.dial_in->room())
        .With("from", call.source.address.ip());
  }
  if (step.hold > absl::ZeroDuration()) {
    ++dial_in_counters_.pin_answers_held;
    LogInfo("call", "dial-in answer held")
        .With("call_id", call.call_id)
        .With("room", call.dial_in->room())
        .With("hold_ms", absl::ToInt64Milliseconds(step.hold));
    call.held_step = step;
    call.held_step->hold = absl::ZeroDuration();
    call.held_step->room_slowed = false;
    call.hold_timer.Start(timers_, step.hold, [this, &call] {
      if (!call.held_step) return;
      const DialInStep now = *std::exchange(call.held_step, std::nullopt);
      RunDialInStep(call, now);
    });
    return;
  }
  if (!step.why.empty()) {
    ++dial_in_counters_.wrong_entries;
    if (step.source_locked) ++dial_in_counters_.pin_lockouts;
    (step.next == DialInStep::Next::kHangUp ? LogWarn("call", "dial-in failed")
                                            : LogInfo("call", "dial-in entry refused"))
        .With("call_id", call.call_id)
        .With("from", call.source.address.ip())
        .With("room", call.dial_in->room())
        .With("why", step.why);
    if (events_ != nullptr) {
      events_->Publish("dial_in_refused",
                       StrCat("{\"participant\":", call.id, ",\"room\":\"", call.dial_in->room(),
                              "\",\"why\":\"", step.why, "\"}"));
    }
  }
  switch (step.next) {
    case DialInStep::Next::kCollect: {
      // The caller has until the prompts end plus the digit timeout.
      const absl::Duration wait = PlayPrompts(call, step.prompts) + options_.digit_timeout;
      call.digit_timer.Start(timers_, wait, [this, &call] { OnDigitTimeout(call); });
      return;
    }
    case DialInStep::Next::kHangUp:
      ++dial_in_counters_.failed;
      PlayPrompts(call, step.prompts, false, step.why.empty() ? "dial-in ended" : step.why);
      return;
    case DialInStep::Next::kJoin:
      EnterRoom(call, step.room, step.moderator);
      return;
  }
}

void CallController::EnterRoom(Call& call, const std::string& room_name, bool moderator) {
  const RoomConfig* room = rooms_->Find(room_name);
  auto refuse = [&](std::vector<std::string> prompts, std::string_view why) {
    LogInfo("call", "dial-in refused")
        .With("call_id", call.call_id)
        .With("room", room_name)
        .With("why", why);
    ++dial_in_counters_.failed;
    PlayPrompts(call, prompts, false, why);
  };
  if (room == nullptr) return refuse({"invalid_room", "goodbye"}, "room removed");
  if (room->locked && !moderator) return refuse({"room_locked", "goodbye"}, "room locked");
  if (presence_.Full(*room)) return refuse({"room_full", "goodbye"}, "room full");
  // The lobby took the default policy; a room that requires SRTP takes
  // only callers whose media is encrypted.
  if (ParseSrtpPolicy(room->srtp.empty() ? options_.srtp_default : room->srtp) ==
          sdp::SrtpPolicy::kRequired &&
      !(call.audio && call.audio->encrypted())) {
    return refuse({"goodbye"}, "SRTP required");
  }
  // A room mixed on a full worker ([media] full_worker = "refuse").
  if (!AdmitMoveToRoom(call, rooms_->ConferenceId(room->name))) {
    return refuse({"room_full", "goodbye"}, "media worker full");
  }
  ++dial_in_counters_.joined;
  if (call.session->early_media()) AnswerEarlyMedia(call);  // the 200 OK now
  call.dial_in.reset();
  call.prompts.clear();
  call.prompt_playing = false;
  call.room = room->name;
  presence_.Take(call.room);
  call.member.moderator = moderator;
  call.member.waiting = presence_.MustWait(room, call.room, call.member);
  LogInfo("call", "dial-in accepted")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("moderator", moderator);
  // Its video was answered before the room was known: kept only if it fits.
  AdmitVideo(call, *room);
  const bool audio = call.media.joined();
  // The lobby's worker hands the participant back (OnDetached), which then
  // goes to the room's worker: both may be the same or not.
  if (!call.media.MoveTo(rooms_->ConferenceId(room->name))) {
    Kick(call.id, "media busy");
    return;
  }
  if (!audio) OnEnteredRoom(call);  // no audio: signaling only
}

void CallController::OnDetached(mixer::Detached& event) {
  std::unique_ptr<mixer::Participant> participant = std::move(event.participant);
  auto it = calls_.find(participant->id());
  if (it == calls_.end()) {
    // Ended on its way to the room: its record waited for these counters.
    records_.Departed(participant->id(), participant->stats());
    return;  // `participant` closes its sockets here
  }
  Call& call = *it->second;
  if (!call.media.Rejoin(std::move(participant), call.muted || call.member.waiting)) {
    Kick(call.id, "media busy");
    return;
  }
  // The room did not take its video: the worker drops the streams it brought.
  if (std::exchange(call.video_off_unposted, false)) UpdateMedia(call);
  OnEnteredRoom(call);
}

// --- Presence

std::vector<CallController::Call*> CallController::InRoom(std::string_view room,
                                                          const Call* except) {
  std::vector<Call*> out;
  for (RoomMember* member : presence_.InRoom(room, except ? &except->member : nullptr)) {
    out.push_back(calls_.at(member->id).get());
  }
  return out;
}

void CallController::OnEnteredRoom(Call& call) {
  const RoomConfig* room = rooms_->Find(call.room);
  const Entered entered = presence_.Enter(room, call.room, call.member);
  if (entered.waiting_changed) SendMuted(call);
  Publish("participant_joined", call,
          StrCat("\"moderator\":", call.member.moderator ? "true" : "false",
                 ",\"waiting\":", call.member.waiting ? "true" : "false"));
  RosterChanged(call, RoomSubscriptions::Change::kRoster);
  ReplayChat(call);  // the room's last messages, when configured
  if (room == nullptr) return;
  for (RoomMember* member : entered.released) {
    Call& other = *calls_.at(member->id);
    SetWaiting(other, false);
    PlayPrompts(other, {"moderator_joined"});
  }
  // The others hear a join tone, and whoever was alone stops hearing music.
  for (RoomMember* member : entered.others) {
    Call& other = *calls_.at(member->id);
    if (other.music) StopMusic(other);
    if (!entered.tone.empty()) PlayPrompts(other, {entered.tone});
  }
  if (call.member.waiting) Publish("waiting_started", call);
  if (!entered.say.empty() || entered.music) PlayPrompts(call, entered.say, entered.music);
  // Rooms recorded by configuration start when someone is there (to be heard).
  if (room->record && !call.chat_only && !recordings_.Recording(call.media.conference_id())) {
    if (absl::StatusOr<std::string> path =
            StartRecording(call.room, options_.recording_dir, options_.recording_format);
        !path.ok()) {
      LogError("call", "cannot record room")
          .With("room", call.room)
          .With("error", path.status().ToString());
    }
  }
  // Keys pressed on the way in, in order; any of them may end the call.
  const uint64_t id = call.id;
  const std::string keys = std::exchange(call.keys_in_transit, {});
  for (char key : keys) {
    auto it = calls_.find(id);
    if (it == calls_.end()) break;
    HandleKey(*it->second, key);
  }
}

void CallController::OnLeftRoom(Call& gone) {
  const Left left = presence_.Leave(rooms_->Find(gone.room), gone.room, gone.member);
  if (shutting_down_) return;
  switch (left.kind) {
    case Left::Kind::kNothing:
      return;
    case Left::Kind::kEndConference:
      LogInfo("call", "moderator left: ending the conference").With("room", gone.room);
      for (RoomMember* member : left.others) {
        PlayPrompts(*calls_.at(member->id), {"conference_ended", "goodbye"}, false,
                    "moderator left");
      }
      return;
    case Left::Kind::kWaitForModerator:
      for (RoomMember* member : left.others) {
        Call& other = *calls_.at(member->id);
        SetWaiting(other, true);
        PlayPrompts(other, {"wait_moderator"}, left.music);
      }
      return;
    case Left::Kind::kTones:
      for (RoomMember* member : left.others) {
        Call& other = *calls_.at(member->id);
        if (other.member.waiting) continue;
        std::vector<std::string> say;
        if (!left.tone.empty()) say.push_back(left.tone);
        if (!say.empty() || left.music) PlayPrompts(other, say, left.music);
      }
      return;
  }
}

void CallController::SetWaiting(Call& call, bool waiting) {
  if (call.member.waiting == waiting) return;
  call.member.waiting = waiting;
  SendMuted(call);
  if (!waiting) StopMusic(call);
  Publish(waiting ? "waiting_started" : "waiting_ended", call);
}

void CallController::SendMuted(Call& call) {
  call.media.SetMuted(call.muted || call.member.waiting);
  RosterChanged(call, RoomSubscriptions::Change::kRoster);
}

// --- Prompts

absl::Duration CallController::PlayPrompts(Call& call, const std::vector<std::string>& names,
                                           bool music, std::string_view hang_up_why) {
  if (call.hang_up_after_prompts) return absl::ZeroDuration();  // its goodbye is not cut short
  if (shutting_down_) return absl::ZeroDuration();
  call.prompts.clear();
  absl::Duration total;
  for (const std::string& name : names) {
    if (const media::Prompt* prompt = PromptNamed(name)) {
      call.prompts.push_back(prompt);
      total += Length(*prompt);
    } else {
      LogWarn("call", "prompt missing").With("prompt", name);
    }
  }
  call.music = music;
  if (!hang_up_why.empty()) {
    call.hang_up_after_prompts = true;
    call.hang_up_why = std::string(hang_up_why);
    // Normally the last prompt's end hangs up; this is for when it never
    // comes (no audio, no prompts).
    call.hang_up_timer.Start(timers_, total + absl::Seconds(2),
                             [this, &call] { Kick(call.id, std::string(call.hang_up_why)); });
  }
  if (!call.media.joined()) return total;
  if (call.prompts.empty()) {
    // Nothing to say: stop what plays, start the music if asked.
    if (call.prompt_playing || !music) call.media.Play(nullptr);
    call.prompt_playing = false;
    if (music && !call.hang_up_after_prompts) {
      StartMusic(call);
    }
    return total;
  }
  PlayNextPrompt(call);
  return total;
}

void CallController::PlayNextPrompt(Call& call) {
  if (!call.prompts.empty()) {
    const media::Prompt* next = call.prompts.front();
    call.prompts.pop_front();
    if (call.media.Play(next)) {
      LogDebug("call", "playing prompt").With("call_id", call.call_id).With("prompt", next->name);
      call.prompt_playing = true;
      Publish("playback_started", call, StrCat("\"prompt\":\"", next->name, "\""));
      return;
    }
  }
  call.prompt_playing = false;
  if (call.hang_up_after_prompts) {
    Kick(call.id, std::string(call.hang_up_why));  // last use of `call`
    return;
  }
  if (call.music) {
    StartMusic(call);
  }
}

void CallController::StartMusic(Call& call) {
  const media::Prompt* tune = PromptNamed("music");
  if (tune == nullptr || !call.media.joined()) return;
  LogDebug("call", "playing music").With("call_id", call.call_id);
  call.media.Play(tune, /*loop=*/true);
}

void CallController::StopMusic(Call& call) {
  if (!call.music) return;
  call.music = false;
  if (!call.prompt_playing) call.media.Play(nullptr);
}

}  // namespace tutti
