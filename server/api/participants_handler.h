// /v1/rooms/<name>/participants[/<id>...]: list a room's participants, show one, mute,
// unmute, set volumes and remove one (ops/openapi.yaml). Runs on the
// control thread.
#pragma once

#include "server/api/api_handler.h"

namespace tutti::api {

class ParticipantsHandler {
 public:
  ParticipantsHandler(RoomDirectory* rooms, CallController* calls);

  Reply List(const ApiRequest& request);
  // One participant, the same object List gives; 404 when unknown.
  Reply Get(const ApiRequest& request);
  Reply Mute(const ApiRequest& request);  // "mute" or "unmute", the path's last word
  Reply SetVolume(const ApiRequest& request);
  Reply Kick(const ApiRequest& request);

 private:
  // 200 with the participant as it is now.
  Reply Show(uint64_t id) const;

  RoomDirectory* rooms_;
  CallController* calls_;
};

}  // namespace tutti::api
