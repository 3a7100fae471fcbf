// Noise suppression and automatic gain control (SpeexDSP's preprocessor) on
// the voices a room mixes, when the room asks for them.
//
// One preprocessor state per participant (a state learns its talker's noise
// floor and loudness over time, so it cannot be shared), created when the
// setting goes on or the participant joins, recreated when the rate of its
// frames changes: never per tick. Each tick only the frames the mix policy
// put in the mix (at most max_talkers, plus one fading out) run through
// their state, into a buffer of the slot's own, so the mix and every
// mix-minus hear the same processed voice; a participant not mixed costs
// nothing. Speex's own VAD stays off: the talker detector decides who talks.
//
// A state holds 27 KB in an 8 kHz room, 139 KB in a 48 kHz one (with its
// output buffer; bench/README.md, "Noise suppression and AGC: cost"), so
// rooms without the setting hold none.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct SpeexPreprocessState_;

namespace tutti::mixer {

struct PreprocessSettings {
  bool noise_suppression = false;
  bool agc = false;
  // The most the denoiser takes off the noise, in dB (speex's own default is 15).
  int noise_suppression_db = 30;
  bool operator==(const PreprocessSettings&) const = default;
  bool on() const { return noise_suppression || agc; }
};

class TalkerPreprocess {
 public:
  // Samples in one 20 ms frame at 48 kHz, the highest rate mixed.
  static constexpr size_t kMaxSamples = 960;
  // Speech level AGC steers a voice toward (speex's loudness units, its
  // default 8000: about -20 dBov RMS for speech), and the most gain it may
  // add, so a near-silent line is not pumped up to hiss.
  static constexpr int kAgcTarget = 8000;
  static constexpr int kAgcMaxGainDb = 24;

  TalkerPreprocess();
  ~TalkerPreprocess();
  TalkerPreprocess(TalkerPreprocess&&) noexcept;
  TalkerPreprocess& operator=(TalkerPreprocess&&) noexcept;

  const PreprocessSettings& settings() const { return settings_; }
  bool on() const { return settings_.on(); }

  // New settings for every slot, whose frames are at `rate` (Hz). Allocates
  // (states are made when the setting turns on, dropped when it turns off).
  void Configure(const PreprocessSettings& settings, int rate);
  // One slot per participant, in the conference's order (as MixPolicy).
  void Join(int rate);
  void Leave(size_t slot);
  size_t size() const { return slots_.size(); }
  // The frames of every slot now come at `rate`: fresh states (allocates).
  void SetRate(int rate);
  // The slot's talker changed codec: a fresh state (its noise and level
  // estimates were of another decoder's output).
  void Restart(size_t slot, int rate);

  // Tick: `frame`, the slot's decoded frame at the rate given, processed
  // into the slot's own buffer; the result is what Processed(slot) gives
  // until the next Run of the slot. Allocation-free.
  std::span<const int16_t> Run(size_t slot, std::span<const int16_t> frame);
  std::span<const int16_t> Processed(size_t slot) const;
  // The slot holds a state (the setting is on).
  bool has_state(size_t slot) const { return slots_[slot] != nullptr; }

  // For tests and benchmarks: frames processed and states made, ever.
  uint64_t frames_processed() const { return frames_processed_; }
  uint64_t states_created() const { return states_created_; }

 private:
  struct Slot;
  std::unique_ptr<Slot> MakeSlot(int rate);

  PreprocessSettings settings_;
  std::vector<std::unique_ptr<Slot>> slots_;
  uint64_t frames_processed_ = 0;
  uint64_t states_created_ = 0;
};

}  // namespace tutti::mixer
