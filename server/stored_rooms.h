// Rooms made, changed or deleted through the control API, kept across
// restarts next to the config file's rooms (ops/tutti.toml [store]).
//
// The precedence (README "Rooms that last", ops/tutti.toml [store]): the
// config file defines rooms, and what the API did to them wins and is kept:
// - a room made through the API is kept whole (every settable field), and
//   comes back as made, even when the file has since got a room of its name
//   (then it replaces the file's; reported at start);
// - a change to a file room keeps only the fields the change named, applied
//   over the file's room at each start, so the file's other fields (edited
//   since, or not) still count;
// - a file room deleted through the API stays deleted (a tombstone row);
// - a stored row that cannot be applied (its file room is gone, a field the
//   checks refuse, a name the IVR took) is logged and left in the file.
// Every API write is in the database before the API answers success; when it
// fails, the API answers 503 and changes nothing. Control thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/room_store.h"
#include "signaling/call/room_config.h"
#include "signaling/call/room_directory.h"

namespace tutti {

class StoredRooms {
 public:
  // `store` null: nothing is kept (rooms last until tuttid stops) and every
  // write succeeds at once. `file_rooms`: the config file's rooms.
  StoredRooms(std::unique_ptr<RoomStore> store, const std::vector<RoomConfig>& file_rooms);

  // Whether API changes survive a restart.
  bool durable() const { return store_ != nullptr; }

  // At start, with the file's rooms already in `rooms`: applies every stored
  // row, logging what each did (never a PIN). An error: the database could
  // not be read, and tuttid must not start without its rooms.
  absl::Status Restore(RoomDirectory* rooms, std::string_view ivr_number) const;

  // Live reload (issue 19): the rooms a start with `file_rooms` and
  // `ivr_number` would have, the stored rows applied over them as Restore
  // does (without its log lines). A reload compares two of these, so that
  // only what the file changed reaches the running rooms.
  absl::StatusOr<std::vector<RoomConfig>> Configured(const std::vector<RoomConfig>& file_rooms,
                                                     std::string_view ivr_number) const;
  // After a reload: the config file's rooms, which changes are kept over.
  void set_file_rooms(const std::vector<RoomConfig>& file_rooms);

  // Before the API answers success. `changed` is the request's body: the
  // fields it named. An error: nothing was stored, and the caller must
  // change nothing in memory either.
  absl::Status Created(const RoomConfig& room);
  absl::Status Changed(const RoomConfig& room, const nlohmann::json& changed);
  absl::Status Deleted(const std::string& name);

 private:
  // False when the row could not be applied (logged why unless `quiet`).
  bool RestoreRoom(const StoredRoom& row, const absl::flat_hash_set<std::string>& file_rooms,
                   RoomDirectory* rooms, bool quiet) const;

  std::unique_ptr<RoomStore> store_;
  absl::flat_hash_set<std::string> file_rooms_;
};

}  // namespace tutti
