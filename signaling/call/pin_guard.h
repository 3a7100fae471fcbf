// Rate limiting of wrong conference PINs, so a PIN cannot be guessed by brute
// force over the dial-in IVR, without ever refusing a caller who has the
// right PIN. Two counters:
//  - per caller source address (one guesser): past its limit the address is
//    refused for a while, whatever it types;
//  - per room (many addresses guessing the same room, which a per-source
//    limit alone would not stop): past its limit the room is never closed
//    (that would lock its owners out: issue 13), its PIN answers are held
//    instead, right and wrong alike, for a delay that grows with each further
//    failure, so guessing from many addresses slows down while an owner waits
//    at most `room_max_delay`.
// Pure logic over a caller-supplied clock; the IVR asks Check before it
// prompts for a PIN, RoomDelay before it answers one, and reports each
// outcome.
#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace tutti {

struct PinGuardOptions {
  // Wrong PINs from one address within `window` before it is locked out.
  int max_failures_per_source = 5;
  // Wrong PINs for one room (all sources together) within `window` before
  // the room's answers are held.
  int max_failures_per_room = 20;
  // Sliding: a failure counts for exactly `window` after it happened.
  absl::Duration window = absl::Minutes(5);
  // Of a source, from the failure that reached its limit.
  absl::Duration lockout = absl::Minutes(5);
  // A room at its limit holds each PIN answer for `room_delay_step` times
  // the failures past the limit (the one that reached it is the first), at
  // most `room_max_delay`.
  absl::Duration room_delay_step = absl::Seconds(1);
  absl::Duration room_max_delay = absl::Seconds(30);
  // Addresses and rooms remembered at most (least recently failed forgotten
  // first), so a spray of sources cannot grow memory without bound.
  size_t max_tracked = 65536;
};

class PinGuard {
 public:
  explicit PinGuard(PinGuardOptions options = {});

  struct Verdict {
    bool allowed = true;
    std::string why;  // "source locked out"
    absl::Time until = absl::InfinitePast();
  };
  // Whether `source` may try a PIN now. Rooms never refuse.
  Verdict Check(std::string_view source, absl::Time now) const;

  // How long an answer to a PIN typed for `room` now is held (zero below
  // the room's limit).
  absl::Duration RoomDelay(std::string_view room, absl::Time now) const;

  struct Failure {
    bool source_locked = false;  // this failure started the source's lockout
    bool room_slowed = false;    // ... brought the room to its limit
  };
  // Counts a wrong PIN, so the caller can log a lockout or a slowed room once.
  Failure RecordFailure(std::string_view source, std::string_view room, absl::Time now);

  // A right PIN clears the source's failures (not the room's: a caller who
  // knows one room's PIN must not reset the count of another room it guesses).
  // An active lockout stays.
  void RecordSuccess(std::string_view source, absl::Time now);

  // New limits from a reloaded configuration (issue 19). The failures
  // counted so far are kept and judged by the new limits from the next
  // one on (a room keeps its newest failures, as many as can still change
  // its delay); a lockout already started ends when it was due to. A lower
  // max_tracked forgets the least recently failed entries at once.
  void SetOptions(PinGuardOptions options);

  size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    // Sliding window: the times of the most recent failures, at most as many
    // as can still change a verdict, so an entry's size is bounded too.
    std::deque<absl::Time> failures;
    absl::Time locked_until = absl::InfinitePast();
    std::list<std::string>::iterator age;  // position in lru_
  };

  // Failures of `entry` still within the window at `now`.
  int Recent(const Entry& entry, absl::Time now) const;
  Entry& Touch(const std::string& key);
  void ForgetOldest();
  const Entry* Find(const std::string& key) const;

  PinGuardOptions options_;
  // Failures a room keeps: enough to reach the longest delay.
  size_t room_history_;
  // Sources and rooms share one table and one bound; keys carry a kind prefix.
  absl::flat_hash_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // keys, least recently failed first
};

}  // namespace tutti
