#include "mixer/tick_schedule.h"

#include <algorithm>
#include <limits>

namespace tutti::mixer {
namespace {
// A conference's cost follows its mixes over about 16 ticks (a third of a
// second): one slow mix (a page fault, a DTLS handshake before it) does
// not move it, a room that grew does within the second.
constexpr double kCostSmoothing = 1.0 / 16;
constexpr double kPerParticipantSmoothing = 1.0 / 64;
// A move must take the pair of slots' larger cost down by a tenth at least:
// measured costs are noisy, and a conference moving to and fro would cost
// gaps in its cadence for nothing.
constexpr double kMoveGain = 0.9;
}  // namespace

TickSchedule::TickSchedule(int slots, int64_t start_us)
    : start_us_(start_us),
      slot_width_us_(kIntervalUs / std::clamp<int64_t>(slots, 1, kIntervalUs)),
      slots_(static_cast<size_t>(std::clamp<int64_t>(slots, 1, kIntervalUs))) {}

double TickSchedule::CostOf(const Entry& entry) const {
  if (entry.cost_ns >= 0) return entry.cost_ns;
  return static_cast<double>(std::max(entry.participants, 1)) * ns_per_participant_;
}

double TickSchedule::SlotCost(int slot) const {
  double total = 0;
  for (const Entry& entry : slots_[static_cast<size_t>(slot)].entries) total += CostOf(entry);
  return total;
}

int64_t TickSchedule::NextPhaseInstant(int slot, int64_t at_us) const {
  const int64_t phase = start_us_ + slot * slot_width_us_;
  if (at_us <= phase) return phase;
  const int64_t periods = (at_us - phase + kIntervalUs - 1) / kIntervalUs;
  return phase + periods * kIntervalUs;
}

int TickSchedule::LightestSlot() const {
  int best = 0;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int slot = 0; slot < slots(); ++slot) {
    const double cost = SlotCost(slot);
    if (cost < best_cost) {
      best = slot;
      best_cost = cost;
    }
  }
  return best;
}

int TickSchedule::HeaviestSlot() const {
  int best = 0;
  double best_cost = -1;
  for (int slot = 0; slot < slots(); ++slot) {
    const double cost = SlotCost(slot);
    if (cost > best_cost) {
      best = slot;
      best_cost = cost;
    }
  }
  return best;
}

void TickSchedule::Place(int slot, Entry entry, int64_t now_us) {
  Slot& target = slots_[static_cast<size_t>(slot)];
  if (target.entries.empty()) target.due_us = NextPhaseInstant(slot, now_us);
  where_[entry.id] = slot;
  target.entries.push_back(entry);
}

int TickSchedule::Add(uint32_t id, int participants, int64_t now_us) {
  if (const int existing = SlotOf(id); existing >= 0) return existing;
  const int slot = LightestSlot();
  Place(slot, Entry{.id = id, .participants = participants}, now_us);
  return slot;
}

void TickSchedule::Remove(uint32_t id) {
  auto it = where_.find(id);
  if (it == where_.end()) return;
  std::vector<Entry>& entries = slots_[static_cast<size_t>(it->second)].entries;
  std::erase_if(entries, [id](const Entry& entry) { return entry.id == id; });
  where_.erase(it);
}

int TickSchedule::SlotOf(uint32_t id) const {
  auto it = where_.find(id);
  return it == where_.end() ? -1 : it->second;
}

std::optional<int64_t> TickSchedule::next_due_us() const {
  std::optional<int64_t> next;
  for (const Slot& slot : slots_) {
    if (!slot.entries.empty() && (!next || slot.due_us < *next)) next = slot.due_us;
  }
  return next;
}

std::optional<TickSchedule::Run> TickSchedule::Take(int64_t now_us) {
  int chosen = -1;
  for (int slot = 0; slot < slots(); ++slot) {
    const Slot& candidate = slots_[static_cast<size_t>(slot)];
    if (candidate.entries.empty() || candidate.due_us > now_us) continue;
    if (chosen < 0 || candidate.due_us < slots_[static_cast<size_t>(chosen)].due_us) {
      chosen = slot;
    }
  }
  if (chosen < 0) return std::nullopt;
  Slot& slot = slots_[static_cast<size_t>(chosen)];
  Run run{.slot = chosen, .due_us = slot.due_us, .entries = slot.entries};
  run.late = now_us - slot.due_us >= kIntervalUs;
  // A whole interval behind: mix once now, and next at this phase half an
  // interval on at the earliest, rather than burst the missed mixes.
  slot.due_us =
      run.late ? NextPhaseInstant(chosen, now_us + kIntervalUs / 2) : slot.due_us + kIntervalUs;
  return run;
}

void TickSchedule::Measured(const Run& run, Entry& entry, int participants, double took_ns) {
  entry.last_due_us = run.due_us;
  entry.participants = participants;
  entry.cost_ns =
      entry.cost_ns < 0 ? took_ns : entry.cost_ns + (took_ns - entry.cost_ns) * kCostSmoothing;
  if (participants > 0) {
    ns_per_participant_ +=
        (took_ns / participants - ns_per_participant_) * kPerParticipantSmoothing;
  }
}

int TickSchedule::Rebalance(int slot, int64_t now_us) {
  if (slots() < 2) return -1;
  std::vector<Entry>& entries = slots_[static_cast<size_t>(slot)].entries;
  const double heavy = SlotCost(slot);
  const int lightest = LightestSlot();
  const double light = SlotCost(lightest);
  if (lightest == slot || entries.size() < 2) return -1;
  // The conference whose move leaves the pair's larger cost lowest (its
  // cost nearest half the difference), if that gains enough.
  size_t best = entries.size();
  double best_after = heavy * kMoveGain;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    if (entry.last_due_us == 0 || entry.not_before_us > entry.last_due_us) continue;  // moving
    const double cost = CostOf(entry);
    const double after = std::max(heavy - cost, light + cost);
    if (after < best_after) {
      best = i;
      best_after = after;
    }
  }
  if (best == entries.size()) return -1;
  Entry moved = entries[best];
  entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(best));
  // Its next mix at least half an interval after its last: no double tick;
  // at most one phase of the new slot skipped: a gap of 10..30 ms once.
  moved.not_before_us = moved.last_due_us + kIntervalUs / 2;
  Place(lightest, moved, now_us);
  return lightest;
}

}  // namespace tutti::mixer
