// In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 reception rules) for
// callers that send key presses as audio instead of RFC 4733 events or SIP
// INFO. Fed with the decoded 16-bit PCM of each incoming frame.
//
// Analysis: eight Goertzel filters run sample by sample over blocks of 102
// samples at 8 kHz (12.75 ms). Why 102 and not the 160-sample frame:
//  - Timing. The usual Q.24-derived rule is "accept >= 40 ms, reject
//    <= ~20 ms" (Q.24 tabulates per-administration values). A 20 ms
//    blip can fill a whole 160-sample block while a 40 ms tone may fill only
//    one, so 20 ms blocks cannot separate them; 12.75 ms blocks can (see
//    "duration" below).
//  - Frequency. The bins are 78 Hz wide, so the closest pair (697/770 Hz,
//    73 Hz apart) sits near each other's first null (about -22 dB), while a
//    tone 1.5% off its nominal frequency (24 Hz at 1633 Hz, the Q.24 must-
//    accept tolerance) loses only 1.4 dB. With 160 samples that offset is half
//    a bin and costs 3.9 dB.
// The filters are tuned to the exact DTMF frequencies (non-integer bin
// index), so no tone falls between two bins.
//
// A block holds digit d when all of these hold (thresholds in the .cc):
//  - level: both tones at or above -34 dBm0 (µ-law scale), so a -30 dBm0
//    tone passes even 1.5% off frequency;
//  - selectivity: the strongest row tone is >= 8 dB above the other three
//    rows, and likewise for the columns;
//  - twist: the column tone at most 4 dB above the row tone (forward/"normal"
//    twist) and at most 8 dB below it (reverse twist). The high group is the
//    one lines attenuate, so it is allowed to arrive weaker by more. These are
//    the Bell/Telcordia and MT8870-style limits most receivers use (Q.24
//    leaves the exact figures to each administration);
//  - purity: the two tones carry >= 70% of the block's energy. Speech and
//    music spread their energy over many frequencies; a clean DTMF pair
//    keeps >= ~76% in the two bins even 1.5% off frequency.
//
// Duration: a press is reported once its tone has lasted about 30 ms
// (between Q.24's must-reject ~20 ms and must-accept 40 ms). Because blocks
// are not aligned with the tone, the detector estimates the duration from
// the run of consecutive blocks holding d plus the block on either side: a
// partially filled block contributes its tone amplitude relative to the
// run's strongest block (the Goertzel amplitude grows linearly with the
// number of tone samples in the block). At least two blocks of the run must
// pass the checks above on their own too.
//
// Release: the held digit is released after three consecutive blocks that do
// not hold it. An interruption of <= 10 ms (which must not split a press)
// touches at most two blocks; a pause of >= 40 ms always spoils at
// least three. So the same key pressed twice with a 40 ms pause gives two
// digits, and a key held for seconds gives one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

class DtmfDetector {
 public:
  // Rates other than 8000 scale the block to the same 12.75 ms.
  explicit DtmfDetector(int sample_rate = 8000);

  // Feeds one frame of any length (blocks continue across calls). Returns a
  // digit ('0'-'9', '*', '#', 'A'-'D') once per key press. If one call spans
  // several presses (frames of seconds), the later digits come out of the
  // following calls. Does not allocate.
  std::optional<char> Process(std::span<const int16_t> pcm);

  // Forgets the current block, the held digit and undelivered digits.
  void Reset();

 private:
  static constexpr int kTones = 8;  // 4 rows then 4 columns
  static constexpr int kPendingCapacity = 4;

  void EndBlock();
  // The digit the finished block holds, or 0.
  char ClassifyBlock(const std::array<float, kTones>& tone_energy, float energy) const;
  // Amplitude of the digit's two tones in `tone_energy`.
  static float DigitAmplitude(const std::array<float, kTones>& tone_energy, char digit);
  void Emit(char digit);

  int block_size_;
  float min_tone_energy_;  // per block, from the level threshold
  std::array<float, kTones> coeff_{};

  // The running block: Goertzel state and total energy.
  int block_fill_ = 0;
  std::array<float, kTones> s1_{};
  std::array<float, kTones> s2_{};
  float energy_ = 0;

  // Tone energies of the previous block: the leading edge of a new run.
  std::array<float, kTones> previous_tone_energy_{};

  // The run of consecutive blocks holding run_digit_ (0 when none).
  char run_digit_ = 0;
  int run_blocks_ = 0;
  float run_amplitude_sum_ = 0;  // over the run's own blocks
  float run_amplitude_max_ = 0;
  float run_leading_amplitude_ = 0;  // the digit's tones in the block before

  char held_digit_ = 0;  // reported, not yet released
  int blocks_without_held_ = 0;

  std::array<char, kPendingCapacity> pending_{};
  int pending_head_ = 0;
  int pending_count_ = 0;
};

}  // namespace tutti::media
