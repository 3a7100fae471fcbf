// /v1/rooms and /v1/rooms/<name>: list, create, show, change and delete
// rooms (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include <string>

#include "server/api/api_handler.h"
#include "server/stored_rooms.h"
#include "signaling/msrp/file_store.h"

namespace tutti::api {

class RoomsHandler {
 public:
  // No room may take `ivr_number`, the dial-in IVR's name. Creations,
  // changes and deletions are in `stored` before they are answered (503 and
  // nothing changed when it cannot keep them). A deleted room's shared
  // files go from `files` (may be null: file transfer off).
  RoomsHandler(RoomDirectory* rooms, CallController* calls, StoredRooms* stored,
               std::string ivr_number, msrp::FileStore* files = nullptr);

  // A reload's new [ivr] number (issue 19).
  void set_ivr_number(std::string ivr_number) { ivr_number_ = std::move(ivr_number); }

  Reply List(const ApiRequest& request);
  Reply Create(const ApiRequest& request);
  Reply Show(const ApiRequest& request);    // with its participants and recording
  Reply Change(const ApiRequest& request);  // the fields the body names
  Reply Delete(const ApiRequest& request);  // ends its calls first, then drops its files

 private:
  int CountIn(const std::string& room) const;
  // A created or changed room's answer, saying whether it outlasts tuttid.
  Reply Answer(int status, const RoomConfig& room) const;

  RoomDirectory* rooms_;
  CallController* calls_;
  StoredRooms* stored_;
  std::string ivr_number_;
  msrp::FileStore* files_;
};

}  // namespace tutti::api
