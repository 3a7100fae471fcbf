// /v1/rooms and /v1/rooms/<name>: list, create, show, change and delete
// rooms (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include <string>

#include "server/api/api_handler.h"

namespace tutti::api {

class RoomsHandler {
 public:
  // No room may take `ivr_number`, the dial-in IVR's name.
  RoomsHandler(RoomDirectory* rooms, CallController* calls, std::string ivr_number);

  Reply List(const ApiRequest& request);
  Reply Create(const ApiRequest& request);
  Reply Show(const ApiRequest& request);    // with its participants and recording
  Reply Change(const ApiRequest& request);  // the fields the body names
  Reply Delete(const ApiRequest& request);  // ends its calls first

 private:
  int CountIn(const std::string& room) const;

  RoomDirectory* rooms_;
  CallController* calls_;
  std::string ivr_number_;
};

}  // namespace tutti::api
