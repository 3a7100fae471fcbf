// /v1/rooms/<name>/recording: start and stop a room's recording
// (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include <string>

#include "server/api/api_handler.h"

namespace tutti::api {

class RecordingsHandler {
 public:
  // Files go to `dir`; `default_format` ("ogg" or "wav") when a request names none.
  RecordingsHandler(RoomDirectory* rooms, CallController* calls, std::string dir,
                    std::string default_format);

  Reply Start(const ApiRequest& request);
  Reply Stop(const ApiRequest& request);

 private:
  RoomDirectory* rooms_;
  CallController* calls_;
  std::string dir_;
  std::string default_format_;
};

}  // namespace tutti::api
