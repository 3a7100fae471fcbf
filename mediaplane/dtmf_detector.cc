#include "mediaplane/dtmf_detector.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tutti::media {
namespace {

constexpr std::array<float, 8> kFrequencies = {697, 770, 852, 941, 1209, 1336, 1477, 1633};
constexpr char kKeys[4][4] = {
    {'1', '2', '3', 'A'},
    {'4', '5', '6', 'B'},
    {'7', '8', '9', 'C'},
    {'*', '0', '#', 'D'},
};

// 12.75 ms at 8 kHz; see the header for why.
constexpr int kBlockSamplesAt8k = 102;

// 0 dBm0 on the 16-bit scale G.711 decodes to: the digital milliwatt (the
// G.711 µ-law 0 dBm0 reference sine) peaks at about 5670 in 14-bit linear,
// i.e. 22680 here. Energies below are mean squares, A^2 / 2 for a sine.
constexpr float kZeroDbm0MeanSquare = 22680.0f * 22680.0f / 2;
// -34 dBm0 per tone: Q.24-style receivers must accept tones down to about
// -30 dBm0; the 4 dB margin covers the 1.4 dB a tone 1.5% off frequency loses
// in its bin plus quantisation. -45 dBFS (and the -55 dBm0 "tone off" level)
// stays well below.
constexpr float kMinToneMeanSquare = kZeroDbm0MeanSquare * 3.98e-4f;  // -34 dB

// Strongest tone of a group over the runner-up in the same group: 8 dB. A
// nominal tone leaks about -22 dB into its neighbour's filter, one 1.5% off
// frequency about -12 dB; two tones of one group (speech harmonics) rarely
// differ this much.
constexpr float kMinPeakRatio = 6.31f;
// Column (high group) over row: at most +4 dB (forward twist), at least -8 dB
// (reverse twist).
constexpr float kMaxForwardTwist = 2.512f;
constexpr float kMaxReverseTwist = 6.31f;
// Share of the block's energy in the two tones. Clean DTMF keeps about 76% at
// worst (both tones 1.5% off, column 4 dB up); voiced speech rarely puts this
// much in two DTMF bins (0.65 let through nearly twice as many vowels tuned onto DTMF pairs).
constexpr float kMinToneShare = 0.7f;

// Estimated tone duration, in blocks, needed to report: 2.35 blocks = 30 ms,
// midway between a 20 ms blip (1.57 blocks at most) and a 40 ms press (3.14).
constexpr float kMinDurationBlocks = 2.35f;
constexpr int kMinRunBlocks = 2;
// Blocks not holding the held digit before it is released (see header).
constexpr int kReleaseBlocks = 3;

}  // namespace

DtmfDetector::DtmfDetector(int sample_rate) {
  // Keep the block at 12.75 ms so the bin width (1 / block duration) and the
  // timing rules are the same at every rate. Rates below 8 kHz cannot carry
  // the 1633 Hz column.
  const int rate = std::max(sample_rate, 8000);
  block_size_ = (kBlockSamplesAt8k * rate + 4000) / 8000;
  min_tone_energy_ = kMinToneMeanSquare * static_cast<float>(block_size_);
  for (int i = 0; i < kTones; ++i) {
    coeff_[i] = static_cast<float>(
        2 * std::cos(2 * std::numbers::pi * kFrequencies[i] / static_cast<double>(rate)));
  }
}

void DtmfDetector::Reset() {
  block_fill_ = 0;
  s1_.fill(0);
  s2_.fill(0);
  energy_ = 0;
  previous_tone_energy_.fill(0);
  run_digit_ = 0;
  run_blocks_ = 0;
  run_amplitude_sum_ = 0;
  run_amplitude_max_ = 0;
  run_leading_amplitude_ = 0;
  held_digit_ = 0;
  blocks_without_held_ = 0;
  pending_head_ = 0;
  pending_count_ = 0;
}

std::optional<char> DtmfDetector::Process(std::span<const int16_t> pcm) {
  size_t pos = 0;
  while (pos < pcm.size()) {
    const size_t n = std::min(pcm.size() - pos, static_cast<size_t>(block_size_ - block_fill_));
    // Locals so the eight recursions stay in registers across the samples.
    std::array<float, kTones> s1 = s1_;
    std::array<float, kTones> s2 = s2_;
    const std::array<float, kTones> coeff = coeff_;
    float energy = energy_;
    for (size_t i = 0; i < n; ++i) {
      const float x = pcm[pos + i];
      energy += x * x;
      for (int k = 0; k < kTones; ++k) {
        const float s0 = x + coeff[k] * s1[k] - s2[k];
        s2[k] = s1[k];
        s1[k] = s0;
      }
    }
    s1_ = s1;
    s2_ = s2;
    energy_ = energy;
    block_fill_ += static_cast<int>(n);
    pos += n;
    if (block_fill_ == block_size_) EndBlock();
  }
  if (pending_count_ == 0) return std::nullopt;
  const char digit = pending_[pending_head_];
  pending_head_ = (pending_head_ + 1) % kPendingCapacity;
  --pending_count_;
  return digit;
}

void DtmfDetector::EndBlock() {
  // Goertzel output power |X(f)|^2, scaled to the energy a sine at f would
  // put in the block (|X| = A N / 2, energy = A^2 N / 2), so it compares
  // directly with the block's total energy.
  std::array<float, kTones> tone_energy;
  const float scale = 2.0f / static_cast<float>(block_size_);
  for (int k = 0; k < kTones; ++k) {
    tone_energy[k] = scale * (s1_[k] * s1_[k] + s2_[k] * s2_[k] - coeff_[k] * s1_[k] * s2_[k]);
  }
  const char digit = ClassifyBlock(tone_energy, energy_);
  block_fill_ = 0;
  s1_.fill(0);
  s2_.fill(0);
  energy_ = 0;

  if (held_digit_ != 0) {
    if (digit == held_digit_) {
      blocks_without_held_ = 0;
    } else if (++blocks_without_held_ >= kReleaseBlocks) {
      held_digit_ = 0;
    }
  }

  if (held_digit_ == 0) {
    const float amplitude = digit != 0 ? DigitAmplitude(tone_energy, digit) : 0;
    float trailing_amplitude = 0;
    bool run_ended = false;
    if (run_digit_ != 0 && digit == run_digit_) {
      ++run_blocks_;
      run_amplitude_sum_ += amplitude;
      run_amplitude_max_ = std::max(run_amplitude_max_, amplitude);
    } else if (run_digit_ != 0) {
      // This block ends the run; the tail of the tone may still be in it.
      trailing_amplitude = DigitAmplitude(tone_energy, run_digit_);
      run_ended = true;
    }

    if (run_digit_ != 0) {
      // Partial blocks at either edge count by their amplitude relative to
      // the run's fullest block; capped so a loud neighbour cannot count
      // for more than a whole block.
      const float edges = std::min(run_leading_amplitude_, run_amplitude_max_) +
                          std::min(trailing_amplitude, run_amplitude_max_);
      if (run_blocks_ >= kMinRunBlocks &&
          run_amplitude_sum_ + edges >= kMinDurationBlocks * run_amplitude_max_) {
        Emit(run_digit_);
        held_digit_ = run_digit_;
        blocks_without_held_ = run_ended ? 1 : 0;
        run_ended = true;
      }
      if (run_ended) run_digit_ = 0;
    }

    if (run_digit_ == 0 && held_digit_ == 0 && digit != 0) {
      run_digit_ = digit;
      run_blocks_ = 1;
      run_amplitude_sum_ = amplitude;
      run_amplitude_max_ = amplitude;
      run_leading_amplitude_ = DigitAmplitude(previous_tone_energy_, digit);
    }
  }
  previous_tone_energy_ = tone_energy;
}

char DtmfDetector::ClassifyBlock(const std::array<float, kTones>& tone_energy, float energy) const {
  // Strongest and runner-up of each group.
  int best[2];
  float runner_up[2];
  for (int group = 0; group < 2; ++group) {
    const int first = group * 4;
    best[group] = first;
    runner_up[group] = 0;
    for (int k = first + 1; k < first + 4; ++k) {
      if (tone_energy[k] > tone_energy[best[group]]) {
        runner_up[group] = tone_energy[best[group]];
        best[group] = k;
      } else {
        runner_up[group] = std::max(runner_up[group], tone_energy[k]);
      }
    }
  }
  const float row = tone_energy[best[0]];
  const float column = tone_energy[best[1]];
  if (row < min_tone_energy_ || column < min_tone_energy_) return 0;
  if (row < kMinPeakRatio * runner_up[0] || column < kMinPeakRatio * runner_up[1]) return 0;
  if (column > kMaxForwardTwist * row || row > kMaxReverseTwist * column) return 0;
  if (row + column < kMinToneShare * energy) return 0;
  return kKeys[best[0]][best[1] - 4];
}

float DtmfDetector::DigitAmplitude(const std::array<float, kTones>& tone_energy, char digit) {
  for (int row = 0; row < 4; ++row) {
    for (int column = 0; column < 4; ++column) {
      if (kKeys[row][column] == digit) {
        return std::sqrt(tone_energy[row] + tone_energy[4 + column]);
      }
    }
  }
  return 0;
}

void DtmfDetector::Emit(char digit) {
  if (pending_count_ == kPendingCapacity) return;  // only with frames of many seconds
  pending_[(pending_head_ + pending_count_) % kPendingCapacity] = digit;
  ++pending_count_;
}

}  // namespace tutti::media
