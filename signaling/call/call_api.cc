// The call controller's side of the control API (posted to the control
// thread): participants as the API shows them, mute, volume, prompts,
// kicking, ending a room, recording a room.
#include <algorithm>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/media_security.h"

namespace tutti {

ParticipantInfo CallController::InfoFor(const Call& call) const {
  ParticipantInfo info;
  info.id = call.id;
  info.call_id = call.call_id;
  info.room = call.room;
  info.from = call.from_uri;
  info.caller_number = call.shown_caller_number();
  info.codec = call.audio ? std::string(sdp::AudioCodecName(call.audio->codec)) : "";
  info.talking = call.talking;
  info.muted = call.muted;
  info.moderator = call.member.moderator;
  info.waiting = call.member.waiting;
  info.listen_db = call.listen_db;
  info.talk_db = call.talk_db;
  info.held = call.audio && (call.audio->direction == sdp::Direction::kRecvOnly ||
                             call.audio->direction == sdp::Direction::kInactive);
  info.seconds = absl::ToDoubleSeconds(timers_->Now() - call.started);
  info.packets_in = call.media.stats().packets_in;
  info.packets_out = call.media.stats().packets_out;
  info.lost = call.media.stats().lost;
  info.jitter_ms = call.media.stats().jitter_ms;
  info.rtt_ms = call.media.stats().rtt_ms;
  info.media_encryption = call.audio ? std::string(EncryptionName(*call.audio)) : "";
  info.srtp_auth_failed = call.media.stats().srtp_auth_failed;
  info.srtp_replayed = call.media.stats().srtp_replayed;
  info.max_gap_ms = call.media.stats().max_gap_ms;
  info.video = VideoInfoFor(call);
  return info;
}

int CallController::participants() const {
  int count = 0;
  // Chat-only members count; a call that only brings a file does not.
  for (const auto& [key, call] : calls_) {
    const bool member = call->media.joined() || (call->chat_only && !call->file_call);
    count += member && !call->dial_in && !call->ringing() ? 1 : 0;
  }
  return count;
}

std::vector<ParticipantInfo> CallController::Participants(std::string_view room) const {
  control_thread_.Check();
  std::vector<ParticipantInfo> out;
  for (const auto& [key, call] : calls_) {
    if (call->ringing() || call->dial_in) continue;  // not in a room yet
    if (call->file_call) continue;                   // it only brings a file
    if (!room.empty() && call->room != room) continue;
    out.push_back(InfoFor(*call));
  }
  std::sort(out.begin(), out.end(),
            [](const ParticipantInfo& a, const ParticipantInfo& b) { return a.id < b.id; });
  return out;
}

std::optional<ParticipantInfo> CallController::Participant(uint64_t id) const {
  control_thread_.Check();
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->ringing() || it->second->file_call) return std::nullopt;
  return InfoFor(*it->second);
}

bool CallController::SetMuted(uint64_t id, bool muted) {
  control_thread_.Check();
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->ringing()) return false;
  Call& call = *it->second;
  if (call.muted == muted) return true;
  call.muted = muted;
  SendMuted(call);
  Publish(muted ? "muted" : "unmuted", call);
  LogInfo("call", muted ? "muted" : "unmuted")
      .With("call_id", call.call_id)
      .With("room", call.room);
  return true;
}

absl::StatusOr<std::string> CallController::StartRecording(std::string_view room,
                                                           std::string_view directory,
                                                           mixer::RecordingFormat format) {
  control_thread_.Check();
  if (rooms_->Find(room) == nullptr) return absl::NotFoundError(StrCat("no room \"", room, "\""));
  bool anyone = false;
  for (const auto& [key, call] : calls_)
    anyone = anyone || (call->room == room && call->media.joined());
  return recordings_.Start(room, rooms_->ConferenceId(room), anyone, directory, format);
}

absl::Status CallController::StopRecording(std::string_view room) {
  control_thread_.Check();
  return recordings_.Stop(room, rooms_->ConferenceId(room));
}

std::string CallController::RecordingPath(std::string_view room) const {
  control_thread_.Check();
  return recordings_.Path(rooms_->ConferenceId(room));
}

std::vector<std::string> CallController::RecordingPaths() const {
  control_thread_.Check();
  return recordings_.Paths();
}

bool CallController::Play(uint64_t id, const media::Prompt* prompt) {
  control_thread_.Check();
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  Call& call = *it->second;
  if (!call.media.Play(prompt)) return false;  // no audio, or the worker is busy
  // It replaces what was playing; music (if any) comes back after it.
  call.prompts.clear();
  call.prompt_playing = prompt != nullptr;
  Publish("playback_started", call,
          StrCat("\"prompt\":\"", prompt != nullptr ? prompt->name : "", "\""));
  return true;
}

bool CallController::SetVolume(uint64_t id, int listen_db, int talk_db) {
  control_thread_.Check();
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->ringing()) return false;
  Call& call = *it->second;
  call.listen_db = listen_db;
  call.talk_db = talk_db;
  call.media.SetGains(listen_db, talk_db);
  Publish("volume", call, StrCat("\"listen_db\":", listen_db, ",\"talk_db\":", talk_db));
  return true;
}

bool CallController::Kick(uint64_t id, std::string_view why) {
  control_thread_.Check();
  auto it = calls_.find(id);
  // A caller in early media (the IVR before answer) is ended too: its
  // INVITE refused (SendBye).
  if (it == calls_.end() || (it->second->ringing() && !it->second->session->early_media())) {
    return false;
  }
  SendBye(*it->second, why);
  EndCall(id, why);
  return true;
}

void CallController::EndRoom(std::string_view room) {
  control_thread_.Check();
  std::vector<uint64_t> keys;
  for (const auto& [key, call] : calls_) {
    if (call->room == room) keys.push_back(key);
  }
  for (uint64_t key : keys) {
    Call& call = *calls_.at(key);
    if (call.ringing()) {
      Reject(call.session->invite_transaction(), 404, "Room Not Found");
      EndCall(key, "room removed");
    } else {
      Kick(key, "room removed");
    }
  }
  EndDialOuts(room);  // ringing dial-outs into it are CANCELled
  // Its subscribers hear it is gone (the departures included).
  subscriptions_.EndRoom(room);
  room_chat_.Forget(room);  // its messages go with it
}

}  // namespace tutti
