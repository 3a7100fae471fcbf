// Sample-rate conversion between a participant's codec rate and its
// conference's rate (8 kHz G.711 <-> 48 kHz mixing) with SpeexDSP.
#pragma once

#include <cstdint>
#include <span>

struct SpeexResamplerState_;

namespace tutti::media {

class Resampler {
 public:
  // Quality 3 of SpeexDSP's 0..10: its VoIP default, cheap and clean for speech.
  Resampler(int input_rate, int output_rate, int quality = 3);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Converts one frame; returns the samples written to `out`. For a frame of
  // input_rate/50 samples the result is output_rate/50 (the filter's delay is
  // carried in its state, so consecutive frames join without a seam).
  int Process(std::span<const int16_t> in, std::span<int16_t> out);

 private:
  SpeexResamplerState_* state_ = nullptr;
};

}  // namespace tutti::media
