#include "mixer/audio_mix.h"

#include <cstdlib>

namespace tutti::mixer {
namespace {
constexpr int32_t kKnee = 23197;  // -3 dBFS
constexpr int32_t kHeadroom = 32767 - kKnee;
}  // namespace

int16_t SoftLimit(int32_t sample) {
  const int32_t magnitude = std::abs(sample);
  if (magnitude <= kKnee) return static_cast<int16_t>(sample);
  // Above the knee: excess / (1 + excess / headroom), which tends to headroom.
  const int64_t excess = magnitude - kKnee;
  const auto bent = static_cast<int32_t>(kKnee + excess * kHeadroom / (kHeadroom + excess));
  return static_cast<int16_t>(sample < 0 ? -bent : bent);
}

void Accumulate(std::span<int32_t> acc, std::span<const int16_t> in) {
  for (size_t i = 0; i < acc.size() && i < in.size(); ++i) acc[i] += in[i];
}

void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, std::span<int16_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = SoftLimit(mix[i] - own[i]);
}

void Limit(std::span<const int32_t> mix, std::span<int16_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = SoftLimit(mix[i]);
}

}  // namespace tutti::mixer
