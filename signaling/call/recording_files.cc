#include "signaling/call/recording_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/strings.h"
#include "mixer/recording_length.h"
#include "signaling/call/room_config.h"

namespace tutti {
namespace {

constexpr char kTimeFormat[] = "%Y%m%dT%H%M%SZ";
constexpr size_t kTimeLength = 16;  // 20261205T083603Z

std::string_view Extension(mixer::RecordingFormat format) {
  return format == mixer::RecordingFormat::kWav ? ".wav" : ".ogg";
}

// "20261205T083603Z" by fixed-width fields (absl::ParseTime's %Y would take
// all eight digits for the year). Range checks are left to the round trip.
std::optional<absl::Time> ParseTimeField(std::string_view text) {
  if (text.size() != kTimeLength || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  auto number = [&](size_t at, size_t length) -> std::optional<int> {
    int value = 0;
    for (char c : text.substr(at, length)) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    return value;
  };
  const std::optional<int> fields[] = {number(0, 4), number(4, 2),  number(6, 2),
                                       number(9, 2), number(11, 2), number(13, 2)};
  for (const std::optional<int>& field : fields) {
    if (!field) return std::nullopt;
  }
  return absl::FromCivil(
      absl::CivilSecond(*fields[0], *fields[1], *fields[2], *fields[3], *fields[4], *fields[5]),
      absl::UTCTimeZone());
}

}  // namespace

std::string RecordingFileName(std::string_view room, absl::Time started,
                              mixer::RecordingFormat format) {
  return StrCat(room, "-", absl::FormatTime(kTimeFormat, started, absl::UTCTimeZone()),
                Extension(format));
}

std::optional<RecordingName> ParseRecordingFileName(std::string_view name) {
  // Never a path: nothing that could leave the directory or name it.
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  RecordingName made;
  if (name.ends_with(".ogg")) {
    made.format = mixer::RecordingFormat::kOggOpus;
  } else if (name.ends_with(".wav")) {
    made.format = mixer::RecordingFormat::kWav;
  } else {
    return std::nullopt;
  }
  name.remove_suffix(4);
  // "<room>-" and the time, the room at least one character.
  if (name.size() < kTimeLength + 2 || name[name.size() - kTimeLength - 1] != '-') {
    return std::nullopt;
  }
  std::optional<absl::Time> started = ParseTimeField(name.substr(name.size() - kTimeLength));
  if (!started) return std::nullopt;
  made.started = *started;
  made.room = std::string(name.substr(0, name.size() - kTimeLength - 1));
  if (!IsValidRoomName(made.room)) return std::nullopt;  // rooms the recorder can have
  // Only the exact spelling the recorder writes (no "2026-1205...").
  if (RecordingFileName(made.room, made.started, made.format) !=
      StrCat(name, Extension(made.format))) {
    return std::nullopt;
  }
  return made;
}

std::vector<RecordingFile> ListRecordings(const std::string& directory, std::string_view room,
                                          size_t max) {
  std::vector<RecordingFile> found;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return found;
  while (const dirent* entry = readdir(dir)) {
    std::optional<RecordingName> made = ParseRecordingFileName(entry->d_name);
    if (!made || (!room.empty() && made->room != room)) continue;
    const std::string path = StrCat(directory, "/", entry->d_name);
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    found.push_back({entry->d_name, std::move(*made), static_cast<uint64_t>(info.st_size), {}});
  }
  closedir(dir);
  std::sort(found.begin(), found.end(), [](const RecordingFile& a, const RecordingFile& b) {
    return a.made.started != b.made.started ? a.made.started < b.made.started : a.name < b.name;
  });
  if (found.size() > max) found.erase(found.begin(), found.end() - static_cast<ptrdiff_t>(max));
  // Only the kept ones are read.
  for (RecordingFile& file : found) {
    file.seconds = mixer::RecordedSeconds(StrCat(directory, "/", file.name), file.made.format);
  }
  return found;
}

}  // namespace tutti
