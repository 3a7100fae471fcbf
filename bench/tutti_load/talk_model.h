// The conversation tutti-load plays in every room: two members talk at a
// time, in turns, then everyone is quiet for a pause; the next turn goes to
// the next two members. Each participant judges what it receives against
// this schedule, so the model is shared, pure and deterministic.
#pragma once

#include <cstdint>

namespace tutti::load {

struct TalkModel {
  int64_t turn_ms = 3000;   // two members talk this long
  int64_t pause_ms = 1000;  // then nobody does
  // What a listener receives lags the talkers by the server's jitter buffer,
  // talker detection and mixing; frames this close after a change of phase
  // are not judged.
  int64_t settle_ms = 400;

  int64_t period_ms() const { return turn_ms + pause_ms; }
  // Rooms start their schedules at different offsets so that not every
  // room changes talkers in the same tick.
  int64_t RoomOffsetMs(int room) const { return (int64_t{room} * 397) % period_ms(); }
  int64_t Turn(int64_t t_ms) const { return t_ms / period_ms(); }

  // Whether `member` of a room of `room_size` talks at `t_ms` (ms since the
  // room's schedule began, offset included).
  bool Talks(int member, int room_size, int64_t t_ms) const;

  enum class Expect { kNone, kAudible, kSilent };
  // What `member` should hear at t_ms: someone else's speech during a turn,
  // silence during a pause; kNone near a change and before the start.
  Expect ExpectedBy(int member, int room_size, int64_t t_ms) const;

  // Whole periods (turn and pause) within [start_ms, end_ms) of room time:
  // only these are judged, so a run's first and last partial turns are not.
  bool PeriodInside(int64_t turn, int64_t start_ms, int64_t end_ms) const {
    return turn * period_ms() >= start_ms && (turn + 1) * period_ms() <= end_ms;
  }
  struct Judged {
    int64_t audible_turns = 0;  // turns in which `member` should hear someone
    int64_t pauses = 0;
  };
  Judged JudgedBetween(int member, int room_size, int64_t start_ms, int64_t end_ms) const;
};

}  // namespace tutti::load
