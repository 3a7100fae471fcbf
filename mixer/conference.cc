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

}  // namespace

void Conference::ChooseRate() {
  // Narrowband when everyone is G.711: no resampling at all. Otherwise 48 kHz.
  int rate = 8000;
  for (const auto& participant : participants_) {
    if (participant->spec().codec.clock_rate != 8000) rate = 48000;
  }
  if (rate == rate_ && !participants_.empty()) {
    return;
  }
  rate_ = rate;
  for (auto& participant : participants_) participant->SetConferenceRate(rate_);
  if (recorder_ != nullptr) AttachRecorder(recorder_);  // the upsampler follows the rate
  for (EncoderGroup& group : groups_) {
    group.downsampler = group.format.clock_rate == rate_
                            ? nullptr
                            : std::make_unique<media::Resampler>(rate_, group.format.clock_rate);
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
  group_loss_.resize(groups_.size());
  if (format.clock_rate != rate_) {
    group.downsampler = std::make_unique<media::Resampler>(rate_, format.clock_rate);
  }
  return static_cast<int>(groups_.size() - 1);
}

void Conference::Add(std::unique_ptr<Participant> participant) {
  owner_.Check();
  Participant& added = *participant;
  participants_.push_back(std::move(participant));
  candidates_.resize(participants_.size());
  const int previous_rate = rate_;
  ChooseRate();
  if (rate_ == previous_rate) added.SetConferenceRate(rate_);
  added.group = GroupFor(added.spec().codec, added.listen_factor());
}

void Conference::Configure(const ConferenceSettings& settings) {
  owner_.Check();
  options_.max_talkers = settings.max_talkers > 0 ? settings.max_talkers : worker_max_talkers_;
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
    candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(i));
    const auto [lost, late] = removed->TakeJitterDeltas();
    sink.JitterReported(lost, late);
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

std::span<const uint8_t> Conference::EncodeForGroup(EncoderGroup& group) {
  if (!group.encoded) {
    const auto frame = static_cast<size_t>(rate_ / 50);
    std::span<const int16_t> input(limited_.data(), frame);
    if (group.listen_factor != 4096) {
      std::copy(limited_.begin(), limited_.begin() + static_cast<std::ptrdiff_t>(frame),
                group.gained.begin());
      ApplyGain(std::span<int16_t>(group.gained.data(), frame), group.listen_factor);
      input = std::span<const int16_t>(group.gained.data(), frame);
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
  }
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

void Conference::Tick(int64_t now_us, TickSink& sink) {
  const auto frame = static_cast<size_t>(rate_ / 50);
  encodes_last_tick_ = 0;
  forwards_last_tick_ = 0;
  withheld_last_tick_ = 0;
  for (EncoderGroup& group : groups_) group.encoded = false;

  // 1. A frame from everyone; talker state machines advance.
  for (size_t i = 0; i < participants_.size(); ++i) {
    Participant& participant = *participants_[i];
    const TalkerDetector::Transition transition = participant.PullFrame();
    if (transition != TalkerDetector::Transition::kNone) {
      sink.TalkingChanged(participant.id(), transition == TalkerDetector::Transition::kStarted);
    }
    if (std::optional<char> digit = participant.TakeInbandDigit()) {
      sink.InbandDigit(participant.id(), *digit);
    }
    TalkerCandidate& candidate = candidates_[i];
    candidate.level_db = participant.talker().smoothed_db();
    candidate.eligible = participant.talker().talking() && !participant.spec().muted;
  }

  // 2. Who is mixed: top N with hysteresis (or everyone when sharing is off,
  // the baseline that bench/ compares against).
  if (options_.share_encoders) {
    SelectTalkers(candidates_, options_.max_talkers, options_.switch_margin_db);
  } else {
    for (TalkerCandidate& candidate : candidates_) candidate.selected = candidate.eligible;
  }

  // 3. The mix, and the one every non-talker hears.
  std::fill(mix_.begin(), mix_.begin() + static_cast<std::ptrdiff_t>(frame), 0);
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (candidates_[i].selected) {
      Accumulate(std::span<int32_t>(mix_.data(), frame), participants_[i]->frame());
    }
  }
  Limit(std::span<const int32_t>(mix_.data(), frame), std::span<int16_t>(limited_.data(), frame));
  if (recorder_ != nullptr) {
    std::span<const int16_t> mixed(limited_.data(), frame);
    if (recorder_upsampler_) {
      recorder_upsampler_->Process(mixed, recorded_);
      mixed = std::span<const int16_t>(recorded_.data(), RoomRecorder::kFrame);
    }
    recorder_->Append(mixed);
  }

  // 4. Out to everyone who receives.
  UpdateGroupLoss();
  int talkers = 0;
  std::array<const Participant*, 2> voices{};  // the first two talkers mixed
  for (size_t i = 0; i < participants_.size(); ++i) {
    if (!candidates_[i].selected) continue;
    if (talkers < 2) voices[static_cast<size_t>(talkers)] = participants_[i].get();
    ++talkers;
  }
  for (size_t i = 0; i < participants_.size(); ++i) {
    Participant& participant = *participants_[i];
    const bool hears_silence =
        !participant.playing() && (talkers == 0 || (talkers == 1 && candidates_[i].selected));
    if (!participant.sending() || (hears_silence && SkipsSilence(participant.spec().codec))) {
      participant.SkipFrame();
      continue;
    }
    if (!participant.MaySend(now_us)) {
      // Nobody there asked for it (never heard from, or silent too long):
      // nothing goes out, not even an encode.
      participant.SkipFrame();
      participant.CountWithheld();
      ++withheld_last_tick_;
      continue;
    }
    const bool talker = candidates_[i].selected;
    // Whoever hears exactly one voice, untouched (no gain, no prompt, same
    // format), gets that voice's own packet: re-encoding it would cost the
    // most expensive step of the tick and only add a generation of coding
    // loss. With one talker that is every listener, with two it is each
    // talker hearing the other.
    if (options_.share_encoders && !participant.playing() && participant.listen_factor() == 4096) {
      const Participant* voice = nullptr;
      if (talkers == 1 && !talker) voice = voices[0];
      if (talkers == 2 && talker) voice = voices[0] == &participant ? voices[1] : voices[0];
      if (voice != nullptr && voice->spec().codec == participant.spec().codec &&
          !voice->forwardable_payload().empty()) {
        participant.MarkForwarded();
        if (!talker) groups_[static_cast<size_t>(participant.group)].spliced = true;
        ++forwards_last_tick_;
        Send(participant, voice->forwardable_payload(), sink);
        continue;
      }
    }
    // A talker hears everyone but itself; anyone hearing a prompt gets the
    // prompt over the mix; both need an encode of their own. Everyone else
    // shares their group's.
    if (talker || participant.playing() || !options_.share_encoders) {
      std::span<int16_t> own(scratch_.data(), frame);
      if (talker) {
        MixMinus(std::span<const int32_t>(mix_.data(), frame), participant.frame(), own);
      } else {
        std::copy(limited_.begin(), limited_.begin() + static_cast<std::ptrdiff_t>(frame),
                  own.begin());
      }
      ApplyGain(own, participant.listen_factor());
      if (participant.MixPlayback(own, rate_)) sink.PlaybackDone(participant.id());
      ++encodes_last_tick_;
      Send(participant, participant.EncodeOwn(own), sink);
    } else {
      Send(participant, EncodeForGroup(groups_[static_cast<size_t>(participant.group)]), sink);
    }
  }

  // 5. RTCP on its own schedule.
  for (auto& participant : participants_) {
    uint8_t* buffer = sink.NextBuffer();
    if (const uint16_t size = participant->MaybeWriteRtcp(now_us, buffer); size > 0) {
      const uint16_t port =
          participant->spec().rtcp_mux ? participant->rtp_port() : participant->rtcp_port();
      if (participant->MaySend(now_us)) {
        sink.Commit(port, participant->rtcp_destination(), size);
      } else {
        participant->CountWithheld();
        ++withheld_last_tick_;
      }
      sink.StatsReported(participant->id(), participant->stats());
      const auto [lost, late] = participant->TakeJitterDeltas();
      sink.JitterReported(lost, late);
    }
  }
}

}  // namespace tutti::mixer
