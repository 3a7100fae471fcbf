// Voice activity of one participant as an explicit state machine
// (silent -> talking -> silent) over the frame level, smoothed with a fast
// attack and slow release, with a hangover so pauses between words do not
// end a talk spurt. Every "started" is matched by exactly one "stopped",
// also when the participant leaves or is muted (Close).
#pragma once

#include <cstdint>
#include <span>

namespace tutti::mixer {

struct TalkerOptions {
  float start_db = -42.0f;  // smoothed level (dBov) that starts talking...
  int start_ticks = 2;      // ...held this many ticks (40 ms)
  float stop_db = -48.0f;   // below this...
  int hangover_ticks = 20;  // ...for this many ticks (400 ms) stops it
};

// RMS level of a frame in dB relative to full scale (-100 for digital silence).
float FrameLevelDb(std::span<const int16_t> pcm);

class TalkerDetector {
 public:
  enum class Transition : uint8_t { kNone, kStarted, kStopped };

  explicit TalkerDetector(TalkerOptions options = {}) : options_(options) {}

  // One call per tick with that tick's frame level.
  Transition Update(float level_db);
  // The participant leaves or is muted: stopped if it was talking.
  Transition Close();

  bool talking() const { return talking_; }
  const TalkerOptions& options() const { return options_; }
  float smoothed_db() const { return smoothed_db_; }

 private:
  TalkerOptions options_;
  bool talking_ = false;
  float smoothed_db_ = -100.0f;
  int above_ = 0;
  int below_ = 0;
};

}  // namespace tutti::mixer
