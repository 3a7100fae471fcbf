// Voice prompts and tones, loaded once at start from WAV files and kept at
// every conference rate (48, 16 and 8 kHz), so a worker plays them without
// resampling or allocating. Immutable after Load: workers share it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tutti::media {

struct Prompt {
  std::string name;  // the file name without .wav
  std::vector<int16_t> pcm_48k;
  std::vector<int16_t> pcm_16k;
  std::vector<int16_t> pcm_8k;

  std::span<const int16_t> AtRate(int rate) const {
    if (rate == 8000) return pcm_8k;
    if (rate == 16000) return pcm_16k;
    return pcm_48k;
  }
};

class PromptLibrary {
 public:
  // Every *.wav (16-bit PCM, mono or stereo, any rate) in `directory`.
  static absl::StatusOr<std::shared_ptr<const PromptLibrary>> Load(const std::string& directory);
  // From memory (tests): name -> 48 kHz mono samples.
  static std::shared_ptr<const PromptLibrary> FromSamples(
      std::vector<std::pair<std::string, std::vector<int16_t>>> prompts);

  // -1 when there is no such prompt.
  int Find(std::string_view name) const;
  const Prompt& at(int index) const { return prompts_[static_cast<size_t>(index)]; }
  size_t size() const { return prompts_.size(); }
  std::vector<std::string> Names() const;

 private:
  std::vector<Prompt> prompts_;
};

// Reads a 16-bit PCM WAV: samples (mono, channels averaged) and rate.
absl::StatusOr<std::pair<std::vector<int16_t>, int>> ReadWav(const std::string& path);

}  // namespace tutti::media
