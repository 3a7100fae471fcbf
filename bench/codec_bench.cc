// Cost of encoding and decoding one 20 ms frame of speech, per codec: what
// a listener group's shared encode and a talker's decode cost a media
// worker per tick. The signal is speech-like (bench/speech_signal.h) at the
// codec's own PCM rate; payloads are encoded before the decode clock starts.
#include <memory>
#include <span>
#include <vector>

#include "bench/speech_signal.h"
#include "benchmark/benchmark.h"
#include "mediaplane/codec/audio_codec.h"

namespace {

using tutti::media::CodecFormat;
using tutti::media::CodecKind;

constexpr int kFrames = 50;  // one second, replayed

CodecFormat FormatOf(CodecKind kind) { return {kind, kind == CodecKind::kOpus ? 48000 : 8000, 20}; }

void BM_Encode(benchmark::State& state, CodecKind kind) {
  const CodecFormat format = FormatOf(kind);
  const auto frame = static_cast<size_t>(format.samples_per_frame());
  const std::vector<int16_t> voice = tutti::bench::Voice(format.pcm_rate(), kFrames, 140);
  auto encoder = tutti::media::MakeEncoder(format);
  std::vector<uint8_t> payload(tutti::media::kMaxPayloadBytes);
  size_t f = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    bytes += encoder->Encode(std::span(voice.data() + f * frame, frame), payload);
    f = (f + 1) % kFrames;
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_frame"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}

void BM_Decode(benchmark::State& state, CodecKind kind) {
  const CodecFormat format = FormatOf(kind);
  const auto frame = static_cast<size_t>(format.samples_per_frame());
  const std::vector<int16_t> voice = tutti::bench::Voice(format.pcm_rate(), kFrames, 140);
  auto encoder = tutti::media::MakeEncoder(format);
  std::vector<std::vector<uint8_t>> payloads;
  for (size_t f = 0; f < kFrames; ++f) {
    std::vector<uint8_t> payload(tutti::media::kMaxPayloadBytes);
    payload.resize(encoder->Encode(std::span(voice.data() + f * frame, frame), payload));
    payloads.push_back(std::move(payload));
  }
  auto decoder = tutti::media::MakeDecoder(format);
  std::vector<int16_t> pcm(frame);
  size_t f = 0;
  int samples = 0;
  for (auto _ : state) {
    samples += decoder->Decode(payloads[f], pcm);
    f = (f + 1) % kFrames;
  }
  benchmark::DoNotOptimize(samples);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_Encode, PCMU, CodecKind::kPcmu);
BENCHMARK_CAPTURE(BM_Encode, G722, CodecKind::kG722);
BENCHMARK_CAPTURE(BM_Encode, G729, CodecKind::kG729);
BENCHMARK_CAPTURE(BM_Encode, Opus, CodecKind::kOpus);
BENCHMARK_CAPTURE(BM_Decode, PCMU, CodecKind::kPcmu);
BENCHMARK_CAPTURE(BM_Decode, G722, CodecKind::kG722);
BENCHMARK_CAPTURE(BM_Decode, G729, CodecKind::kG729);
BENCHMARK_CAPTURE(BM_Decode, Opus, CodecKind::kOpus);

}  // namespace
