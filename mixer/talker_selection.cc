#include "mixer/talker_selection.h"

namespace tutti::mixer {
namespace {

// Index of the quietest selected (or loudest unselected eligible) candidate; -1 if none.
int Quietest(std::span<const TalkerCandidate> candidates) {
  int found = -1;
  for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
    const TalkerCandidate& c = candidates[static_cast<size_t>(i)];
    if (c.selected && (found < 0 || c.level_db < candidates[static_cast<size_t>(found)].level_db)) {
      found = i;
    }
  }
  return found;
}

int LoudestWaiting(std::span<const TalkerCandidate> candidates) {
  int found = -1;
  for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
    const TalkerCandidate& c = candidates[static_cast<size_t>(i)];
    if (c.eligible && !c.selected &&
        (found < 0 || c.level_db > candidates[static_cast<size_t>(found)].level_db)) {
      found = i;
    }
  }
  return found;
}

}  // namespace

void SelectTalkers(std::span<TalkerCandidate> candidates, int max_talkers, float margin_db) {
  int count = 0;
  for (TalkerCandidate& c : candidates) {
    c.selected = c.selected && c.eligible;
    count += c.selected ? 1 : 0;
  }
  while (count > max_talkers) {
    candidates[static_cast<size_t>(Quietest(candidates))].selected = false;
    --count;
  }
  while (count < max_talkers) {
    const int next = LoudestWaiting(candidates);
    if (next < 0) return;  // everyone eligible is in
    candidates[static_cast<size_t>(next)].selected = true;
    ++count;
  }
  // Full: a waiting talker takes a place only when clearly louder.
  for (;;) {
    const int challenger = LoudestWaiting(candidates);
    const int weakest = Quietest(candidates);
    if (challenger < 0 || weakest < 0) return;
    if (candidates[static_cast<size_t>(challenger)].level_db <=
        candidates[static_cast<size_t>(weakest)].level_db + margin_db) {
      return;
    }
    candidates[static_cast<size_t>(weakest)].selected = false;
    candidates[static_cast<size_t>(challenger)].selected = true;
  }
}

}  // namespace tutti::mixer
