#include "mixer/talker_preprocess.h"

#include <speex/speex_preprocess.h>

#include <algorithm>

namespace tutti::mixer {

struct TalkerPreprocess::Slot {
  struct Destroy {
    void operator()(SpeexPreprocessState* state) const { speex_preprocess_state_destroy(state); }
  };
  std::unique_ptr<SpeexPreprocessState, Destroy> state;
  size_t samples = 0;  // fixed at creation: speex sizes its FFT by it
  std::array<int16_t, kMaxSamples> out{};
  size_t length = 0;  // of the last frame in `out`
};

TalkerPreprocess::TalkerPreprocess() = default;
TalkerPreprocess::~TalkerPreprocess() = default;
TalkerPreprocess::TalkerPreprocess(TalkerPreprocess&&) noexcept = default;
TalkerPreprocess& TalkerPreprocess::operator=(TalkerPreprocess&&) noexcept = default;

std::unique_ptr<TalkerPreprocess::Slot> TalkerPreprocess::MakeSlot(int rate) {
  if (!settings_.on()) return nullptr;
  auto slot = std::make_unique<Slot>();
  slot->samples = std::min(static_cast<size_t>(rate / 50), kMaxSamples);
  slot->state.reset(speex_preprocess_state_init(static_cast<int>(slot->samples), rate));
  SpeexPreprocessState* state = slot->state.get();
  spx_int32_t denoise = settings_.noise_suppression ? 1 : 0;
  spx_int32_t suppress = -settings_.noise_suppression_db;
  spx_int32_t agc = settings_.agc ? 1 : 0;
  spx_int32_t target = kAgcTarget;
  spx_int32_t max_gain = kAgcMaxGainDb;
  spx_int32_t off = 0;  // speex's VAD is off unless asked for (and warns when set)
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &agc);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC_TARGET, &target);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, &max_gain);
  speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DEREVERB, &off);
  ++states_created_;
  return slot;
}

void TalkerPreprocess::Configure(const PreprocessSettings& settings, int rate) {
  if (settings == settings_) return;
  settings_ = settings;
  // Fresh states with the new settings: a reconfigured room is rare, and
  // speex's states are cheaper to make again than to retune one by one.
  SetRate(rate);
}

void TalkerPreprocess::Join(int rate) { slots_.push_back(MakeSlot(rate)); }

void TalkerPreprocess::Leave(size_t slot) {
  slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(slot));
}

void TalkerPreprocess::SetRate(int rate) {
  for (auto& slot : slots_) slot = MakeSlot(rate);
}

void TalkerPreprocess::Restart(size_t slot, int rate) { slots_[slot] = MakeSlot(rate); }

std::span<const int16_t> TalkerPreprocess::Run(size_t index, std::span<const int16_t> frame) {
  Slot* slot = slots_[index].get();
  if (slot == nullptr) return frame;
  slot->length = std::min(frame.size(), kMaxSamples);
  std::copy_n(frame.begin(), slot->length, slot->out.begin());
  // A frame of another size than the state's would overrun it: it passes
  // as it is (the conference recreates states when its rate changes, so
  // this is a guard, not a path).
  if (slot->length == slot->samples) {
    speex_preprocess_run(slot->state.get(), slot->out.data());
    ++frames_processed_;
  }
  return {slot->out.data(), slot->length};
}

std::span<const int16_t> TalkerPreprocess::Processed(size_t index) const {
  const Slot& slot = *slots_[index];
  return {slot.out.data(), slot.length};
}

}  // namespace tutti::mixer
