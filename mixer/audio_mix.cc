#include "mixer/audio_mix.h"

#include <algorithm>
#include <cstdlib>

namespace tutti::mixer {
namespace {
constexpr int32_t kKnee = 23197;  // -3 dBFS
constexpr int32_t kHeadroom = 32767 - kKnee;

// Ramp gains are Q16: 65536 is 1. A sample times 65536 still fits in 32 bits.
constexpr int32_t kUnity = 1 << 16;

// The gain of sample i of a frame is start + i * step, with the step kept
// in Q24 so that the ramp ends within a rounding of its target.
struct RampLine {
  int32_t start;
  int32_t step_q24;
};

RampLine LineOf(Ramp ramp, size_t samples) {
  const int32_t step = samples == 0 ? 0 : (kUnity << 8) / static_cast<int32_t>(samples);
  return ramp == Ramp::kIn ? RampLine{0, step} : RampLine{kUnity, -step};
}

int32_t Ramped(int16_t sample, const RampLine& line, size_t i) {
  const int32_t gain = line.start + ((static_cast<int32_t>(i) * line.step_q24) >> 8);
  return (int32_t{sample} * gain) >> 16;
}

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

void Accumulate(std::span<int32_t> acc, std::span<const int16_t> in, Ramp ramp) {
  if (ramp == Ramp::kNone) return Accumulate(acc, in);
  const size_t samples = std::min(acc.size(), in.size());
  const RampLine line = LineOf(ramp, samples);
  for (size_t i = 0; i < samples; ++i) acc[i] += Ramped(in[i], line, i);
}

void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, std::span<int16_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = SoftLimit(mix[i] - own[i]);
}

void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, Ramp ramp,
              std::span<int16_t> out) {
  if (ramp == Ramp::kNone) return MixMinus(mix, own, out);
  const RampLine line = LineOf(ramp, out.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = SoftLimit(mix[i] - Ramped(own[i], line, i));
}

void Limit(std::span<const int32_t> mix, std::span<int16_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = SoftLimit(mix[i]);
}

}  // namespace tutti::mixer
