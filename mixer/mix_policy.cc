#include "mixer/mix_policy.h"

#include <algorithm>

namespace tutti::mixer {

void MixPolicy::Join() {
  candidates_.emplace_back();
  slots_.emplace_back();
}

void MixPolicy::Leave(size_t slot) {
  candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(slot));
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(slot));
}

void MixPolicy::Offer(size_t slot, float level_db, bool talking, bool muted) {
  TalkerCandidate& candidate = candidates_[slot];
  candidate.level_db = level_db;
  candidate.eligible = talking && !muted;
  slots_[slot].muted = muted;
}

void MixPolicy::Select() {
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].was_selected = candidates_[i].selected;
  SelectTalkers(candidates_, max_talkers_, switch_margin_db_);
  voices_ = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    const bool now = candidates_[i].selected;
    if (now) {
      slot.ramp = slot.was_selected ? Ramp::kNone : Ramp::kIn;
    } else {
      slot.ramp = slot.was_selected && !slot.muted ? Ramp::kOut : Ramp::kNone;
    }
    slot.in_mix = now || slot.ramp == Ramp::kOut;
    if (!slot.in_mix) continue;
    if (voices_ < 2) first_voices_[static_cast<size_t>(voices_)] = i;
    ++voices_;
  }
}

std::optional<size_t> MixPolicy::SoleVoiceFor(size_t slot) const {
  std::optional<size_t> voice;
  if (voices_ == 1 && !slots_[slot].in_mix) voice = first_voices_[0];
  if (voices_ == 2 && slots_[slot].in_mix) {
    voice = first_voices_[0] == slot ? first_voices_[1] : first_voices_[0];
  }
  if (voice && slots_[*voice].ramp != Ramp::kNone) return std::nullopt;
  return voice;
}

void MixPolicy::StartMix(size_t samples) {
  samples_ = std::min(samples, kMaxSamples);
  std::fill(sum_.begin(), sum_.begin() + static_cast<std::ptrdiff_t>(samples_), 0);
}

void MixPolicy::AddVoice(size_t slot, std::span<const int16_t> frame) {
  Accumulate(std::span<int32_t>(sum_.data(), samples_), frame, slots_[slot].ramp);
}

void MixPolicy::FinishMix() {
  Limit(std::span<const int32_t>(sum_.data(), samples_),
        std::span<int16_t>(limited_.data(), samples_));
}

void MixPolicy::MixMinus(size_t slot, std::span<const int16_t> own, std::span<int16_t> out) const {
  mixer::MixMinus(std::span<const int32_t>(sum_.data(), samples_), own, slots_[slot].ramp,
                  out.first(std::min(out.size(), samples_)));
}

}  // namespace tutti::mixer
