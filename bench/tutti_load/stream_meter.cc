#include "bench/tutti_load/stream_meter.h"

#include <algorithm>
#include <cstdlib>

namespace tutti::load {

void StreamMeter::StartMeasuring() {
  measuring_ = true;
  have_sequence_ = false;
  have_transit_ = false;
  packets_ = 0;
  jitter_ = 0;
  max_jitter_ = 0;
  tally_kind_ = TalkModel::Expect::kNone;
  tally_turn_ = -1;
  hearing_ = {};
}

void StreamMeter::OnPacket(uint16_t sequence, uint32_t timestamp, int64_t arrival_us) {
  if (!measuring_) return;
  ++packets_;
  if (!have_sequence_) {
    have_sequence_ = true;
    base_sequence_ = highest_sequence_ = sequence;
  } else {
    // Extend to 64 bits around the highest seen (RFC 3550 A.1), so that
    // wrap-around and reordering are both read right.
    const auto delta = static_cast<int16_t>(sequence - static_cast<uint16_t>(highest_sequence_));
    if (delta > 0) highest_sequence_ += delta;
  }

  // RFC 3550 A.8: transit time differences in RTP clock units.
  const int64_t arrival = arrival_us * clock_rate_ / 1'000'000;
  const int64_t transit = arrival - static_cast<int64_t>(timestamp);
  if (have_transit_) {
    int64_t d = transit - previous_transit_;
    // Skipped silence (DTX) moves timestamp and arrival together, so it is
    // measured like any packet; a difference of 200 ms or more is a new
    // timeline (a stream restarted), not jitter.
    if (std::llabs(d) < clock_rate_ / 5) {
      jitter_ += (static_cast<double>(std::llabs(d)) - jitter_) / 16.0;
      max_jitter_ = std::max(max_jitter_, jitter_);
    }
  }
  previous_transit_ = transit;
  have_transit_ = true;
}

int64_t StreamMeter::missing() const {
  if (!have_sequence_) return 0;
  const int64_t expected = highest_sequence_ - base_sequence_ + 1;
  return std::max<int64_t>(0, expected - packets_);
}

void StreamMeter::OnFrame(TalkModel::Expect expect, int64_t turn, bool loud) {
  if (!measuring_ || expect == TalkModel::Expect::kNone) return;
  if (expect != tally_kind_ || turn != tally_turn_) {
    CloseTally();
    tally_kind_ = expect;
    tally_turn_ = turn;
  }
  ++tally_frames_;
  tally_loud_ += loud ? 1 : 0;
}

void StreamMeter::Finish() { CloseTally(); }

void StreamMeter::CloseTally() {
  if (tally_kind_ == TalkModel::Expect::kAudible && tally_frames_ > 0 &&
      static_cast<double>(tally_loud_) >= kHeardShare * static_cast<double>(tally_frames_)) {
    ++hearing_.turns_heard;
  }
  if (tally_kind_ == TalkModel::Expect::kSilent && tally_loud_ > kNoisyPauseFrames) {
    ++hearing_.noisy_pauses;
  }
  tally_kind_ = TalkModel::Expect::kNone;
  tally_turn_ = -1;
  tally_frames_ = 0;
  tally_loud_ = 0;
}

}  // namespace tutti::load
