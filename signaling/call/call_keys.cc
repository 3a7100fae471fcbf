// The call controller's keys: a key press from any source (RFC 4733, SIP
// INFO, in-band), what it means (an IVR entry, or a control sequence of the
// room's participants or moderators) and the controls themselves.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::OnDigit(Call& call, char digit, std::string_view via) {
  if (call.dial_in) {
    // Keys typed to the IVR are a room number or a PIN (a moderator's
    // included): every API client sees the event stream and logs travel
    // far, so they say that a key was pressed, never which (issue 13).
    Publish("dtmf", call, StrCat("\"masked\":true,\"via\":\"", via, "\""));
    LogDebug("media", "dtmf").With("call_id", call.call_id).With("masked", true).With("via", via);
    return HandleKey(call, digit);
  }
  Publish("dtmf", call, StrCat("\"digit\":\"", std::string(1, digit), "\",\"via\":\"", via, "\""));
  LogInfo("media", "dtmf")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("digit", std::string(1, digit))
      .With("via", via);

  HandleKey(call, digit);
}

void CallController::HandleKey(Call& call, char digit) {
  if (call.dial_in) return OnDialInDigit(call, digit);
  if (!call.member.in_room) {
    // On its way from the lobby (a few ms): the keys count once it is in.
    if (call.keys_in_transit.size() < 16) call.keys_in_transit.push_back(digit);
    return;
  }
  if (call.dial_out_entry) return OnDialOutEntryKey(call, digit);

  // Control sequences: keys more than 3 s apart start over; a sequence that
  // can no longer match restarts from this key. A moderator's own map is
  // looked at first.
  const absl::Time now = timers_->Now();
  if (now - call.last_key > absl::Seconds(3)) call.keys.clear();
  call.last_key = now;
  call.keys.push_back(digit);
  using Map = std::vector<std::pair<std::string, std::string>>;
  const Map* maps[] = {call.member.moderator ? &options_.moderator_controls : nullptr,
                       &options_.participant_controls};
  auto is_prefix = [&maps](std::string_view typed) {
    for (const Map* map : maps) {
      for (const auto& [keys, action] : map ? *map : Map{}) {
        if (std::string_view(keys).substr(0, typed.size()) == typed) return true;
      }
    }
    return false;
  };
  if (!is_prefix(call.keys)) {
    call.keys = is_prefix(std::string(1, digit)) ? std::string(1, digit) : "";
  }
  for (const Map* map : maps) {
    if (map == nullptr) continue;
    for (const auto& [keys, action] : *map) {
      if (keys == call.keys) {
        call.keys.clear();
        // Last use of `call`: the action may end it (leave).
        RunControl(call, std::string(action));
        return;
      }
    }
  }
}

void CallController::RunControl(Call& call, std::string_view action) {
  LogInfo("call", "key control")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("action", action)
      .With("moderator", call.member.moderator);
  if (call.member.moderator && RunModeratorControl(call, action)) return;
  // Volume steps of 3 dB, within what the API allows.
  auto step = [](int db, int by) { return std::clamp(db + by, -24, 12); };
  const uint64_t id = call.id;
  if (action == "toggle_mute" || action == "mute" || action == "unmute") {
    const bool mute = action == "mute" || (action == "toggle_mute" && !call.muted);
    SetMuted(id, mute);
    PlayPrompts(call, {mute ? "muted" : "unmuted"}, call.music);
  } else if (action == "listen_down" || action == "listen_up") {
    SetVolume(id, step(call.listen_db, action == "listen_up" ? 3 : -3), call.talk_db);
  } else if (action == "talk_down" || action == "talk_up") {
    SetVolume(id, call.listen_db, step(call.talk_db, action == "talk_up" ? 3 : -3));
  } else if (action == "volume_reset") {
    SetVolume(id, 0, 0);
  } else if (action == "participant_count") {
    PlayPrompts(call, RoomPresence::CountPrompts(static_cast<int>(InRoom(call.room).size())),
                call.music);
  } else if (action == "leave") {
    Kick(id, "left by key");
  }
}

bool CallController::RunModeratorControl(Call& call, std::string_view action) {
  if (action == "toggle_mute_all" || action == "mute_all" || action == "unmute_all") {
    std::vector<Call*> targets;
    for (Call* other : InRoom(call.room, &call)) {
      if (!other->member.moderator) targets.push_back(other);
    }
    bool mute = action == "mute_all";
    if (action == "toggle_mute_all") {
      mute = std::any_of(targets.begin(), targets.end(), [](const Call* c) { return !c->muted; });
    }
    for (Call* target : targets) {
      if (target->muted == mute) continue;
      SetMuted(target->id, mute);
      PlayPrompts(*target, {mute ? "muted" : "unmuted"}, target->music);
    }
    PlayPrompts(call, {mute ? "all_muted" : "all_unmuted"}, call.music);
    return true;
  }
  if (action == "toggle_lock" || action == "lock" || action == "unlock") {
    const RoomConfig* room = rooms_->Find(call.room);
    if (room == nullptr) return true;
    RoomConfig changed = *room;
    changed.locked = action == "lock" || (action == "toggle_lock" && !room->locked);
    rooms_->Update(changed);
    LogInfo("call", changed.locked ? "room locked" : "room unlocked")
        .With("room", call.room)
        .With("by", call.call_id);
    if (events_ != nullptr) {
      events_->Publish(changed.locked ? "room_locked" : "room_unlocked",
                       StrCat("{\"room\":\"", call.room, "\",\"participant\":", call.id, "}"));
    }
    RosterChanged(call, RoomSubscriptions::Change::kRoster);
    PlayPrompts(call, {changed.locked ? "locked" : "unlocked"}, call.music);
    return true;
  }
  if (action == "kick_last") {
    Call* last = nullptr;
    for (Call* other : InRoom(call.room, &call)) {
      if (!other->member.moderator && !other->hang_up_after_prompts) last = other;  // join order
    }
    if (last != nullptr) PlayPrompts(*last, {"removed", "goodbye"}, false, "removed by moderator");
    return true;
  }
  if (action == "toggle_recording" || action == "start_recording" || action == "stop_recording") {
    const bool recording = !RecordingPath(call.room).empty();
    const bool start = action == "start_recording" || (action == "toggle_recording" && !recording);
    absl::Status status;
    if (start && !recording) {
      status =
          StartRecording(call.room, options_.recording_dir, options_.recording_format).status();
    } else if (!start && recording) {
      status = StopRecording(call.room);
    }
    if (!status.ok()) {
      LogError("call", "recording by key failed")
          .With("room", call.room)
          .With("error", status.ToString());
      return true;
    }
    // Everyone is told the room is (no longer) being recorded.
    for (Call* other : InRoom(call.room)) {
      PlayPrompts(*other, {start ? "recording_started" : "recording_stopped"}, other->music);
    }
    return true;
  }
  if (action == "dial_out") {
    StartDialOutEntry(call);
    return true;
  }
  return RunVideoControl(call, action);
}

void CallController::StartDialOutEntry(Call& call) {
  call.dial_out_entry = std::string();
  call.dial_out_entry_timer.Start(timers_, options_.digit_timeout,
                                  [&call] { call.dial_out_entry.reset(); });
  PlayPrompts(call, {"enter_number"}, call.music);
}

void CallController::OnDialOutEntryKey(Call& call, char digit) {
  if (digit == '*') {
    call.dial_out_entry.reset();
    call.dial_out_entry_timer.Cancel();
    return;
  }
  if (digit != '#') {
    std::string& typed = *call.dial_out_entry;
    if (typed.size() < 32 && digit >= '0' && digit <= '9') typed.push_back(digit);
    call.dial_out_entry_timer.Start(timers_, options_.digit_timeout,
                                    [&call] { call.dial_out_entry.reset(); });
    return;
  }
  DialOutRequest request;
  request.room = call.room;
  request.target = *std::exchange(call.dial_out_entry, std::nullopt);
  request.requested_by = StrCat("key:", call.call_id);
  call.dial_out_entry_timer.Cancel();
  const bool placed = DialOut(std::move(request)).ok();
  PlayPrompts(call, {placed ? "calling" : "dial_out_refused"}, call.music);
}

}  // namespace tutti
