// /v1/rooms/<name>/messages: the room's kept chat messages (GET, oldest
// first, ?after=<id>&limit=<n>) and a message posted to the room as the
// room or the operator (POST), relayed to every member like one of theirs
// (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include <cstdint>

#include "server/api/api_handler.h"

namespace tutti::api {

class MessagesHandler {
 public:
  // A page of GET: kDefaultPage unless ?limit= says, never above kMaxPage
  // (the history may keep far more).
  static constexpr uint64_t kDefaultPage = 100;
  static constexpr uint64_t kMaxPage = 1000;

  MessagesHandler(RoomDirectory* rooms, CallController* calls);

  Reply List(const ApiRequest& request);
  // 201 with the message as kept; 404, 413, 415 as PostMessage refuses.
  Reply Post(const ApiRequest& request);

 private:
  RoomDirectory* rooms_;
  CallController* calls_;
};

}  // namespace tutti::api
