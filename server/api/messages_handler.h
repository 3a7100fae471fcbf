// /v1/rooms/<name>/messages: the room's kept chat messages (GET, oldest
// first, ?after=<id>&limit=<n>) and a message posted to the room as the
// room or the operator (POST), relayed to every member like one of theirs
// (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include "server/api/api_handler.h"

namespace tutti::api {

class MessagesHandler {
 public:
  MessagesHandler(RoomDirectory* rooms, CallController* calls);

  Reply List(const ApiRequest& request);
  Reply Post(const ApiRequest& request);

 private:
  RoomDirectory* rooms_;
  CallController* calls_;
};

}  // namespace tutti::api
