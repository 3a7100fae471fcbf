#include "signaling/call/room_media_settings.h"

#include "common/log.h"

namespace tutti {

mixer::ConferenceSettings ConferenceSettingsFor(const RoomConfig* room) {
  mixer::ConferenceSettings settings;
  if (room == nullptr) return settings;
  settings.max_talkers = room->max_talkers;
  settings.video_mode = room->video_mode;
  settings.video_hold_ms = room->video_hold_ms;
  settings.presenter_id = room->presenter_id;
  settings.slides_presenter_id = room->slides_presenter_id;
  settings.preprocess = {.noise_suppression = room->noise_suppression,
                         .agc = room->agc,
                         .noise_suppression_db = room->noise_suppression_db};
  return settings;
}

void WatchRoomMediaSettings(RoomDirectory* rooms, mixer::MediaWorkers* media) {
  auto send = [media](uint32_t conference_id, const RoomConfig* room) {
    if (!media->Send(conference_id,
                     mixer::ConfigureConference{conference_id, ConferenceSettingsFor(room)})) {
      LogError("media", "command ring full: room settings not applied")
          .With("room", room != nullptr ? room->name : "");
    }
  };
  // A worker without a word for a conference uses the defaults: at startup
  // only the rooms that differ need one.
  for (const RoomConfig* room : rooms->All()) {
    if (ConferenceSettingsFor(room) != mixer::ConferenceSettings{}) {
      send(rooms->ConferenceId(room->name), room);
    }
  }
  rooms->Watch(send);
}

}  // namespace tutti
