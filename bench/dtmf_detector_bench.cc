// Cost of in-band DTMF detection per 20 ms G.711 frame (160 samples at
// 8 kHz): what the bridge pays per caller that needs it. The signal is a
// second of key presses and pauses followed by a second of noise, fed frame by
// frame in a loop, so the figure includes block bookkeeping and digit
// reporting, not just the Goertzel filters. The work is the same for any
// content (eight recursions per sample), so one signal suffices.
//
//   g++ -std=c++20 -O2 -I. mediaplane/dtmf_detector.cc bench/dtmf_detector_bench.cc
//       -lbenchmark -lbenchmark_main -pthread -o /tmp/dtmf_bench && /tmp/dtmf_bench
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <vector>

#include "benchmark/benchmark.h"
#include "mediaplane/dtmf_detector.h"

namespace {

constexpr int kRate = 8000;
constexpr int kFrame = 160;

std::vector<int16_t> MakeSignal() {
  std::vector<int16_t> pcm;
  // '1' '5' '9' '#', 100 ms each with 100 ms pauses, then noise.
  constexpr double kKeys[][2] = {{697, 1209}, {770, 1336}, {852, 1477}, {941, 1477}};
  for (const auto& key : kKeys) {
    for (int i = 0; i < kRate / 10; ++i) {
      const double t = static_cast<double>(i) / kRate;
      pcm.push_back(static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * key[0] * t) +
                                         8000 * std::sin(2 * std::numbers::pi * key[1] * t)));
    }
    pcm.resize(pcm.size() + kRate / 10, 0);
  }
  pcm.resize(kRate, 0);
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0, 2000);
  for (int i = 0; i < kRate; ++i) pcm.push_back(static_cast<int16_t>(noise(rng)));
  return pcm;
}

void BM_DtmfDetectorFrame(benchmark::State& state) {
  const std::vector<int16_t> pcm = MakeSignal();
  tutti::media::DtmfDetector detector;
  size_t pos = 0;
  int64_t digits = 0;
  for (auto _ : state) {
    if (detector.Process(std::span<const int16_t>(pcm.data() + pos, kFrame))) ++digits;
    pos += kFrame;
    if (pos + kFrame > pcm.size()) pos = 0;
  }
  state.SetItemsProcessed(state.iterations());  // frames
  state.counters["digits"] = static_cast<double>(digits);
}
BENCHMARK(BM_DtmfDetectorFrame);

}  // namespace
