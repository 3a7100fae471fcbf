#include "signaling/msrp/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "common/log.h"
#include "common/strings.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kPartialPrefix = ".partial-";
constexpr std::string_view kJsonSuffix = ".json";
constexpr size_t kSha256HexLength = 64;
// A sender that writes one byte in every other place makes one range per
// byte; past this many separate ranges the upload is refused.
constexpr size_t kMaxReceivedRanges = 4096;
constexpr size_t kCopyBlock = 64 * 1024;

absl::Status ErrnoStatus(std::string_view what, std::string_view path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// The header's rule: a room's folder is one path component that is not
// hidden (".partial-" files and "." / ".." start with a dot).
bool IsFolderName(std::string_view room) {
  if (room.empty() || room.size() > 255 || room.front() == '.') return false;
  for (char c : room) {
    if (c == '/' || c == '\0' || c == '\\') return false;
  }
  return true;
}

bool IsFileId(std::string_view name) {
  if (name.size() != kSha256HexLength) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Hex(const unsigned char* bytes, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (size_t i = 0; i < length; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

std::string LowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string RandomName() {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Unique enough within one process: the name only has to not collide.
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = counter.fetch_add(1) ^ static_cast<uint64_t>(getpid()) << 32;
    std::memcpy(bytes, &n, sizeof n);
  }
  return StrCat(kPartialPrefix, Hex(bytes, sizeof bytes));
}

absl::Status MakeFolder(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoStatus("cannot create", path);
}

// Makes every missing folder of `path` ("a/b/c").
absl::Status MakeFolders(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (absl::Status made = MakeFolder(path.substr(0, slash)); !made.ok()) return made;
  }
  return MakeFolder(path);
}

absl::Status SyncFolder(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  const int synced = fsync(fd);
  close(fd);
  return synced == 0 ? absl::OkStatus() : ErrnoStatus("cannot fsync", path);
}

absl::Status WriteAll(int fd, uint64_t offset, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return absl::OkStatus();
}

// A small file, durably: temp, fsync, rename.
absl::Status WriteFileDurably(const std::string& folder, const std::string& name,
                              std::string_view bytes) {
  const std::string temp = StrCat(folder, "/", RandomName());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create", temp);
  absl::Status status = WriteAll(fd, 0, bytes, temp);
  if (status.ok() && fsync(fd) != 0) status = ErrnoStatus("cannot fsync", temp);
  close(fd);
  const std::string path = StrCat(folder, "/", name);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus("cannot rename to", path);
  }
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

std::vector<std::string> FolderEntries(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(dir);
  return names;
}

bool IsFolder(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string DescriptionJson(const StoredFile& file) {
  nlohmann::json json = {
      {"name", file.name},     {"type", file.type},
      {"size", file.size},     {"sha1", file.sha1},
      {"sender", file.sender}, {"stored_unix_ms", absl::ToUnixMillis(file.stored)}};
  return json.dump();
}

// A stored file from its .json, if the bytes beside it are all there.
std::optional<StoredFile> LoadStoredFile(const std::string& folder, std::string_view room,
                                         std::string_view id) {
  StoredFile file;
  file.id = std::string(id);
  file.room = std::string(room);
  file.path = StrCat(folder, "/", id);
  struct stat info;
  if (stat(file.path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  const std::string json_path = StrCat(file.path, kJsonSuffix);
  const int fd = open(json_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char block[4096];
  ssize_t got;
  while ((got = read(fd, block, sizeof block)) > 0 && text.size() < 64 * 1024) {
    text.append(block, static_cast<size_t>(got));
  }
  close(fd);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  try {
    file.name = json.at("name").get<std::string>();
    file.type = json.at("type").get<std::string>();
    file.size = json.at("size").get<uint64_t>();
    file.sha1 = json.at("sha1").get<std::string>();
    file.sender = json.at("sender").get<std::string>();
    file.stored = absl::FromUnixMillis(json.at("stored_unix_ms").get<int64_t>());
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (static_cast<uint64_t>(info.st_size) != file.size) return std::nullopt;
  return file;
}

// Which bytes of an upload have arrived: disjoint, non-adjacent [start, end).
class ReceivedRanges {
 public:
  // The parts of [start, end) not received before, received now.
  std::vector<std::pair<uint64_t, uint64_t>> Add(uint64_t start, uint64_t end) {
    std::vector<std::pair<uint64_t, uint64_t>> fresh;
    uint64_t cursor = start;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin() && std::prev(it)->second >= start) --it;
    uint64_t merged_start = start, merged_end = end;
    while (it != ranges_.end() && it->first <= end) {
      if (it->first > cursor) fresh.emplace_back(cursor, it->first);
      cursor = std::max(cursor, it->second);
      merged_start = std::min(merged_start, it->first);
      merged_end = std::max(merged_end, it->second);
      it = ranges_.erase(it);
    }
    if (cursor < end) fresh.emplace_back(cursor, end);
    ranges_.emplace(merged_start, merged_end);
    return fresh;
  }
  // Where the range holding `at` ends (at itself when `at` is missing).
  uint64_t ContiguousEnd(uint64_t at) const {
    auto it = ranges_.upper_bound(at);
    if (it == ranges_.begin()) return at;
    --it;
    return it->second > at ? it->second : at;
  }
  size_t count() const { return ranges_.size(); }

 private:
  std::map<uint64_t, uint64_t> ranges_;
};

// sha-256 and sha-1 over the bytes in order.
class Hashes {
 public:
  Hashes() : sha256_(EVP_MD_CTX_new()), sha1_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(sha256_, EVP_sha256(), nullptr);
    EVP_DigestInit_ex(sha1_, EVP_sha1(), nullptr);
  }
  ~Hashes() {
    EVP_MD_CTX_free(sha256_);
    EVP_MD_CTX_free(sha1_);
  }
  Hashes(const Hashes&) = delete;
  Hashes& operator=(const Hashes&) = delete;
  void Update(std::string_view bytes) {
    EVP_DigestUpdate(sha256_, bytes.data(), bytes.size());
    EVP_DigestUpdate(sha1_, bytes.data(), bytes.size());
  }
  // sha-256 hex, sha-1 hex.
  std::pair<std::string, std::string> Final() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(sha256_, digest, &length);
    std::string sha256 = Hex(digest, length);
    EVP_DigestFinal_ex(sha1_, digest, &length);
    return {std::move(sha256), Hex(digest, length)};
  }

 private:
  EVP_MD_CTX* sha256_;
  EVP_MD_CTX* sha1_;
};

// What the store and its uploads share: an upload may outlive the store.
struct Index {
  struct Room {
    std::map<std::string, StoredFile> files;  // by id
    uint64_t stored_bytes = 0;
    int uploading_files = 0;
    uint64_t uploading_bytes = 0;
  };
  std::mutex mutex;
  std::map<std::string, Room, std::less<>> rooms;  // guarded by mutex
};

class Upload final : public FileUpload {
 public:
  Upload(std::shared_ptr<Index> index, std::string folder, std::string room, FileDescription file,
         std::string sender, int fd, std::string temp_path)
      : index_(std::move(index)),
        folder_(std::move(folder)),
        room_(std::move(room)),
        file_(std::move(file)),
        sender_(std::move(sender)),
        fd_(fd),
        temp_path_(std::move(temp_path)) {}
  ~Upload() override { Discard(); }

  absl::Status Write(uint64_t offset, std::string_view bytes) override;
  uint64_t bytes_received() const override { return bytes_received_; }
  absl::StatusOr<StoredFile> Finish() override;

 private:
  absl::Status HashNewlyContiguous(uint64_t written_start, std::string_view written);
  absl::StatusOr<StoredFile> Store(StoredFile file, const std::string& json_temp);
  void ReleaseReservation();
  void Discard();

  std::shared_ptr<Index> index_;
  std::string folder_;  // the room's
  std::string room_;
  FileDescription file_;
  std::string sender_;
  int fd_;
  std::string temp_path_;
  ReceivedRanges received_;
  uint64_t bytes_received_ = 0;  // distinct bytes
  uint64_t hashed_ = 0;          // bytes [0, hashed_) went through the hashes
  Hashes hashes_;
  bool done_ = false;  // finished or failed: the reservation is released
};

// Bytes are hashed in order as the prefix grows: in-order chunks straight
// from memory, and the bytes that arrived ahead of a gap read back from the
// file once the gap fills (only those, never the whole file again).
absl::Status Upload::HashNewlyContiguous(uint64_t written_start, std::string_view written) {
  const uint64_t contiguous = received_.ContiguousEnd(0);
  if (contiguous <= hashed_) return absl::OkStatus();
  if (written_start <= hashed_ && written_start + written.size() > hashed_) {
    const std::string_view unhashed = written.substr(hashed_ - written_start);
    hashes_.Update(unhashed);
    hashed_ += unhashed.size();
  }
  std::string block;
  while (hashed_ < contiguous) {
    block.resize(std::min<uint64_t>(kCopyBlock, contiguous - hashed_));
    const ssize_t got = pread(fd_, block.data(), block.size(), static_cast<off_t>(hashed_));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ErrnoStatus("cannot read back", temp_path_);
    hashes_.Update(std::string_view(block.data(), static_cast<size_t>(got)));
    hashed_ += static_cast<uint64_t>(got);
  }
  return absl::OkStatus();
}

absl::Status Upload::Write(uint64_t offset, std::string_view bytes) {
  if (done_) return absl::FailedPreconditionError("the upload is over");
  if (offset > file_.size || bytes.size() > file_.size - offset) {
    return absl::OutOfRangeError(
        StrCat("bytes ", offset, "+", bytes.size(), " past the announced size ", file_.size));
  }
  if (bytes.empty()) return absl::OkStatus();
  if (received_.count() >= kMaxReceivedRanges) {
    return absl::ResourceExhaustedError("too many separate byte ranges");
  }
  // A repeated byte keeps its first value: what was hashed stays what is on disk.
  for (const auto& [start, end] : received_.Add(offset, offset + bytes.size())) {
    absl::Status written =
        WriteAll(fd_, start, bytes.substr(start - offset, end - start), temp_path_);
    if (!written.ok()) return written;
    bytes_received_ += end - start;
  }
  return HashNewlyContiguous(offset, bytes);
}

absl::StatusOr<StoredFile> Upload::Finish() {
  if (done_) return absl::FailedPreconditionError("the upload is over");
  if (bytes_received_ != file_.size || hashed_ != file_.size) {
    return absl::FailedPreconditionError(
        StrCat(file_.size - bytes_received_, " of ", file_.size, " bytes missing"));
  }
  auto [sha256, sha1] = hashes_.Final();
  if (!file_.sha1.empty() && LowerCase(file_.sha1) != sha1) {
    Discard();
    return absl::DataLossError(StrCat("sha-1 ", sha1, " is not the announced ", file_.sha1));
  }
  if (fsync(fd_) != 0) {
    absl::Status failed = ErrnoStatus("cannot fsync", temp_path_);
    Discard();
    return failed;
  }
  StoredFile file{.id = sha256,
                  .room = room_,
                  .name = file_.name,
                  .type = file_.type,
                  .size = file_.size,
                  .sha1 = sha1,
                  .sender = sender_,
                  .stored = absl::Now(),
                  .path = StrCat(folder_, "/", sha256)};
  // The description is made durable before the lock; the renames are under it.
  const std::string json_temp = StrCat(RandomName(), kJsonSuffix);
  if (absl::Status written = WriteFileDurably(folder_, json_temp, DescriptionJson(file));
      !written.ok()) {
    Discard();
    return written;
  }
  absl::StatusOr<StoredFile> stored = Store(std::move(file), StrCat(folder_, "/", json_temp));
  Discard();
  return stored;
}

// Renames bytes then description into place (so a listed file always has
// both), or gives back the room's copy of the same bytes.
absl::StatusOr<StoredFile> Upload::Store(StoredFile file, const std::string& json_temp) {
  std::lock_guard lock(index_->mutex);
  Index::Room& room = index_->rooms[room_];
  if (auto existing = room.files.find(file.id); existing != room.files.end()) {
    unlink(json_temp.c_str());
    return existing->second;
  }
  const std::string json_path = StrCat(file.path, kJsonSuffix);
  if (rename(temp_path_.c_str(), file.path.c_str()) != 0) {
    absl::Status failed = ErrnoStatus("cannot rename to", file.path);
    unlink(json_temp.c_str());
    return failed;
  }
  temp_path_.clear();  // nothing left to remove
  if (rename(json_temp.c_str(), json_path.c_str()) != 0) {
    absl::Status failed = ErrnoStatus("cannot rename to", json_path);
    unlink(json_temp.c_str());
    unlink(file.path.c_str());
    return failed;
  }
  if (absl::Status synced = SyncFolder(folder_); !synced.ok()) {
    LogWarn("files", "folder not synced").With("error", std::string(synced.message()));
  }
  room.files.emplace(file.id, file);
  room.stored_bytes += file.size;
  return file;
}

void Upload::ReleaseReservation() {
  std::lock_guard lock(index_->mutex);
  Index::Room& room = index_->rooms[room_];
  room.uploading_files -= 1;
  room.uploading_bytes -= file_.size;
}

void Upload::Discard() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    unlink(temp_path_.c_str());
    temp_path_.clear();
  }
  if (!done_) {
    done_ = true;
    ReleaseReservation();
  }
}

}  // namespace

struct FileStore::State {
  std::shared_ptr<Index> index = std::make_shared<Index>();
};

FileStore::FileStore(FileStoreOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}

FileStore::~FileStore() = default;

absl::Status FileStore::Open() {
  if (absl::Status made = MakeFolders(options_.directory); !made.ok()) return made;
  std::map<std::string, Index::Room, std::less<>> rooms;
  for (const std::string& room : FolderEntries(options_.directory)) {
    const std::string folder = StrCat(options_.directory, "/", room);
    if (!IsFolderName(room) || !IsFolder(folder)) continue;
    Index::Room loaded;
    for (const std::string& name : FolderEntries(folder)) {
      if (std::string_view(name).starts_with(kPartialPrefix)) {
        unlink(StrCat(folder, "/", name).c_str());  // a transfer cut before it was stored
        continue;
      }
      if (!IsFileId(name)) continue;
      if (std::optional<StoredFile> file = LoadStoredFile(folder, room, name)) {
        loaded.stored_bytes += file->size;
        loaded.files.emplace(name, *std::move(file));
      }
    }
    if (!loaded.files.empty()) rooms.emplace(room, std::move(loaded));
  }
  std::lock_guard lock(state_->index->mutex);
  state_->index->rooms = std::move(rooms);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileUpload>> FileStore::BeginUpload(std::string_view room,
                                                                   const FileDescription& file,
                                                                   std::string_view sender) {
  if (!IsFolderName(room)) return absl::InvalidArgumentError("not a room name");
  if (file.size > options_.max_file_bytes) {
    return absl::OutOfRangeError(
        StrCat("a file of ", file.size, " bytes; the limit is ", options_.max_file_bytes));
  }
  const std::string folder = StrCat(options_.directory, "/", room);
  if (absl::Status made = MakeFolder(folder); !made.ok()) return made;
  std::lock_guard lock(state_->index->mutex);
  Index::Room& counts = state_->index->rooms[std::string(room)];
  const uint64_t files = counts.files.size() + static_cast<uint64_t>(counts.uploading_files);
  const uint64_t bytes = counts.stored_bytes + counts.uploading_bytes;
  if (files + 1 > static_cast<uint64_t>(std::max(options_.max_files_per_room, 0))) {
    return absl::ResourceExhaustedError(StrCat("the room has ", files, " files"));
  }
  if (file.size > options_.max_bytes_per_room || bytes > options_.max_bytes_per_room - file.size) {
    return absl::ResourceExhaustedError(StrCat("the room has ", bytes, " bytes of files"));
  }
  const std::string temp = StrCat(folder, "/", RandomName());
  const int fd = open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create", temp);
  counts.uploading_files += 1;
  counts.uploading_bytes += file.size;
  return std::make_unique<Upload>(state_->index, folder, std::string(room), file,
                                  std::string(sender), fd, temp);
}

std::vector<StoredFile> FileStore::List(std::string_view room) const {
  std::vector<StoredFile> files;
  std::lock_guard lock(state_->index->mutex);
  auto it = state_->index->rooms.find(room);
  if (it == state_->index->rooms.end()) return files;
  for (const auto& [id, file] : it->second.files) files.push_back(file);
  return files;
}

std::optional<StoredFile> FileStore::Find(std::string_view room, std::string_view id) const {
  std::lock_guard lock(state_->index->mutex);
  auto it = state_->index->rooms.find(room);
  if (it == state_->index->rooms.end()) return std::nullopt;
  auto file = it->second.files.find(std::string(id));
  if (file == it->second.files.end()) return std::nullopt;
  return file->second;
}

void FileStore::RemoveRoom(std::string_view room) {
  if (!IsFolderName(room)) return;
  const std::string folder = StrCat(options_.directory, "/", room);
  std::lock_guard lock(state_->index->mutex);
  auto it = state_->index->rooms.find(room);
  if (it == state_->index->rooms.end()) return;
  for (const auto& [id, file] : it->second.files) {
    unlink(file.path.c_str());
    unlink(StrCat(file.path, kJsonSuffix).c_str());
  }
  it->second.files.clear();
  it->second.stored_bytes = 0;
  // Uploads in progress keep their reservation until they end; an empty
  // room's entry goes.
  if (it->second.uploading_files == 0) state_->index->rooms.erase(it);
  rmdir(folder.c_str());  // fails while an upload's partial file is there
}

}  // namespace tutti::msrp
