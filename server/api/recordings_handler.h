// /v1/rooms/<name>/recording: start and stop a room's recording;
// /v1/rooms/<name>/recordings[/<file>] and /v1/recordings: list, download
// and delete the files (ops/openapi.yaml). Runs on the control thread.
// Only files named as the room's recorder names them (recording_files.h)
// are reachable, and none still being written is served or deleted (409).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/api/api_handler.h"

namespace tutti::api {

class RecordingsHandler {
 public:
  // Files go to `dir`; `default_format` ("ogg" or "wav") when a request names none.
  RecordingsHandler(RoomDirectory* rooms, CallController* calls, std::string dir,
                    std::string default_format);

  Reply Start(const ApiRequest& request);
  Reply Stop(const ApiRequest& request);
  // A room's recordings (the room may be gone, its files not); every room's.
  Reply List(const ApiRequest& request);
  Reply ListAll(const ApiRequest& request);
  // One file: its bytes (streamed from the file), or deleted.
  Reply Download(const ApiRequest& request);
  Reply Delete(const ApiRequest& request);

 private:
  // The path of the file the request names (room, name), or the 404 or
  // 409 to answer.
  std::optional<Reply> Finished(const ApiRequest& request, std::string* path) const;
  Reply Listed(std::string_view room) const;

  RoomDirectory* rooms_;
  CallController* calls_;
  std::string dir_;
  std::string default_format_;
};

}  // namespace tutti::api
