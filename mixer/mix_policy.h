// What a room hears each tick, decided in one place: which talkers are mixed
// (the N loudest, with hysteresis: talker_selection.h), how a voice enters
// and leaves the mix (a gain ramp over one frame instead of a cut:
// audio_mix.h's Ramp) and the limiter over the sum. Everyone hears either
// the mix or the mix minus their own voice, both made here from the same
// ramped frames, so a shared encode and a talker's own sound alike.
//
// A voice that is selected stays at full gain with no per-sample work; one
// that enters is ramped in over its first frame, one that leaves (stops
// talking or loses its place) is ramped out over one more frame. Muting
// cuts at once: nothing of a muted voice goes out after the tick that saw
// the mute, as before ramps existed. Allocation-free per tick; Join
// allocates.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mixer/audio_mix.h"
#include "mixer/talker_selection.h"

namespace tutti::mixer {

class MixPolicy {
 public:
  // Samples in one 20 ms frame at the highest rate mixed (48 kHz).
  static constexpr size_t kMaxSamples = 960;

  MixPolicy(int max_talkers, float switch_margin_db)
      : max_talkers_(max_talkers), switch_margin_db_(switch_margin_db) {}

  int max_talkers() const { return max_talkers_; }
  void set_max_talkers(int max_talkers) { max_talkers_ = max_talkers; }

  // One slot per participant, in the conference's order. A slot that leaves
  // takes its voice with it at once: there is no frame left to fade.
  void Join();
  void Leave(size_t slot);
  size_t size() const { return slots_.size(); }

  // Tick, 1: a slot's smoothed level, and whether it talks and is muted.
  void Offer(size_t slot, float level_db, bool talking, bool muted);
  // Tick, 2: who is in this tick's mix and how each voice's gain moves.
  void Select();
  // The slot's frame is in this tick's mix (fading in or out included).
  bool in_mix(size_t slot) const { return slots_[slot].in_mix; }
  Ramp ramp(size_t slot) const { return slots_[slot].ramp; }
  int voices() const { return voices_; }
  // The one voice `slot` hears, when it hears exactly one and that one is
  // neither entering nor leaving: its frame is in the mix untouched, so its
  // own packet can stand for what `slot` hears.
  std::optional<size_t> SoleVoiceFor(size_t slot) const;
  // `slot` hears no voice at all (nobody mixed, or only itself).
  bool HearsNobody(size_t slot) const {
    return voices_ == 0 || (voices_ == 1 && slots_[slot].in_mix);
  }

  // Tick, 3: the mix of this tick's frames of `samples` each. `frame_of(slot)`
  // gives a slot's frame; it is asked only for the voices in the mix.
  template <typename FrameOf>
  void Mix(size_t samples, FrameOf&& frame_of) {
    StartMix(samples);
    for (size_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].in_mix) AddVoice(slot, frame_of(slot));
    }
    FinishMix();
  }
  // What everyone outside the mix hears, limited.
  std::span<const int16_t> mix() const { return {limited_.data(), samples_}; }
  // What a voice in the mix hears: everyone else, limited. `own` is the
  // frame Mix was given for `slot`.
  void MixMinus(size_t slot, std::span<const int16_t> own, std::span<int16_t> out) const;

 private:
  struct Slot {
    bool muted = false;
    bool was_selected = false;
    bool in_mix = false;
    Ramp ramp = Ramp::kNone;
  };

  void StartMix(size_t samples);
  void AddVoice(size_t slot, std::span<const int16_t> frame);
  void FinishMix();

  int max_talkers_;
  float switch_margin_db_;
  std::vector<TalkerCandidate> candidates_;  // one per slot, as SelectTalkers takes them
  std::vector<Slot> slots_;
  int voices_ = 0;
  std::array<size_t, 2> first_voices_{};  // the first two slots in the mix
  size_t samples_ = 0;
  std::array<int32_t, kMaxSamples> sum_{};
  std::array<int16_t, kMaxSamples> limited_{};
};

}  // namespace tutti::mixer
