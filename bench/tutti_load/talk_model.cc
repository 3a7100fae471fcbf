#include "bench/tutti_load/talk_model.h"

namespace tutti::load {

bool TalkModel::Talks(int member, int room_size, int64_t t_ms) const {
  if (t_ms < 0 || room_size <= 0) return false;
  if (t_ms % period_ms() >= turn_ms) return false;
  const int64_t first = (2 * Turn(t_ms)) % room_size;
  const int64_t second = (first + 1) % room_size;
  return member == first || member == second;
}

TalkModel::Expect TalkModel::ExpectedBy(int member, int room_size, int64_t t_ms) const {
  if (t_ms < 0) return Expect::kNone;
  const int64_t within = t_ms % period_ms();
  if (within < turn_ms) {
    if (within < settle_ms) return Expect::kNone;
    // Alone in a room of one, a talker hears nobody.
    const int64_t first = (2 * Turn(t_ms)) % room_size;
    const int64_t second = (first + 1) % room_size;
    return first != member || second != member ? Expect::kAudible : Expect::kNone;
  }
  return within - turn_ms < settle_ms ? Expect::kNone : Expect::kSilent;
}

TalkModel::Judged TalkModel::JudgedBetween(int member, int room_size, int64_t start_ms,
                                           int64_t end_ms) const {
  Judged judged;
  for (int64_t turn = start_ms < 0 ? 0 : start_ms / period_ms(); turn * period_ms() < end_ms;
       ++turn) {
    if (!PeriodInside(turn, start_ms, end_ms)) continue;
    ++judged.pauses;
    if (ExpectedBy(member, room_size, turn * period_ms() + settle_ms) == Expect::kAudible) {
      ++judged.audible_turns;
    }
  }
  return judged;
}

}  // namespace tutti::load
