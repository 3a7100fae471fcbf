// /v1/rooms/<name>/calls: POST places a dial-out from the room (issue 18):
// {"to": a number or a trunk's sip:/tel: URI, "caller_id"?, "name"?,
// "timeout_s"?} -> 201 with the call's id; its progress comes as dial_out
// events on /v1/events, and once answered it is a participant of the room
// under the same id (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include "server/api/api_handler.h"

namespace tutti::api {

class CallsHandler {
 public:
  // What timeout_s may ask at most ([dial_out] answer_timeout_s cuts it further).
  static constexpr int kMaxTimeoutS = 600;

  CallsHandler(RoomDirectory* rooms, CallController* calls);

  // 201; 400 for a malformed body or target, 403 when no trunk may call it
  // (the toll-fraud guard), 404 for no such room, 429 at a dial-out limit,
  // 503 when shutting down or every trunk for it is down.
  Reply Create(const ApiRequest& request);

 private:
  RoomDirectory* rooms_;
  CallController* calls_;
};

}  // namespace tutti::api
