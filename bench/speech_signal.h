// A speech-like test signal for the benchmarks: a vowel-ish harmonic stack
// with a syllable envelope, so codecs and mixers see voiced frames and
// pauses rather than a pure tone or noise.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace tutti::bench {

// `frames` 20 ms frames at `rate`, pitch `pitch_hz`.
inline std::vector<int16_t> Voice(int rate, int frames, double pitch_hz) {
  std::vector<int16_t> pcm(static_cast<size_t>(rate / 50 * frames));
  for (size_t i = 0; i < pcm.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    const double envelope = 0.5 + 0.5 * std::sin(2 * M_PI * 4 * t);
    double x = 0;
    for (int h = 1; h <= 5; ++h) x += std::sin(2 * M_PI * pitch_hz * h * t) / h;
    pcm[i] = static_cast<int16_t>(4000 * envelope * x);
  }
  return pcm;
}

}  // namespace tutti::bench
