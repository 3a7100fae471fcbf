// How much audio a recording file holds, read from its own bytes (the
// control API lists it): an Ogg Opus file's last page's granule position
// less the pre-skip, a WAV file's data bytes over its byte rate. Either
// works on a file still being written (what is on disk so far).
#pragma once

#include <optional>
#include <string>

#include "mixer/room_recorder.h"

namespace tutti::mixer {

// Seconds of audio in the file at `path`, or nullopt when it cannot be
// read or is not a file this recorder writes. Reads at most the first
// 512 bytes and the last 64 KiB; follows no symbolic link.
std::optional<double> RecordedSeconds(const std::string& path, RecordingFormat format);

}  // namespace tutti::mixer
