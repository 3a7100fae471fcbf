// What one tutti-load participant measures of the stream the server sends
// it: packets, missing frames (sequence gaps), RFC 3550 interarrival
// jitter, and whether it heard the room's talkers in each turn and silence
// in each pause (TalkModel). Counting starts at StartMeasuring(), so the
// ramp-up of a run is left out.
#pragma once

#include <cstdint>

#include "bench/tutti_load/talk_model.h"

namespace tutti::load {

struct HearingTally {
  int64_t turns_heard = 0;   // turns with speech in enough of the frames
  int64_t noisy_pauses = 0;  // pauses with speech-level frames in them
};

class StreamMeter {
 public:
  // clock_rate: the RTP clock of the stream (8000 for G.711, 48000 for Opus).
  explicit StreamMeter(int clock_rate = 8000) : clock_rate_(clock_rate) {}

  void StartMeasuring();
  void OnPacket(uint16_t sequence, uint32_t timestamp, int64_t arrival_us);
  // One received 20 ms frame, judged against the schedule: `turn` is the
  // TalkModel turn it fell in, `loud` whether its level was speech.
  void OnFrame(TalkModel::Expect expect, int64_t turn, bool loud);
  // Closes the turn being tallied (at the end of the run).
  void Finish();

  bool measuring() const { return measuring_; }
  int64_t packets() const { return packets_; }
  // Frames the sequence numbers say were sent but never arrived.
  int64_t missing() const;
  double jitter_ms() const { return jitter_ / clock_rate_ * 1000.0; }
  double max_jitter_ms() const { return max_jitter_ / clock_rate_ * 1000.0; }
  const HearingTally& hearing() const { return hearing_; }

  // A turn counts as heard when at least this share of its judged frames
  // carried speech (speech has gaps between words); a pause is noisy with
  // more than kNoisyPauseFrames loud frames.
  static constexpr double kHeardShare = 0.2;
  static constexpr int kNoisyPauseFrames = 2;

 private:
  void CloseTally();

  int clock_rate_;
  bool measuring_ = false;
  bool have_sequence_ = false;
  int64_t packets_ = 0;
  int64_t base_sequence_ = 0;     // extended, of the first packet measured
  int64_t highest_sequence_ = 0;  // extended
  int64_t previous_transit_ = 0;  // RFC 3550 A.8, in RTP clock units
  bool have_transit_ = false;
  double jitter_ = 0;
  double max_jitter_ = 0;

  // The turn or pause being tallied.
  TalkModel::Expect tally_kind_ = TalkModel::Expect::kNone;
  int64_t tally_turn_ = -1;
  int64_t tally_frames_ = 0;
  int64_t tally_loud_ = 0;
  HearingTally hearing_;
};

}  // namespace tutti::load
