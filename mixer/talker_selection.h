// Which participants are mixed: the N loudest talkers, with hysteresis so
// two voices of similar level do not swap places every tick (each swap is
// audible as a gap in one of them).
#pragma once

#include <span>

namespace tutti::mixer {

struct TalkerCandidate {
  float level_db = -100.0f;
  bool eligible = false;  // talking and not muted
  bool selected = false;  // in: last tick's choice; out: this tick's
};

// Keeps selected candidates that are still eligible (the quietest ones go
// when there are more than `max_talkers`), fills free places with the
// loudest others, then lets a newcomer replace the quietest selected talker
// only when louder by more than `margin_db`.
void SelectTalkers(std::span<TalkerCandidate> candidates, int max_talkers, float margin_db);

}  // namespace tutti::mixer
