// Rate limiting of wrong conference PINs, so a PIN cannot be guessed by brute
// force over the dial-in IVR. Two counters: per caller source address (one
// guesser) and per room (many addresses guessing the same room, which a
// per-source limit alone would not stop). Pure logic over a caller-supplied
// clock; the IVR asks Check before it prompts for a PIN and reports each
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
  // Wrong PINs for one room (all sources together) within `window`.
  int max_failures_per_room = 20;
  // Sliding: a failure counts for exactly `window` after it happened.
  absl::Duration window = absl::Minutes(5);
  // From the failure that reached a limit.
  absl::Duration lockout = absl::Minutes(5);
  // Addresses and rooms remembered at most (least recently failed forgotten
  // first), so a spray of sources cannot grow memory without bound.
  size_t max_tracked = 65536;
};

class PinGuard {
 public:
  explicit PinGuard(PinGuardOptions options = {});

  struct Verdict {
    bool allowed = true;
    std::string why;  // "source locked out" or "room locked out"
    absl::Time until = absl::InfinitePast();
  };
  Verdict Check(std::string_view source, std::string_view room, absl::Time now) const;

  // Counts a wrong PIN; returns true when this failure starts a lockout (of
  // the source or of the room) so the caller can log it once.
  bool RecordFailure(std::string_view source, std::string_view room, absl::Time now);

  // A right PIN clears the source's failures (not the room's: a caller who
  // knows one room's PIN must not reset the count of another room it guesses).
  // An active lockout stays.
  void RecordSuccess(std::string_view source, absl::Time now);

  size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    // Sliding window: the times of the most recent failures, at most the
    // limit of them, so an entry's size is bounded too.
    std::deque<absl::Time> failures;
    absl::Time locked_until = absl::InfinitePast();
    std::list<std::string>::iterator age;  // position in lru_
  };

  // Counts one failure against `key`; true when it starts a lockout.
  bool Fail(const std::string& key, int limit, absl::Time now);
  Entry& Touch(const std::string& key);
  const Entry* Find(const std::string& key) const;

  PinGuardOptions options_;
  // Sources and rooms share one table and one bound; keys carry a kind prefix.
  absl::flat_hash_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // keys, least recently failed first
};

}  // namespace tutti
