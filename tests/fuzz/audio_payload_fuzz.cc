// libFuzzer target for the audio decoders a stranger's RTP payload reaches:
// G.711 (µ-law, A-law), G.722, G.729 and Opus. The first byte picks the
// codec, the rest is one payload. Decoders keep their state across inputs,
// as a call's does across packets. Every decode writes no more than one
// frame and returns a sample count or -1; concealment after it writes no
// more than one frame either.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "mediaplane/codec/audio_codec.h"

namespace {

using tutti::media::CodecFormat;
using tutti::media::CodecKind;

constexpr std::array<CodecFormat, 5> kFormats = {{
    {CodecKind::kPcmu, 8000, 20},
    {CodecKind::kPcma, 8000, 20},
    {CodecKind::kG722, 8000, 20},
    {CodecKind::kG729, 8000, 20},
    {CodecKind::kOpus, 48000, 20},
}};

// One frame plus a guard the decoders must leave untouched.
constexpr size_t kGuard = 16;
constexpr int16_t kGuardValue = 0x5a5a;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::array<std::unique_ptr<tutti::media::AudioDecoder>, kFormats.size()> decoders;
  if (size == 0) return 0;
  const size_t which = data[0] % kFormats.size();
  const CodecFormat& format = kFormats[which];
  if (!decoders[which]) decoders[which] = tutti::media::MakeDecoder(format);
  const auto frame = static_cast<size_t>(format.samples_per_frame());
  std::array<int16_t, 960 + kGuard> pcm;
  pcm.fill(kGuardValue);
  const std::span<int16_t> out(pcm.data(), frame);
  const int samples = decoders[which]->Decode(std::span(data + 1, size - 1), out);
  if (samples < -1 || samples > static_cast<int>(frame)) std::abort();
  if (pcm[frame] != kGuardValue) std::abort();
  if (data[0] & 0x80) {
    const int concealed = decoders[which]->Conceal(out);
    if (concealed < 0 || concealed > static_cast<int>(frame)) std::abort();
    if (pcm[frame] != kGuardValue) std::abort();
  }
  return 0;
}
