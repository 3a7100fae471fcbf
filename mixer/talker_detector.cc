#include "mixer/talker_detector.h"

#include <cmath>

namespace tutti::mixer {

float FrameLevelDb(std::span<const int16_t> pcm) {
  if (pcm.empty()) return -100.0f;
  int64_t sum = 0;
  for (int16_t sample : pcm) sum += int32_t{sample} * sample;
  const double mean = static_cast<double>(sum) / static_cast<double>(pcm.size());
  if (mean < 1.0) return -100.0f;
  return static_cast<float>(10.0 * std::log10(mean / (32768.0 * 32768.0)));
}

TalkerDetector::Transition TalkerDetector::Update(float level_db) {
  // Attack in about two frames, release over about ten.
  const float alpha = level_db > smoothed_db_ ? 0.5f : 0.1f;
  smoothed_db_ += alpha * (level_db - smoothed_db_);
  if (!talking_) {
    above_ = smoothed_db_ >= options_.start_db ? above_ + 1 : 0;
    if (above_ >= options_.start_ticks) {
      talking_ = true;
      below_ = 0;
      return Transition::kStarted;
    }
    return Transition::kNone;
  }
  below_ = smoothed_db_ < options_.stop_db ? below_ + 1 : 0;
  if (below_ >= options_.hangover_ticks) {
    talking_ = false;
    above_ = 0;
    return Transition::kStopped;
  }
  return Transition::kNone;
}

TalkerDetector::Transition TalkerDetector::Close() {
  above_ = 0;
  below_ = 0;
  smoothed_db_ = -100.0f;
  if (!talking_) return Transition::kNone;
  talking_ = false;
  return Transition::kStopped;
}

}  // namespace tutti::mixer
