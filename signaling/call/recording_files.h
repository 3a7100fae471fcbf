// The files a room's recorder makes, by name: "<room>-<UTC start>.<ext>"
// in the recording directory (e.g. "1000-20261205T083603Z.ogg"; a second
// recording of the room within that second is named for the next one). The name
// is made here and read back here, so the control API lists, serves and
// deletes only files of that exact shape: a name with a "/" or "..", or of
// any other shape, is nobody's recording.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "mixer/room_recorder.h"

namespace tutti {

std::string RecordingFileName(std::string_view room, absl::Time started,
                              mixer::RecordingFormat format);

struct RecordingName {
  std::string room;
  absl::Time started;  // to the second
  mixer::RecordingFormat format = mixer::RecordingFormat::kOggOpus;
};

// What RecordingFileName made `name` from, or nullopt when it did not make it.
std::optional<RecordingName> ParseRecordingFileName(std::string_view name);

struct RecordingFile {
  std::string name;  // the file's name in the directory
  RecordingName made;
  uint64_t bytes = 0;
  std::optional<double> seconds;  // of audio (mixer/recording_length.h)
};

// The recordings in `directory` (of `room`, or of every room when it is
// empty): regular files whose names RecordingFileName made, symbolic links
// not followed. Oldest first; at most `max` of them, the newest.
std::vector<RecordingFile> ListRecordings(const std::string& directory, std::string_view room,
                                          size_t max);

}  // namespace tutti
