// The SQLite file that keeps rooms made, changed or deleted through the
// control API across restarts ([store] path in ops/tutti.toml). One row per
// room name; what a row means next to the config file's rooms is
// StoredRooms' (stored_rooms.h), this class only keeps rows.
//
// Rows hold room PINs (they must, to survive a restart): the file is made
// mode 0600 (and set back to it when found wider), deleted rows are
// overwritten (secure_delete), and no row's fields reach a log.
//
// Used from the control thread only, and only when the API changes a room or
// at start: each write is one SQLite transaction, on disk (fsync'd,
// synchronous=FULL) before it returns, so the API answers success only for a
// change that a crash right after cannot lose.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sqlite3;

namespace tutti {

struct StoredRoom {
  std::string name;
  // The fields are changes over the config file's room of this name (only
  // the fields the API named), not a room of their own.
  bool over_file_room = false;
  // A room of the config file deleted through the API: it stays deleted.
  bool deleted = false;
  // A JSON object of the API's settable room fields (api/room_fields.h).
  std::string fields = "{}";

  bool operator==(const StoredRoom&) const = default;
};

class RoomStore {
 public:
  // PRAGMA user_version of the schema this build writes. A file of a newer
  // version is refused; an older one would be migrated in Open (none yet).
  static constexpr int kSchemaVersion = 1;
  // PRAGMA application_id: "TUTR", so another program's SQLite file is
  // refused rather than written into.
  static constexpr int kApplicationId = 0x54555452;

  // Opens the database at `path`, making it (mode 0600, with its schema)
  // when missing. Refuses, naming the path and why: a file that is not an
  // SQLite database or fails SQLite's integrity check, another program's
  // database, a schema version newer than kSchemaVersion. A write waits at
  // most `busy_timeout` for another process holding the file's lock (e.g.
  // sqlite3 reading it) before it fails.
  static absl::StatusOr<std::unique_ptr<RoomStore>> Open(
      const std::string& path, absl::Duration busy_timeout = absl::Milliseconds(250));
  ~RoomStore();
  RoomStore(const RoomStore&) = delete;
  RoomStore& operator=(const RoomStore&) = delete;

  // Every row, sorted by name.
  absl::StatusOr<std::vector<StoredRoom>> All() const;
  absl::StatusOr<std::optional<StoredRoom>> Find(std::string_view name) const;
  // Inserts the row, or replaces the one of its name.
  absl::Status Put(const StoredRoom& room);
  // Forgets the row of `name` (none: nothing to do).
  absl::Status Erase(std::string_view name);

  const std::string& path() const { return path_; }

 private:
  RoomStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

}  // namespace tutti
