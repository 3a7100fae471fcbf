// Records a room's mix to Ogg Opus (libopusenc) or WAV. The worker hands it
// one 48 kHz frame per tick through a lock-free ring, never touching the
// disk; a thread of its own encodes and writes. Either file plays if the
// process dies mid-recording: Ogg pages are self-delimiting and flushed at
// least every second, and the WAV header's sizes are rewritten every second.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "mixer/spsc_ring.h"

struct OggOpusEnc;

namespace tutti::mixer {

enum class RecordingFormat { kOggOpus, kWav };

// One 20 ms frame of the mix at 48 kHz, as it travels to the writer thread.
// (At namespace scope: a nested struct with member initialisers is not
// default-constructible until its enclosing class is complete.)
struct RecordedFrame {
  std::array<int16_t, 960> pcm{};
};

class RoomRecorder {
 public:
  static constexpr int kRate = 48000;
  static constexpr size_t kFrame = 960;  // 20 ms

  static absl::StatusOr<std::unique_ptr<RoomRecorder>> Start(const std::string& path,
                                                             RecordingFormat format);
  ~RoomRecorder();
  RoomRecorder(const RoomRecorder&) = delete;
  RoomRecorder& operator=(const RoomRecorder&) = delete;

  // Worker thread: one 20 ms frame at 48 kHz. False (and counted) when the
  // writer fell behind by more than the ring holds (~5 s).
  bool Append(std::span<const int16_t> frame);

  // Any thread but the worker's, once the worker has let go of it: writes
  // what is queued and finalises the file.
  absl::Status Close();

  const std::string& path() const { return path_; }
  RecordingFormat format() const { return format_; }
  uint64_t frames_written() const { return written_.load(); }
  uint64_t frames_dropped() const { return dropped_.load(); }

 private:
  using Frame = RecordedFrame;

  RoomRecorder(std::string path, RecordingFormat format);
  void Run();
  void Write(const Frame& frame);
  void UpdateWavHeader();

  std::string path_;
  RecordingFormat format_;
  std::FILE* wav_ = nullptr;
  OggOpusEnc* ogg_ = nullptr;
  SpscRing<Frame> ring_{256};
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
  bool closed_ = false;
};

}  // namespace tutti::mixer
