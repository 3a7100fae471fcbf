// The call controller's video control: a room's mode and its presenters
// (the camera everyone sees in presenter mode, and the one participant whose
// content is shown), set through the control API or a moderator's keys and
// cleared when the presenter leaves; what the worker says each participant
// sees, and its camera's figures for the API.
#include <string>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/event_json.h"
#include "signaling/call/room_video.h"

namespace tutti {
namespace {

// A participant id in an event: null for nobody.
std::string IdOrNull(uint64_t id) { return id == 0 ? std::string("null") : StrCat(id); }

}  // namespace

mixer::VideoMode CallController::VideoModeOf(const RoomConfig& room) const {
  return EffectiveVideoMode(room.video_mode, options_.video_mode);
}

absl::Status CallController::CheckPresenter(const RoomConfig& room, uint64_t id,
                                            bool slides) const {
  control_thread_.Check();
  auto it = calls_.find(id);
  const Call* call = it != calls_.end() ? it->second.get() : nullptr;
  if (call == nullptr || call->room != room.name || !call->member.in_room) {
    return absl::NotFoundError(StrCat("no participant ", id, " in room \"", room.name, "\""));
  }
  if (!slides && VideoModeOf(room) != mixer::VideoMode::kPresenter) {
    return absl::FailedPreconditionError(StrCat("room \"", room.name, "\" shows video as ",
                                                VideoModeName(VideoModeOf(room)),
                                                ": a presenter needs video_mode \"presenter\""));
  }
  return absl::OkStatus();
}

void CallController::SetPresenter(std::string_view room_name, uint64_t id, bool slides,
                                  std::string_view by) {
  control_thread_.Check();
  const RoomConfig* room = rooms_->Find(room_name);
  if (room == nullptr) return;
  if ((slides ? room->slides_presenter_id : room->presenter_id) == id) return;
  RoomConfig changed = *room;
  (slides ? changed.slides_presenter_id : changed.presenter_id) = id;
  rooms_->Update(changed);  // to the room's worker (room_media_settings.h)
  LogInfo("call", slides ? "content presenter changed" : "presenter changed")
      .With("room", changed.name)
      .With("presenter", static_cast<int64_t>(id))
      .With("by", by);
  if (events_ != nullptr) {
    events_->Publish(
        "presenter_changed",
        StrCat("{\"room\":", JsonString(changed.name), ",\"presenter\":", IdOrNull(id),
               ",\"slides\":", slides ? "true" : "false", ",\"by\":", JsonString(by), "}"));
  }
}

void CallController::VideoModeChanged(std::string_view room_name, std::string_view by) {
  control_thread_.Check();
  const RoomConfig* room = rooms_->Find(room_name);
  if (room == nullptr) return;
  const mixer::VideoMode mode = VideoModeOf(*room);
  LogInfo("call", "video mode changed")
      .With("room", room->name)
      .With("video_mode", VideoModeName(mode))
      .With("by", by);
  if (events_ != nullptr) {
    events_->Publish("video_mode_changed",
                     StrCat("{\"room\":", JsonString(room->name), ",\"video_mode\":\"",
                            VideoModeName(mode), "\",\"by\":", JsonString(by), "}"));
  }
  // A presenter is one of presenter mode's settings: it does not outlive it.
  if (mode != mixer::VideoMode::kPresenter && room->presenter_id != 0) {
    SetPresenter(room_name, 0, /*slides=*/false, "video_mode");
  }
}

bool CallController::RunVideoControl(Call& call, std::string_view action) {
  if (action != "toggle_presenter" && action != "toggle_content") return false;
  const RoomConfig* room = rooms_->Find(call.room);
  if (room == nullptr) return true;
  const bool slides = action == "toggle_content";
  // Pressed again by the one presenting: the floor goes back (presenter mode
  // with nobody presenting follows the talker).
  if ((slides ? room->slides_presenter_id : room->presenter_id) == call.id) {
    SetPresenter(call.room, 0, slides, "key");
    return true;
  }
  if (!slides && VideoModeOf(*room) != mixer::VideoMode::kPresenter) {
    if (VideoModeOf(*room) == mixer::VideoMode::kAudioOnly) {
      LogInfo("call", "no presenter in an audio-only room")
          .With("room", call.room)
          .With("call_id", call.call_id);
      return true;
    }
    // For this meeting only, as a lock by key: the room's stored mode stays.
    RoomConfig changed = *room;
    changed.video_mode = mixer::VideoMode::kPresenter;
    rooms_->Update(changed);
    VideoModeChanged(call.room, "key");
  }
  SetPresenter(call.room, call.id, slides, "key");
  return true;
}

void CallController::ClearPresenterOf(const Call& gone) {
  const RoomConfig* room = rooms_->Find(gone.room);
  if (room == nullptr) return;
  const bool presenter = room->presenter_id == gone.id;
  const bool slides = room->slides_presenter_id == gone.id;
  if (presenter) SetPresenter(gone.room, 0, /*slides=*/false, "left");
  if (slides) SetPresenter(gone.room, 0, /*slides=*/true, "left");
}

void CallController::OnVideoSourceChanged(Call* call, const mixer::VideoSourceChanged& changed) {
  if (call == nullptr) return;
  if (!changed.slides) call->video_sees = changed.source_id;
  Publish(changed.slides ? "slides_source_changed" : "video_source_changed", *call,
          StrCat("\"source\":", IdOrNull(changed.source_id)));
}

void CallController::OnVideoStats(Call& call, const mixer::ParticipantStats& stats) {
  call.video_rates.OnReport(stats.video_bytes_in, stats.video_bytes_out, timers_->Now());
  call.video_sees = stats.video_source_id;
}

std::optional<VideoInfo> CallController::VideoInfoFor(const Call& call) const {
  const mixer::VideoStreamSpec& camera = call.media.camera();
  if (!camera.active) return std::nullopt;
  const mixer::ParticipantStats& stats = call.media.stats();
  VideoInfo info;
  info.codec = std::string(media::VideoCodecName(camera.codec));
  info.width = stats.video_width;
  info.height = stats.video_height;
  info.kbps_in = call.video_rates.kbps_in();
  info.kbps_out = call.video_rates.kbps_out();
  info.sees = call.video_sees;
  info.packets_in = stats.video_packets_in;
  info.packets_out = stats.video_packets_out;
  return info;
}

}  // namespace tutti
