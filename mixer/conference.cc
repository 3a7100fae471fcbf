#include "mixer/conference.h"

#include <algorithm>

#include "mixer/audio_mix.h"

namespace tutti::mixer {
namespace {

// Opus streams carry nothing while what they would carry is digital silence
// (DTX, RFC 7587 §3.1.3): the receiver's decoder fills the gap. G.711 peers
// expect a steady stream, so they get encoded silence.
bool SkipsSilence(const media::CodecFormat& format) {
  return format.kind == media::CodecKind::kOpus;
}

static_assert(MixPolicy::kMaxSamples == kMaxFrameSamples);

}  // namespace

void Conference::ChooseRate() {
  // The widest band anyone brings: narrowband when everyone is G.711 or
  // G.729 (no resampling at all), 16 kHz with a G.722 phone among them,
  // 48 kHz with Opus.
  int rate = 8000;
  for (const auto& participant : participants_) {
    rate = std::max(rate, participant->spec().codec.pcm_rate());
  }
  if (rate == rate_ && !participants_.empty()) {
    return;
  }
  rate_ = rate;
  for (auto& participant : participants_) participant->SetConferenceRate(rate_);
  // The frames' size changes with the rate, and a state's is fixed.
  preprocess_.SetRate(rate_);
  if (recorder_ != nullptr) AttachRecorder(recorder_);  // the upsampler follows the rate
  for (EncoderGroup& group : groups_) {
    group.downsampler = group.format.pcm_rate() == rate_
                            ? nullptr
                            : std::make_unique<media::Resampler>(rate_, group.format.pcm_rate());
  }
}

int Conference::GroupFor(const media::CodecFormat& format, int32_t listen_factor) {
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].format == format && groups_[i].listen_factor == listen_factor) {
      return static_cast<int>(i);
    }
  }
  EncoderGroup& group = groups_.emplace_back();
  group.format = format;
  group.listen_factor = listen_factor;
  group.encoder = media::MakeEncoder(format);
  group.encoder->SetCostLevel(cost_level_);
  group_loss_.resize(groups_.size());
  if (format.pcm_rate() != rate_) {
    group.downsampler = std::make_unique<media::Resampler>(rate_, format.pcm_rate());
  }
  return static_cast<int>(groups_.size() - 1);
}

void Conference::Add(std::unique_ptr<Participant> participant) {
  owner_.Check();
  Participant& added = *participant;
  participants_.push_back(std::move(participant));
  policy_.Join();
  const int previous_rate = rate_;
  ChooseRate();
  if (rate_ == previous_rate) added.SetConferenceRate(rate_);
  preprocess_.Join(rate_);
  added.group = GroupFor(added.spec().codec, added.listen_factor());
  added.SetCostLevel(cost_level_);
  cameras_.Joined(added);
  slides_.Joined(added);
}

void Conference::SetCostLevel(int level) {
  owner_.Check();
  cost_level_ = level;
  for (EncoderGroup& group : groups_) group.encoder->SetCostLevel(level);
  for (auto& participant : participants_) participant->SetCostLevel(level);
}

void Conference::Configure(const ConferenceSettings& settings) {
  owner_.Check();
  policy_.set_max_talkers(settings.max_talkers > 0 ? settings.max_talkers : options_.max_talkers);
  const VideoOptions& video = options_.video;
  video_settings_.mode =
      settings.video_mode != VideoMode::kDefault ? settings.video_mode : video.mode;
  video_settings_.presenter_id = settings.presenter_id;
  video_settings_.slides_presenter_id = settings.slides_presenter_id;
  video_settings_.hold_ms = settings.video_hold_ms > 0 ? settings.video_hold_ms : video.hold_ms;
  preprocess_.Configure(settings.preprocess, rate_);
}

void Conference::OnVideo(Participant& participant, bool slides, bool rtcp,
                         const media::Datagram& datagram, int64_t now_us, TickSink& sink) {
  owner_.Check();
  VideoRouter& router = slides ? slides_ : cameras_;
  if (rtcp) {
    router.OnRtcp(participant, datagram, participants_, now_us, sink);
  } else {
    router.OnRtp(participant, datagram, participants_, now_us, sink);
  }
}

VideoTally Conference::TakeVideoTally() {
  VideoTally tally = cameras_.TakeTally();
  const VideoTally slides = slides_.TakeTally();
  tally.packets_in += slides.packets_in;
  tally.packets_out += slides.packets_out;
  tally.keyframe_requests += slides.keyframe_requests;
  tally.switches += slides.switches;
  tally.switch_wait_us += slides.switch_wait_us;
  tally.nacks_answered += slides.nacks_answered;
  tally.retransmissions += slides.retransmissions;
  return tally;
}

void Conference::VideoStreamEnding(Participant& participant, bool slides, TickSink& sink) {
  owner_.Check();
  (slides ? slides_ : cameras_).SourceGone(participant.id(), participants_, sink);
}

void Conference::AttachRecorder(RoomRecorder* recorder) {
  owner_.Check();
  recorder_ = recorder;
  recorder_upsampler_ = recorder != nullptr && rate_ != RoomRecorder::kRate
                            ? std::make_unique<media::Resampler>(rate_, RoomRecorder::kRate)
                            : nullptr;
}

void Conference::Regroup(Participant& participant) {
  owner_.Check();
  participant.group = GroupFor(participant.spec().codec, participant.listen_factor());
}

void Conference::CodecChanged(Participant& participant) {
  owner_.Check();
  const int previous_rate = rate_;
  ChooseRate();
  if (rate_ == previous_rate) participant.SetConferenceRate(rate_);
  // Its preprocessor learned another decoder's output: it starts afresh.
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i].get() == &participant) preprocess_.Restart(i, rate_);
  }
  Regroup(participant);
}

Participant* Conference::Find(uint64_t participant_id) {
  owner_.Check();
  for (auto& participant : participants_) {
    if (participant->id() == participant_id) return participant.get();
  }
  return nullptr;
}

std::unique_ptr<Participant> Conference::Remove(uint64_t participant_id, TickSink& sink) {
  owner_.Check();
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i]->id() != participant_id) continue;
    std::unique_ptr<Participant> removed = std::move(participants_[i]);
    participants_.erase(participants_.begin() + static_cast<std::ptrdiff_t>(i));
    policy_.Leave(i);
    preprocess_.Leave(i);
    cameras_.Left(i, participant_id, participants_, sink);
    slides_.Left(i, participant_id, participants_, sink);
    const auto [lost, late] = removed->TakeJitterDeltas();
    sink.JitterReported(lost, late);
    sink.MalformedReported(removed->TakeMalformedDelta(removed->stats()));
    if (removed->CloseTalker() == TalkerDetector::Transition::kStopped) {
      sink.TalkingChanged(removed->id(), false);
    }
    ChooseRate();
    return removed;
  }
  return nullptr;
}

void Conference::UpdateGroupLoss() {
  std::fill(group_loss_.begin(), group_loss_.end(), 0);
  for (const auto& participant : participants_) {
    int& loss = group_loss_[static_cast<size_t>(participant->group)];
    loss = std::max(loss, participant->expected_loss_percent());
  }
  for (size_t i = 0; i < groups_.size(); ++i) {
    EncoderGroup& group = groups_[i];
    if (group.expected_loss_percent == group_loss_[i]) continue;
    group.expected_loss_percent = group_loss_[i];
    group.encoder->SetExpectedLossPercent(group.expected_loss_percent);
  }
}

void Conference::Tick(int64_t now_us, TickSink& sink) {
  StartTick();
  PullFrames(sink);
  policy_.Select();
  DecodeMixed();
  Preprocess();
  policy_.Mix(frame_samples(), [this](size_t slot) { return MixedFrame(slot); });
  Record();
  SendMedia(now_us, sink);
  SendRtcp(now_us, sink);
  // Video last: who sees whom follows this tick's talkers; its packets
  // themselves were forwarded as they came (OnVideo).
  cameras_.Tick(participants_, video_settings_, now_us, sink);
  slides_.Tick(participants_, video_settings_, now_us, sink);
}

void Conference::StartTick() {
  encodes_last_tick_ = 0;
  forwards_last_tick_ = 0;
  withheld_last_tick_ = 0;
  for (EncoderGroup& group : groups_) group.encoded = false;
}

// A frame from everyone; talker state machines advance and their levels go
// to the mix policy.
void Conference::PullFrames(TickSink& sink) {
  for (size_t i = 0; i < participants_.size(); ++i) {
    Participant& participant = *participants_[i];
    const TalkerDetector::Transition transition = participant.PullFrame();
    if (transition != TalkerDetector::Transition::kNone) {
      sink.TalkingChanged(participant.id(), transition == TalkerDetector::Transition::kStarted);
    }
    if (std::optional<char> digit = participant.TakeInbandDigit()) {
      sink.InbandDigit(participant.id(), *digit);
    }
    policy_.Offer(i, participant.talker().smoothed_db(), participant.talker().talking(),
                  participant.spec().muted);
  }
}

// Frames PullFrame left undecoded for a quiet header level are decoded
// when the mix takes them after all (a voice in its hangover, fading out).
void Conference::DecodeMixed() {
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (policy_.in_mix(i)) participants_[i]->DecodeDeferred();
  }
}

// Noise suppression and AGC on the voices this tick mixes, and only on
// them: the others' frames are not heard, so they cost nothing here.
void Conference::Preprocess() {
  if (!preprocess_.on()) return;
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (policy_.in_mix(i)) preprocess_.Run(i, participants_[i]->frame());
  }
}

// The recording hears what a listener hears.
void Conference::Record() {
  if (recorder_ == nullptr) return;
  std::span<const int16_t> mixed = policy_.mix();
  if (recorder_upsampler_) {
    recorder_upsampler_->Process(mixed, recorded_);
    mixed = std::span<const int16_t>(recorded_.data(), RoomRecorder::kFrame);
  }
  recorder_->Append(mixed);
}

void Conference::SendMedia(int64_t now_us, TickSink& sink) {
  UpdateGroupLoss();
  for (size_t i = 0; i < participants_.size(); ++i) SendTo(i, now_us, sink);
}

void Conference::SendTo(size_t slot, int64_t now_us, TickSink& sink) {
  if (SkipsTick(slot, now_us)) return;
  if (ForwardTo(slot, sink)) return;
  Participant& participant = *participants_[slot];
  // A voice in the mix hears everyone but itself; anyone hearing a prompt
  // gets the prompt over the mix; both need an encode of their own. Everyone
  // else shares their group's.
  if (policy_.in_mix(slot) || participant.playing() || !options_.share_encoders) {
    EncodeOwnFor(slot, sink);
  } else {
    Send(participant, EncodeForGroup(groups_[static_cast<size_t>(participant.group)]), sink);
  }
}

// True when nothing goes to `slot` this tick: it holds us, or hears only
// silence on a codec that skips it, or has not consented to media.
bool Conference::SkipsTick(size_t slot, int64_t now_us) {
  Participant& participant = *participants_[slot];
  const bool hears_silence = !participant.playing() && policy_.HearsNobody(slot);
  if (!participant.sending() || (hears_silence && SkipsSilence(participant.spec().codec))) {
    participant.SkipFrame();
    return true;
  }
  if (!participant.MaySend(now_us)) {
    // Nobody there asked for it (never heard from, or silent too long):
    // nothing goes out, not even an encode.
    participant.SkipFrame();
    participant.CountWithheld();
    ++withheld_last_tick_;
    return true;
  }
  return false;
}

// Whoever hears exactly one voice, untouched (no gain, no prompt, no ramp,
// same format), gets that voice's own packet: re-encoding it would cost the
// most expensive step of the tick and only add a generation of coding loss.
// With one talker that is every listener, with two it is each talker
// hearing the other.
bool Conference::ForwardTo(size_t slot, TickSink& sink) {
  Participant& participant = *participants_[slot];
  // A room with noise suppression or AGC forwards nothing: a talker's own
  // packet is its unprocessed voice.
  if (!options_.share_encoders || participant.playing() || participant.listen_factor() != 4096 ||
      preprocess_.on()) {
    return false;
  }
  const std::optional<size_t> voice_slot = policy_.SoleVoiceFor(slot);
  if (!voice_slot) return false;
  const Participant& voice = *participants_[*voice_slot];
  if (voice.spec().codec != participant.spec().codec || voice.forwardable_payload().empty()) {
    return false;
  }
  participant.MarkForwarded();
  if (!policy_.in_mix(slot)) groups_[static_cast<size_t>(participant.group)].spliced = true;
  ++forwards_last_tick_;
  Send(participant, voice.forwardable_payload(), sink);
  return true;
}

void Conference::EncodeOwnFor(size_t slot, TickSink& sink) {
  Participant& participant = *participants_[slot];
  std::span<int16_t> own(scratch_.data(), frame_samples());
  if (policy_.in_mix(slot)) {
    policy_.MixMinus(slot, MixedFrame(slot), own);
  } else {
    std::ranges::copy(policy_.mix(), own.begin());
  }
  ApplyGain(own, participant.listen_factor());
  if (participant.MixPlayback(own, rate_)) sink.PlaybackDone(participant.id());
  ++encodes_last_tick_;
  Send(participant, participant.EncodeOwn(own), sink);
}

std::span<const uint8_t> Conference::EncodeForGroup(EncoderGroup& group) {
  if (group.encoded) return {group.payload.data(), group.size};
  std::span<const int16_t> input = policy_.mix();
  if (group.listen_factor != 4096) {
    std::ranges::copy(input, group.gained.begin());
    ApplyGain(std::span<int16_t>(group.gained.data(), input.size()), group.listen_factor);
    input = std::span<const int16_t>(group.gained.data(), input.size());
  }
  if (group.downsampler) {
    const auto codec_frame = static_cast<size_t>(group.format.samples_per_frame());
    group.downsampler->Process(input, std::span<int16_t>(group.input.data(), codec_frame));
    input = std::span<const int16_t>(group.input.data(), codec_frame);
  }
  if (group.spliced) {
    // Its listeners' decoders last ran on another encoder's packets.
    group.encoder->NextFrameIndependent();
    group.spliced = false;
  }
  group.size = group.encoder->Encode(input, group.payload);
  group.encoded = true;
  ++encodes_last_tick_;
  return {group.payload.data(), group.size};
}

void Conference::Send(Participant& participant, std::span<const uint8_t> payload, TickSink& sink) {
  if (payload.empty()) {
    participant.SkipFrame();
    return;
  }
  uint8_t* buffer = sink.NextBuffer();
  const uint16_t size = participant.WriteRtp(payload, buffer);
  if (size == 0) return;  // SRTP refused to protect it
  sink.Commit(participant.rtp_port(), participant.rtp_destination(), size);
}

// RTCP on its own schedule, with the figures it reports.
void Conference::SendRtcp(int64_t now_us, TickSink& sink) {
  for (auto& participant : participants_) {
    uint8_t* buffer = sink.NextBuffer();
    const uint16_t size = participant->MaybeWriteRtcp(now_us, buffer);
    if (size == 0) continue;
    const uint16_t port =
        participant->spec().rtcp_mux ? participant->rtp_port() : participant->rtcp_port();
    if (participant->MaySend(now_us)) {
      sink.Commit(port, participant->rtcp_destination(), size);
    } else {
      participant->CountWithheld();
      ++withheld_last_tick_;
    }
    const ParticipantStats stats = participant->stats();
    sink.StatsReported(participant->id(), stats);
    const auto [lost, late] = participant->TakeJitterDeltas();
    sink.JitterReported(lost, late);
    sink.MalformedReported(participant->TakeMalformedDelta(stats));
  }
}

}  // namespace tutti::mixer
