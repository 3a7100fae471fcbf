// When a media worker mixes each of its conferences (issue 20): not all at
// one instant every 20 ms, which makes the worker late at a fraction of its
// core (the whole mix must fit before the next packets wait too long), but
// each at its own phase of the 20 ms, so the work is spread evenly and the
// core can run close to full.
//
// The interval is cut into `slots` phases (20 of 1 ms; 1 slot is the old
// single instant). A conference joins the slot with the least cost (its
// measured mix time, or an estimate from its participants until measured)
// and keeps that slot's 20 ms cadence. Now and then one conference moves
// from the slot just mixed to the lightest one when that evens the load; a
// moved conference waits at least half an interval before its next mix, so
// it never ticks twice within 10 ms nor misses more than one phase (its
// cadence stays 20 ms, one gap of 10..30 ms at the move).
//
// Pure bookkeeping with no clock of its own: the worker passes the time, so
// tests drive it with any clock. Allocates at Add, Remove and a move only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tutti::mixer {

class TickSchedule {
 public:
  static constexpr int64_t kIntervalUs = 20'000;
  static constexpr int kSpreadSlots = 20;  // 1 ms apart
  // An estimate of a participant's share of a mix before anything was
  // measured (about a G.711 leg's): only the ratio between slots matters.
  static constexpr double kInitialNsPerParticipant = 2'000;

  struct Entry {
    uint32_t id = 0;
    int participants = 0;
    double cost_ns = -1;        // smoothed mix time; negative: not measured yet
    int64_t not_before_us = 0;  // after a move: no mix in a run due before this
    int64_t last_due_us = 0;    // the due instant of its last mix
  };

  // A slot's turn: the conferences to mix (those with Mixes(entry) true).
  struct Run {
    int slot = 0;
    int64_t due_us = 0;
    bool late = false;  // started a whole interval after its due instant
    std::span<Entry> entries;
    bool Mixes(const Entry& entry) const { return entry.not_before_us <= due_us; }
  };

  // `slots`: 1 (every conference at one instant) to kIntervalUs;
  // `start_us`: the phase origin (slot 0 is due at start_us + k * 20 ms).
  TickSchedule(int slots, int64_t start_us);

  int slots() const { return static_cast<int>(slots_.size()); }
  size_t size() const { return where_.size(); }

  // Places a new conference in the least-cost slot (ties: the lowest
  // index); its first mix is that slot's next instant at or after `now_us`.
  // Returns the slot.
  int Add(uint32_t id, int participants, int64_t now_us);
  void Remove(uint32_t id);
  // The slot `id` is in; -1 when not here.
  int SlotOf(uint32_t id) const;

  // The earliest due instant of a slot with conferences; nullopt: none.
  std::optional<int64_t> next_due_us() const;
  // The slot due at `now_us` (the earliest if several), advanced to its next
  // instant: 20 ms on, or, after a whole interval late, the first of its
  // phase at least half an interval on (skip ahead, never two mixes at
  // once). Nullopt when nothing is due. The span stays valid until the
  // next Add, Remove, Rebalance or Take.
  std::optional<Run> Take(int64_t now_us);

  // A conference of `run` was mixed in `took_ns` with `participants`:
  // its cost (smoothed) and the estimate for unmeasured ones follow.
  void Measured(const Run& run, Entry& entry, int participants, double took_ns);

  // Moves at most one conference of `slot` (call it right after that
  // slot's run) to the lightest slot when that lowers the pair's larger
  // cost by a tenth. Returns the slot it moved to, or -1.
  int Rebalance(int slot, int64_t now_us);

  // The summed cost of a slot's conferences (measured or estimated), and
  // the slot with the most (walks every conference: not per tick).
  double SlotCost(int slot) const;
  int HeaviestSlot() const;

 private:
  struct Slot {
    int64_t due_us = 0;  // next mix instant (kept current only while not empty)
    std::vector<Entry> entries;
  };

  double CostOf(const Entry& entry) const;
  // The first instant of `slot`'s phase at or after `at_us`.
  int64_t NextPhaseInstant(int slot, int64_t at_us) const;
  int LightestSlot() const;
  void Place(int slot, Entry entry, int64_t now_us);

  int64_t start_us_;
  int64_t slot_width_us_;
  std::vector<Slot> slots_;
  absl::flat_hash_map<uint32_t, int> where_;  // conference id -> slot
  double ns_per_participant_ = kInitialNsPerParticipant;
};

}  // namespace tutti::mixer
