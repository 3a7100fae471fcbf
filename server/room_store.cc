#include "server/room_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"

namespace tutti {
namespace {

// One prepared statement, finalized however the caller leaves.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return prepared() ? sqlite3_step(stmt_) : rc_; }
  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

absl::Status Failed(sqlite3* db, std::string_view path, std::string_view what) {
  return absl::UnavailableError(StrCat("room database ", path, ": ", what, ": ",
                                       db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

absl::Status Exec(sqlite3* db, std::string_view path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Failed(db, path, StrCat("\"", sql, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> QueryInt(sqlite3* db, std::string_view path, const char* sql) {
  Statement query(db, sql);
  if (query.Step() != SQLITE_ROW) return Failed(db, path, sql);
  return query.Int(0);
}

// The file exists, is a regular file and only its owner may read it: made
// 0600 here rather than by SQLite (which would follow the umask), and set
// back to 0600 when someone widened it.
absl::Status MakePrivateFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        StrCat("cannot open room database ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  absl::Status status;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::FailedPreconditionError(StrCat("room database ", path, " is not a file"));
  } else if ((st.st_mode & 077) != 0) {
    if (fchmod(fd, 0600) != 0) {
      status = absl::FailedPreconditionError(
          StrCat("room database ", path,
                 " is readable by others and cannot be made mode 0600: ", std::strerror(errno)));
    } else {
      LogWarn("store", "room database was readable by others (it holds room PINs): now mode 0600")
          .With("path", path)
          .With("was", StrCat("0", (st.st_mode >> 6) & 7, (st.st_mode >> 3) & 7, st.st_mode & 7));
    }
  }
  close(fd);
  return status;
}

constexpr const char* kSchema = R"sql(
  CREATE TABLE rooms (
    name TEXT PRIMARY KEY NOT NULL,
    over_file_room INTEGER NOT NULL CHECK (over_file_room IN (0, 1)),
    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    fields TEXT NOT NULL,
    changed TEXT NOT NULL
  ) STRICT;
)sql";

absl::Status CreateSchema(sqlite3* db, const std::string& path) {
  absl::Status s = Exec(db, path, "BEGIN IMMEDIATE");
  if (s.ok()) s = Exec(db, path, kSchema);
  if (s.ok()) {
    const std::string ids = StrCat("PRAGMA application_id = ", RoomStore::kApplicationId,
                                   "; PRAGMA user_version = ", RoomStore::kSchemaVersion);
    s = Exec(db, path, ids.c_str());
  }
  if (s.ok()) s = Exec(db, path, "COMMIT");
  if (!s.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

// Whose file this is and which schema it has: made now when empty, refused
// when another program's or a newer tutti's.
absl::Status CheckSchema(sqlite3* db, const std::string& path) {
  absl::StatusOr<int64_t> application = QueryInt(db, path, "PRAGMA application_id");
  if (!application.ok()) return application.status();
  absl::StatusOr<int64_t> version = QueryInt(db, path, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  absl::StatusOr<int64_t> tables = QueryInt(db, path, "SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status();
  if (*application == 0 && *version == 0 && *tables == 0) return CreateSchema(db, path);
  if (*application != RoomStore::kApplicationId) {
    return absl::FailedPreconditionError(
        StrCat("room database ", path,
               " is another program's SQLite file, not tutti's: refusing to write into it"));
  }
  if (*version > RoomStore::kSchemaVersion) {
    return absl::FailedPreconditionError(
        StrCat("room database ", path, " was written by a newer tutti (schema version ", *version,
               "; this tuttid reads up to ", RoomStore::kSchemaVersion,
               "): refusing to start rather than misread its rooms; run the newer tuttid, or set "
               "[store] path to another file"));
  }
  if (*version < 1) {
    return absl::FailedPreconditionError(
        StrCat("room database ", path, " has no schema version: not a room database"));
  }
  // Version kSchemaVersion: nothing to migrate. A version 2 would migrate
  // older files here, in one transaction, before anything reads them.
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RoomStore>> RoomStore::Open(const std::string& path,
                                                           absl::Duration busy_timeout) {
  if (absl::Status s = MakePrivateFile(path); !s.ok()) return s;
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<RoomStore> store(new RoomStore(db, path));  // closes `db` on every path
  if (opened != SQLITE_OK) return Failed(db, path, "cannot open");
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  // FULL: each commit is fsync'd before it returns. secure_delete: a PIN
  // changed or deleted does not linger in a free page of the file.
  if (absl::Status s = Exec(db, path, "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON");
      !s.ok()) {
    return s;
  }
  // Reads every page: a file that is not a database, or a damaged one, is
  // refused at start rather than half-read.
  Statement check(db, "PRAGMA quick_check");
  if (check.Step() != SQLITE_ROW) {
    return absl::FailedPreconditionError(
        StrCat("room database ", path, " cannot be read: ", sqlite3_errmsg(db)));
  }
  if (const std::string verdict = check.Text(0); verdict != "ok") {
    return absl::FailedPreconditionError(
        StrCat("room database ", path, " is damaged (SQLite quick_check: ", verdict, ")"));
  }
  if (absl::Status s = CheckSchema(db, path); !s.ok()) return s;
  return store;
}

RoomStore::~RoomStore() { sqlite3_close(db_); }

absl::StatusOr<std::vector<StoredRoom>> RoomStore::All() const {
  Statement query(db_, "SELECT name, over_file_room, deleted, fields FROM rooms ORDER BY name");
  std::vector<StoredRoom> rooms;
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) {
    rooms.push_back({query.Text(0), query.Int(1) != 0, query.Int(2) != 0, query.Text(3)});
  }
  if (rc != SQLITE_DONE) return Failed(db_, path_, "cannot read the rooms");
  return rooms;
}

absl::StatusOr<std::optional<StoredRoom>> RoomStore::Find(std::string_view name) const {
  Statement query(db_, "SELECT over_file_room, deleted, fields FROM rooms WHERE name = ?1");
  query.Bind(1, name);
  const int rc = query.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return Failed(db_, path_, "cannot read a room");
  return StoredRoom{std::string(name), query.Int(0) != 0, query.Int(1) != 0, query.Text(2)};
}

absl::Status RoomStore::Put(const StoredRoom& room) {
  // One statement: one transaction of its own, committed (and synced) or
  // rolled back as a whole.
  Statement write(db_, R"sql(
    INSERT INTO rooms (name, over_file_room, deleted, fields, changed)
    VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (name) DO UPDATE SET over_file_room = excluded.over_file_room,
      deleted = excluded.deleted, fields = excluded.fields, changed = excluded.changed
  )sql");
  write.Bind(1, room.name);
  write.Bind(2, int64_t{room.over_file_room});
  write.Bind(3, int64_t{room.deleted});
  write.Bind(4, room.fields);
  if (write.Step() != SQLITE_DONE) return Failed(db_, path_, "room not written");
  return absl::OkStatus();
}

absl::Status RoomStore::Erase(std::string_view name) {
  Statement erase(db_, "DELETE FROM rooms WHERE name = ?1");
  erase.Bind(1, name);
  if (erase.Step() != SQLITE_DONE) return Failed(db_, path_, "room not deleted");
  return absl::OkStatus();
}

}  // namespace tutti
