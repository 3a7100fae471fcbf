// Files shared in rooms (RFC 5547 transfers over MSRP): received into a
// temporary file, checked (size, and the sender's sha-1 when it gave one),
// fsynced, renamed to their content address, and kept across restarts.
// Bounded: bytes per file, files and bytes per room.
//
// Layout under the folder: <room>/<sha-256 hex> (the bytes) and
// <room>/<sha-256 hex>.json (name, type, size, sender, time); temporary
// files <room>/.partial-<random> are removed at Open. A file is listed
// only once its bytes and its .json are both in place, so a cut transfer
// is never listed. Room names are checked (no '/', no leading '.').
//
// Thread-safe (one mutex): the MSRP thread writes, the API thread reads.
// Implemented in file_store.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tutti::msrp {

// What a file offer says of its file (RFC 5547 a=file-selector,
// a=file-transfer-id, a=file-disposition).
struct FileDescription {
  std::string name;  // as offered; never used as a path
  std::string type;  // MIME type, "" when not said
  uint64_t size = 0;
  std::string sha1;  // lower-case hex of hash:sha-1, "" when not said
  std::string transfer_id;
  std::string disposition;  // "render", "attachment"...; "" when not said
  bool operator==(const FileDescription&) const = default;
};

struct StoredFile {
  std::string id;  // the sha-256 of its bytes, lower-case hex
  std::string room;
  std::string name;
  std::string type;
  uint64_t size = 0;
  std::string sha1;    // lower-case hex
  std::string sender;  // the sender's URI
  absl::Time stored;
  std::string path;  // where its bytes are
};

struct FileStoreOptions {
  std::string directory = "files";
  uint64_t max_file_bytes = uint64_t{100} << 20;
  int max_files_per_room = 100;
  uint64_t max_bytes_per_room = uint64_t{1} << 30;
};

// One file being received. Destroyed before Finish: the partial file goes.
class FileUpload {
 public:
  virtual ~FileUpload() = default;
  // Bytes at `offset` (0-based; MSRP's Byte-Range start - 1). OutOfRange
  // past the announced size.
  virtual absl::Status Write(uint64_t offset, std::string_view bytes) = 0;
  virtual uint64_t bytes_received() const = 0;
  // Every byte arrived, size and sha-1 match: fsync, rename, index. The
  // same bytes already stored in the room give that file back.
  virtual absl::StatusOr<StoredFile> Finish() = 0;
};

class FileStore {
 public:
  explicit FileStore(FileStoreOptions options);
  ~FileStore();
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // Makes the folder, removes partial files, reads what is stored.
  absl::Status Open();
  // ResourceExhausted when the room has no room for it (count or bytes,
  // counting uploads in progress), OutOfRange above max_file_bytes,
  // InvalidArgument for a room name that cannot be a folder.
  absl::StatusOr<std::unique_ptr<FileUpload>> BeginUpload(std::string_view room,
                                                          const FileDescription& file,
                                                          std::string_view sender);
  std::vector<StoredFile> List(std::string_view room) const;
  std::optional<StoredFile> Find(std::string_view room, std::string_view id) const;
  // Every file of a room goes (the room was deleted).
  void RemoveRoom(std::string_view room);
  const FileStoreOptions& options() const { return options_; }

 private:
  struct State;
  FileStoreOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace tutti::msrp
