#include "mixer/recording_length.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace tutti::mixer {
namespace {

// Closes the descriptor whatever way the reading ends.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path)
      : fd_(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) {}
  ~ReadOnlyFile() {
    if (fd_ >= 0) close(fd_);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  // The file's size when it is a regular file, else -1.
  int64_t Size() const {
    struct stat info {};
    if (fd_ < 0 || fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) return -1;
    return info.st_size;
  }
  // Up to `length` bytes from `offset`.
  std::vector<uint8_t> Read(int64_t offset, size_t length) const {
    std::vector<uint8_t> bytes(length);
    const ssize_t got = pread(fd_, bytes.data(), length, offset);
    bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return bytes;
  }

 private:
  int fd_;
};

uint64_t Le(const uint8_t* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

size_t Find(const std::vector<uint8_t>& bytes, std::string_view what, size_t from = 0) {
  auto it = std::search(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(),
                        what.begin(), what.end());
  return it == bytes.end() ? std::string_view::npos : static_cast<size_t>(it - bytes.begin());
}

// RFC 7845: the head packet's pre-skip, then the last page (RFC 3533) whose
// granule position is set: the 48 kHz samples decoded up to its end.
std::optional<double> OggOpusSeconds(const ReadOnlyFile& file, int64_t size) {
  const std::vector<uint8_t> head = file.Read(0, 512);
  const size_t opus_head = Find(head, "OpusHead");
  if (Find(head, "OggS") != 0 || opus_head == std::string_view::npos ||
      opus_head + 12 > head.size()) {
    return std::nullopt;
  }
  const uint64_t pre_skip = Le(&head[opus_head + 10], 2);
  constexpr size_t kTail = 64 * 1024;
  const int64_t from = std::max<int64_t>(0, size - static_cast<int64_t>(kTail));
  const std::vector<uint8_t> tail = file.Read(from, kTail);
  constexpr size_t kPageHeader = 27;
  std::optional<uint64_t> granule;
  for (size_t at = Find(tail, "OggS"); at != std::string_view::npos;
       at = Find(tail, "OggS", at + 1)) {
    if (at + kPageHeader > tail.size()) break;
    if (tail[at + 4] != 0) continue;  // version 0: else the bytes are audio, not a page
    const uint64_t position = Le(&tail[at + 6], 8);
    if (position != UINT64_MAX) granule = position;  // -1: no packet ends on this page
  }
  if (!granule) return std::nullopt;
  return static_cast<double>(*granule > pre_skip ? *granule - pre_skip : 0) / 48000.0;
}

// The recorder's 44-byte header, then PCM: what follows the header counts
// (its size fields lag up to a second behind a file being written).
std::optional<double> WavSeconds(const ReadOnlyFile& file, int64_t size) {
  const std::vector<uint8_t> head = file.Read(0, 44);
  if (head.size() < 44 || std::memcmp(head.data(), "RIFF", 4) != 0 ||
      std::memcmp(&head[8], "WAVE", 4) != 0) {
    return std::nullopt;
  }
  const uint64_t byte_rate = Le(&head[28], 4);
  if (byte_rate == 0) return std::nullopt;
  return static_cast<double>(size - 44) / static_cast<double>(byte_rate);
}

}  // namespace

std::optional<double> RecordedSeconds(const std::string& path, RecordingFormat format) {
  ReadOnlyFile file(path);
  const int64_t size = file.Size();
  if (size < 0) return std::nullopt;
  return format == RecordingFormat::kWav ? WavSeconds(file, size) : OggOpusSeconds(file, size);
}

}  // namespace tutti::mixer
