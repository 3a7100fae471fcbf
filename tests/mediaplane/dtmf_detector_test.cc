#include "mediaplane/dtmf_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/g711.h"

namespace tutti::media {
namespace {

constexpr int kRate = 8000;
constexpr int kMs = kRate / 1000;
constexpr std::string_view kAllKeys = "123A456B789C*0#D";

struct Key {
  double row_hz;
  double column_hz;
};

Key KeyFrequencies(char digit) {
  constexpr double kRows[] = {697, 770, 852, 941};
  constexpr double kColumns[] = {1209, 1336, 1477, 1633};
  const size_t index = kAllKeys.find(digit);
  return {kRows[index / 4], kColumns[index % 4]};
}

// Amplitude of a sine at `dbfs` relative to a full-scale sine.
double Amplitude(double dbfs) { return 32767 * std::pow(10, dbfs / 20); }

// Builds test signals; phases continue across tones so two presses of one
// key are two separate bursts, not one interrupted tone.
class Signal {
 public:
  Signal& Silence(int ms) {
    samples_.resize(samples_.size() + ms * kMs, 0);
    return *this;
  }
  Signal& SilenceSamples(int count) {
    samples_.resize(samples_.size() + count, 0);
    return *this;
  }
  // Two sines; levels per tone in dBFS.
  Signal& Tones(double f1, double dbfs1, double f2, double dbfs2, int ms) {
    const double a1 = Amplitude(dbfs1);
    const double a2 = Amplitude(dbfs2);
    for (int i = 0; i < ms * kMs; ++i) {
      const double t = static_cast<double>(samples_.size()) / kRate;
      const double v = a1 * std::sin(2 * std::numbers::pi * f1 * t) +
                       a2 * std::sin(2 * std::numbers::pi * f2 * t + 1.0);
      samples_.push_back(static_cast<int16_t>(std::lround(std::clamp(v, -32768.0, 32767.0))));
    }
    return *this;
  }
  Signal& Key(char digit, int ms, double dbfs = -10, double twist_db = 0) {
    const auto [row, column] = KeyFrequencies(digit);
    return Tones(row, dbfs, column, dbfs + twist_db, ms);
  }
  Signal& Tone(double hz, double dbfs, int ms) { return Tones(hz, dbfs, hz, -400, ms); }
  std::vector<int16_t>& samples() { return samples_; }

 private:
  std::vector<int16_t> samples_;
};

std::vector<int16_t> UlawRoundTrip(const std::vector<int16_t>& pcm) {
  std::vector<uint8_t> coded(pcm.size());
  std::vector<int16_t> decoded(pcm.size());
  EncodeUlaw(pcm, coded.data());
  DecodeUlaw(coded, decoded.data());
  return decoded;
}

// Feeds `pcm` in frames of `frame` samples and returns the digits reported.
std::string Detect(const std::vector<int16_t>& pcm, size_t frame = 160) {
  DtmfDetector detector;
  std::string digits;
  for (size_t pos = 0; pos < pcm.size(); pos += frame) {
    const size_t n = std::min(frame, pcm.size() - pos);
    if (auto digit = detector.Process(std::span<const int16_t>(pcm.data() + pos, n))) {
      digits += *digit;
    }
  }
  // Trailing silence so a press at the very end is not cut short.
  const std::vector<int16_t> silence(160, 0);
  for (int i = 0; i < 10; ++i) {
    if (auto digit = detector.Process(silence)) digits += *digit;
  }
  return digits;
}

TEST(DtmfDetectorTest, EveryKeyOncePerPress) {
  for (char key : kAllKeys) {
    Signal signal;
    signal.Silence(50).Key(key, 100).Silence(100);
    EXPECT_EQ(Detect(signal.samples()), std::string(1, key)) << key;
    EXPECT_EQ(Detect(UlawRoundTrip(signal.samples())), std::string(1, key)) << key << " µ-law";
  }
}

TEST(DtmfDetectorTest, KeySequence) {
  Signal signal;
  for (char key : kAllKeys) signal.Key(key, 70).Silence(60);
  EXPECT_EQ(Detect(signal.samples()), kAllKeys);
  EXPECT_EQ(Detect(UlawRoundTrip(signal.samples())), kAllKeys);
}

TEST(DtmfDetectorTest, OddFrameSizesGiveTheSameDigits) {
  Signal signal;
  signal.Silence(30).Key('5', 100).Silence(60).Key('5', 100).Silence(80).Key('#', 45).Silence(70);
  for (size_t frame : {1, 37, 80, 101, 102, 160, 240, 1000, 8000}) {
    EXPECT_EQ(Detect(signal.samples(), frame), "55#") << frame;
    EXPECT_EQ(Detect(UlawRoundTrip(signal.samples()), frame), "55#") << frame << " µ-law";
  }
}

TEST(DtmfDetectorTest, DigitReportedAfterFortyMsAndNotRepeatedWhileHeld) {
  DtmfDetector detector;
  Signal signal;
  signal.Key('7', 2000);
  std::vector<int> reported_at_ms;
  for (size_t pos = 0; pos < signal.samples().size(); pos += 160) {
    if (auto digit =
            detector.Process(std::span<const int16_t>(signal.samples().data() + pos, 160))) {
      EXPECT_EQ(*digit, '7');
      reported_at_ms.push_back(static_cast<int>(pos / kMs) + 20);
    }
  }
  ASSERT_EQ(reported_at_ms.size(), 1u);
  // Reported once it has lasted long enough, without waiting for the release.
  EXPECT_LE(reported_at_ms[0], 60);
}

TEST(DtmfDetectorTest, SameKeyTwiceWithSixtyMsPause) {
  Signal signal;
  signal.Silence(20).Key('3', 100).Silence(60).Key('3', 100).Silence(40);
  EXPECT_EQ(Detect(signal.samples()), "33");
  EXPECT_EQ(Detect(UlawRoundTrip(signal.samples())), "33");
}

// Q.24: a 40 ms tone and a 40 ms pause must be recognised, whatever their
// alignment with the analysis blocks.
TEST(DtmfDetectorTest, FortyMsToneAndPauseAtEveryAlignment) {
  for (int offset = 0; offset < 110; offset += 3) {
    for (char key : {'1', 'D', '0'}) {
      Signal signal;
      signal.SilenceSamples(offset).Key(key, 40).Silence(40).Key(key, 40).Silence(50);
      EXPECT_EQ(Detect(signal.samples()), std::string(2, key)) << key << " offset " << offset;
    }
  }
}

TEST(DtmfDetectorTest, TwentyMsBlipIgnoredAtEveryAlignment) {
  for (int offset = 0; offset < 110; ++offset) {
    for (char key : {'1', '6', '#', 'D'}) {
      Signal signal;
      signal.SilenceSamples(offset).Key(key, 20).Silence(100);
      EXPECT_EQ(Detect(signal.samples()), "") << key << " offset " << offset;
    }
  }
}

// Q.24: an interruption of up to 10 ms does not split a press.
TEST(DtmfDetectorTest, TenMsInterruptionIsBridged) {
  for (int offset = 0; offset < 110; offset += 7) {
    Signal signal;
    signal.SilenceSamples(offset).Key('8', 60).Silence(10).Key('8', 60).Silence(60);
    EXPECT_EQ(Detect(signal.samples()), "8") << "offset " << offset;
  }
}

TEST(DtmfDetectorTest, FrequencyOffsetWithinOnePointFivePercentAccepted) {
  for (char key : kAllKeys) {
    for (double factor : {0.985, 1.015}) {
      const auto [row, column] = KeyFrequencies(key);
      Signal signal;
      signal.Tones(row * factor, -10, column * factor, -10, 60).Silence(60);
      EXPECT_EQ(Detect(UlawRoundTrip(signal.samples())), std::string(1, key))
          << key << " x" << factor;
    }
  }
}

TEST(DtmfDetectorTest, SingleTonesIgnored) {
  for (double hz : {1000.0, 770.0, 697.0, 1336.0, 1633.0, 400.0, 2100.0}) {
    Signal signal;
    signal.Tone(hz, -6, 1000).Silence(50);
    EXPECT_EQ(Detect(signal.samples()), "") << hz;
  }
  // A row tone with a far weaker column tone is still a single tone.
  Signal weak_column;
  weak_column.Tones(770, -6, 1336, -30, 500);
  EXPECT_EQ(Detect(weak_column.samples()), "");
}

TEST(DtmfDetectorTest, TwistLimits) {
  // Column (high group) louder than the row: forward twist, up to 4 dB.
  Signal forward_ok;
  forward_ok.Key('5', 100, -12, 3).Silence(60);
  EXPECT_EQ(Detect(forward_ok.samples()), "5");
  Signal forward_bad;
  forward_bad.Key('5', 100, -12, 6).Silence(60);
  EXPECT_EQ(Detect(forward_bad.samples()), "");
  // Column quieter than the row: reverse twist, up to 8 dB.
  Signal reverse_ok;
  reverse_ok.Key('9', 100, -8, -7).Silence(60);
  EXPECT_EQ(Detect(reverse_ok.samples()), "9");
  Signal reverse_bad;
  reverse_bad.Key('9', 100, -8, -10).Silence(60);
  EXPECT_EQ(Detect(reverse_bad.samples()), "");
}

TEST(DtmfDetectorTest, LevelThreshold) {
  Signal low;
  low.Key('2', 200, -45).Silence(60);
  EXPECT_EQ(Detect(low.samples()), "");
  EXPECT_EQ(Detect(UlawRoundTrip(low.samples())), "");
  // -30 dBm0 per tone (0 dBm0 is about -3.2 dBFS for µ-law) must still work.
  Signal weakest;
  weakest.Key('2', 100, -33.2).Silence(60);
  EXPECT_EQ(Detect(UlawRoundTrip(weakest.samples())), "2");
  // Loud presses too.
  Signal loud;
  loud.Key('2', 100, -7).Silence(60);
  EXPECT_EQ(Detect(UlawRoundTrip(loud.samples())), "2");
}

// Voiced speech: a harmonic stack with a gliding 120-200 Hz pitch, shaped by
// the formants of a sequence of vowels, with a syllable envelope.
std::vector<int16_t> SpeechLike(double seconds, double pitch_phase) {
  struct Vowel {
    double f1, f2, f3;
  };
  // Peterson & Barney style formants: /a/ /i/ /u/ /e/ /o/ /ae/.
  constexpr Vowel kVowels[] = {{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
                               {530, 1840, 2480}, {570, 840, 2410},  {660, 1720, 2410}};
  constexpr double kBandwidths[] = {80, 100, 140};
  const int count = static_cast<int>(seconds * kRate);
  std::vector<double> out(count);
  std::vector<double> phases(40, 0);
  double peak = 0;
  for (int i = 0; i < count; ++i) {
    const double t = static_cast<double>(i) / kRate;
    const double pitch = 160 + 40 * std::sin(2 * std::numbers::pi * 0.9 * t + pitch_phase);
    const Vowel& vowel = kVowels[static_cast<int>(t / 0.22) % 6];
    const double envelope = 0.3 + 0.7 * std::pow(std::sin(std::numbers::pi * t / 0.22), 2);
    double v = 0;
    for (int k = 1; k < 40 && k * pitch < 3800; ++k) {
      const double f = k * pitch;
      phases[k] += 2 * std::numbers::pi * f / kRate;
      double gain = 1.0 / k;  // glottal source roll-off
      const double formants[] = {vowel.f1, vowel.f2, vowel.f3};
      for (int j = 0; j < 3; ++j) {
        const double fc = formants[j];
        gain *= fc * fc / std::sqrt(std::pow(fc * fc - f * f, 2) + std::pow(kBandwidths[j] * f, 2));
      }
      v += gain * std::sin(phases[k]);
    }
    out[i] = v * envelope;
    peak = std::max(peak, std::abs(out[i]));
  }
  std::vector<int16_t> pcm(count);
  for (int i = 0; i < count; ++i) pcm[i] = static_cast<int16_t>(std::lround(out[i] / peak * 20000));
  return pcm;
}

TEST(DtmfDetectorTest, SpeechLikeSignalGivesNoDigit) {
  for (double pitch_phase : {0.0, 1.0, 2.0, 3.0, 4.0}) {
    const std::vector<int16_t> speech = SpeechLike(4, pitch_phase);
    EXPECT_EQ(Detect(speech), "") << pitch_phase;
    EXPECT_EQ(Detect(UlawRoundTrip(speech)), "") << pitch_phase;
  }
}

TEST(DtmfDetectorTest, WhiteNoiseGivesNoDigit) {
  std::mt19937 rng(42);
  for (double stddev : {300.0, 3000.0, 10000.0}) {
    std::normal_distribution<double> noise(0, stddev);
    std::vector<int16_t> pcm(5 * kRate);
    for (int16_t& s : pcm) s = static_cast<int16_t>(std::clamp(noise(rng), -32768.0, 32767.0));
    EXPECT_EQ(Detect(pcm), "") << stddev;
  }
}

TEST(DtmfDetectorTest, DetectsKeyOverModerateNoise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 300);  // about 25 dB below each tone
  Signal signal;
  signal.Silence(40).Key('4', 100).Silence(80).Key('C', 100).Silence(80);
  for (int16_t& s : signal.samples()) {
    s = static_cast<int16_t>(std::clamp(s + noise(rng), -32768.0, 32767.0));
  }
  EXPECT_EQ(Detect(signal.samples()), "4C");
}

TEST(DtmfDetectorTest, OneLongFrameDeliversEveryDigit) {
  Signal signal;
  signal.Key('1', 60).Silence(60).Key('2', 60).Silence(60).Key('3', 60).Silence(60);
  DtmfDetector detector;
  std::string digits;
  if (auto digit = detector.Process(signal.samples())) digits += *digit;
  const std::vector<int16_t> silence(160, 0);
  for (int i = 0; i < 5; ++i) {
    if (auto digit = detector.Process(silence)) digits += *digit;
  }
  EXPECT_EQ(digits, "123");
}

TEST(DtmfDetectorTest, ResetForgetsPartialPress) {
  Signal first;
  first.Key('6', 30);
  Signal rest;
  rest.Key('6', 30).Silence(60);
  DtmfDetector detector;
  EXPECT_FALSE(detector.Process(first.samples()).has_value());
  detector.Reset();
  // 30 ms after the reset is too short on its own.
  EXPECT_FALSE(detector.Process(rest.samples()).has_value());
}

TEST(DtmfDetectorTest, SixteenKilohertz) {
  DtmfDetector detector(16000);
  std::vector<int16_t> pcm;
  for (int i = 0; i < 16000 / 10; ++i) {  // 100 ms of '#'
    const double t = i / 16000.0;
    pcm.push_back(static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * 941 * t) +
                                       8000 * std::sin(2 * std::numbers::pi * 1477 * t)));
  }
  pcm.resize(pcm.size() + 1600, 0);
  std::string digits;
  for (size_t pos = 0; pos < pcm.size(); pos += 320) {
    if (auto digit = detector.Process(std::span<const int16_t>(pcm.data() + pos, 320))) {
      digits += *digit;
    }
  }
  EXPECT_EQ(digits, "#");
}

}  // namespace
}  // namespace tutti::media
