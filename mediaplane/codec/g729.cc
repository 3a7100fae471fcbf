#include "mediaplane/codec/g729.h"

// bcg729's headers declare C functions without extern "C".
extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}

#include <algorithm>
#include <cstdlib>

namespace tutti::media {

G729Decoder::G729Decoder(const CodecFormat& format)
    : frame_samples_(static_cast<size_t>(format.samples_per_frame())) {
  decoder_ = initBcg729DecoderChannel();
  if (decoder_ == nullptr) std::abort();  // out of memory at call setup
}

G729Decoder::~G729Decoder() { closeBcg729DecoderChannel(decoder_); }

int G729Decoder::Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) {
  const size_t frames = payload.size() / kG729FrameBytes;
  const size_t rest = payload.size() % kG729FrameBytes;
  // RFC 3551 §4.5.6: whole frames, then at most one SID frame at the end.
  if (payload.empty() || (rest != 0 && rest != kG729SidBytes)) return -1;
  size_t written = 0;
  for (size_t i = 0; i < frames && written + kG729FrameSamples <= pcm.size(); ++i) {
    bcg729Decoder(decoder_, payload.data() + i * kG729FrameBytes,
                  static_cast<uint8_t>(kG729FrameBytes), 0, 0, 0, pcm.data() + written);
    written += kG729FrameSamples;
  }
  if (rest == kG729SidBytes && written + kG729FrameSamples <= pcm.size()) {
    // Comfort noise from the SID's parameters (the decoder knows Annex B).
    bcg729Decoder(decoder_, payload.data() + frames * kG729FrameBytes,
                  static_cast<uint8_t>(kG729SidBytes), 0, 1, 0, pcm.data() + written);
    written += kG729FrameSamples;
  }
  return static_cast<int>(written);
}

int G729Decoder::Conceal(std::span<int16_t> pcm) {
  // The decoder's erasure concealment (G.729 §4.4), frame by frame: it
  // repeats the last parameters with decaying gains.
  // A zero frame where the lost one would be: read, then not used.
  static constexpr uint8_t kNoFrame[kG729FrameBytes] = {};
  const size_t samples = std::min(frame_samples_, pcm.size());
  size_t written = 0;
  while (written + kG729FrameSamples <= samples) {
    bcg729Decoder(decoder_, kNoFrame, static_cast<uint8_t>(kG729FrameBytes), 1, 0, 0,
                  pcm.data() + written);
    written += kG729FrameSamples;
  }
  return static_cast<int>(written);
}

G729Encoder::G729Encoder() {
  encoder_ = initBcg729EncoderChannel(0);  // no VAD: Annex B is off
  if (encoder_ == nullptr) std::abort();
}

G729Encoder::~G729Encoder() { closeBcg729EncoderChannel(encoder_); }

size_t G729Encoder::Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) {
  size_t bytes = 0;
  for (size_t start = 0;
       start + kG729FrameSamples <= pcm.size() && bytes + kG729FrameBytes <= payload.size();
       start += kG729FrameSamples) {
    uint8_t length = 0;
    bcg729Encoder(encoder_, pcm.data() + start, payload.data() + bytes, &length);
    bytes += length;
  }
  return bytes;
}

}  // namespace tutti::media
