// /v1/rooms/<name>/files[/<id>]: the files members shared in a room, as the
// file store keeps them (signaling/msrp/file_store.h): listed, and each
// downloaded as an attachment streamed from its file (ops/openapi.yaml).
// Runs on the control thread; the store itself is thread-safe.
#pragma once

#include "server/api/api_handler.h"
#include "signaling/msrp/file_store.h"

namespace tutti::api {

class FilesHandler {
 public:
  // `files` null: file transfer is off, every room lists none.
  FilesHandler(RoomDirectory* rooms, const msrp::FileStore* files);

  Reply List(const ApiRequest& request);
  Reply Download(const ApiRequest& request);

 private:
  RoomDirectory* rooms_;
  const msrp::FileStore* files_;
};

}  // namespace tutti::api
