// Test signals and measures for the codec tests: a sine tone cut into
// frames, a frame's RMS level, how much of its energy one frequency has,
// and a tone sent through an encoder and a decoder.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/audio_codec.h"

namespace tutti::media {

// Frames of a sine tone, continuous across frames.
inline std::vector<int16_t> Tone(double hz, int rate, int frame, int index,
                                 double amplitude = 8000) {
  std::vector<int16_t> pcm(static_cast<size_t>(frame));
  for (int i = 0; i < frame; ++i) {
    const double t = static_cast<double>(index * frame + i) / rate;
    pcm[static_cast<size_t>(i)] = static_cast<int16_t>(amplitude * std::sin(2 * M_PI * hz * t));
  }
  return pcm;
}

inline double Rms(std::span<const int16_t> pcm) {
  double sum = 0;
  for (int16_t s : pcm) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

// Goertzel power of one frequency, normalised to the frame's energy.
inline double ToneShare(std::span<const int16_t> pcm, double hz, int rate) {
  const double w = 2 * M_PI * hz / rate;
  double s1 = 0, s2 = 0;
  for (int16_t x : pcm) {
    const double s0 = x + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
  double energy = 0;
  for (int16_t x : pcm) energy += static_cast<double>(x) * x;
  return energy == 0 ? 0 : 2 * power / (energy * static_cast<double>(pcm.size()));
}

// What a peer hears: `frames` frames of a tone at the format's PCM rate
// through `encoder` and `decoder`; the last frame decoded. Every payload must be `payload_bytes`
// long (0: any) and decode to a whole frame.
inline std::vector<int16_t> ToneThrough(AudioEncoder& encoder, AudioDecoder& decoder,
                                        const CodecFormat& format, double hz, int frames,
                                        size_t payload_bytes = 0) {
  const int frame = format.samples_per_frame();
  std::vector<uint8_t> payload(kMaxPayloadBytes);
  std::vector<int16_t> decoded(static_cast<size_t>(frame));
  for (int index = 0; index < frames; ++index) {
    const size_t bytes = encoder.Encode(Tone(hz, format.pcm_rate(), frame, index), payload);
    if (payload_bytes != 0) {
      EXPECT_EQ(bytes, payload_bytes);
    }
    EXPECT_EQ(decoder.Decode(std::span(payload.data(), bytes), decoded), frame);
  }
  return decoded;
}

}  // namespace tutti::media
