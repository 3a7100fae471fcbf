#include "signaling/call/pin_guard.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/strings.h"

namespace tutti {
namespace {

// One table holds both kinds; the prefix keeps an address and a room with the
// same text apart.
std::string SourceKey(std::string_view source) { return StrCat("s", source); }
std::string RoomKey(std::string_view room) { return StrCat("r", room); }

}  // namespace

PinGuard::PinGuard(PinGuardOptions options) { SetOptions(std::move(options)); }

void PinGuard::SetOptions(PinGuardOptions options) {
  options_ = std::move(options);
  options_.max_failures_per_source = std::max(1, options_.max_failures_per_source);
  options_.max_failures_per_room = std::max(1, options_.max_failures_per_room);
  options_.room_delay_step = std::max(absl::Milliseconds(1), options_.room_delay_step);
  options_.room_max_delay = std::max(absl::ZeroDuration(), options_.room_max_delay);
  // One failure touches a source and a room: with room for fewer than two
  // entries the second would always evict the first.
  options_.max_tracked = std::max<size_t>(2, options_.max_tracked);
  // Failures past the limit grow the delay until it reaches its ceiling;
  // more need not be kept.
  room_history_ =
      static_cast<size_t>(options_.max_failures_per_room) +
      static_cast<size_t>(absl::Ceil(options_.room_max_delay, options_.room_delay_step) /
                          options_.room_delay_step);
  while (entries_.size() > options_.max_tracked) ForgetOldest();
  for (auto& [key, entry] : entries_) {
    // Only rooms keep failures past their limit (a source's are cleared
    // at its lockout, and a new limit counts from the next failure).
    while (entry.failures.size() > room_history_ && key.starts_with('r')) {
      entry.failures.pop_front();
    }
  }
}

PinGuard::Verdict PinGuard::Check(std::string_view source, absl::Time now) const {
  if (const Entry* entry = Find(SourceKey(source)); entry && entry->locked_until > now) {
    return {false, "source locked out", entry->locked_until};
  }
  return {};
}

absl::Duration PinGuard::RoomDelay(std::string_view room, absl::Time now) const {
  const Entry* entry = Find(RoomKey(room));
  if (entry == nullptr) return absl::ZeroDuration();
  const int past_limit = Recent(*entry, now) - options_.max_failures_per_room + 1;
  if (past_limit <= 0) return absl::ZeroDuration();
  return std::min(options_.room_max_delay, past_limit * options_.room_delay_step);
}

PinGuard::Failure PinGuard::RecordFailure(std::string_view source, std::string_view room,
                                          absl::Time now) {
  Failure result;
  auto prune = [&](Entry& entry) {
    while (!entry.failures.empty() && entry.failures.front() <= now - options_.window) {
      entry.failures.pop_front();
    }
  };
  {
    Entry& entry = Touch(SourceKey(source));
    // Failures during a lockout neither extend it nor count toward the next
    // one: the lockout lasts `lockout` from the failure that started it.
    if (entry.locked_until <= now) {
      prune(entry);
      entry.failures.push_back(now);
      if (static_cast<int>(entry.failures.size()) >= options_.max_failures_per_source) {
        entry.locked_until = now + options_.lockout;
        // After the lockout the source starts over with a full allowance.
        entry.failures.clear();
        result.source_locked = true;
      }
    }
  }
  {
    // The room is never locked: every failure counts and grows the delay.
    Entry& entry = Touch(RoomKey(room));
    prune(entry);
    entry.failures.push_back(now);
    if (entry.failures.size() > room_history_) entry.failures.pop_front();
    result.room_slowed = static_cast<int>(entry.failures.size()) == options_.max_failures_per_room;
  }
  return result;
}

void PinGuard::RecordSuccess(std::string_view source, absl::Time now) {
  auto it = entries_.find(SourceKey(source));
  if (it == entries_.end()) return;
  if (it->second.locked_until > now) return;  // a right PIN does not lift a lockout
  lru_.erase(it->second.age);
  entries_.erase(it);
}

int PinGuard::Recent(const Entry& entry, absl::Time now) const {
  // Times are in order: count from the newest back to the window's edge.
  const absl::Time edge = now - options_.window;
  int count = 0;
  for (auto it = entry.failures.rbegin(); it != entry.failures.rend() && *it > edge; ++it) ++count;
  return count;
}

PinGuard::Entry& PinGuard::Touch(const std::string& key) {
  if (auto it = entries_.find(key); it != entries_.end()) {
    lru_.splice(lru_.end(), lru_, it->second.age);  // now the most recent
    return it->second;
  }
  // Forget the entry that failed least recently. A spray of fresh addresses
  // can push out an old source lockout this way; the room counter, touched
  // by every failure against the room, still slows the guessing.
  if (entries_.size() >= options_.max_tracked) ForgetOldest();
  lru_.push_back(key);
  Entry& entry = entries_[key];
  entry.age = std::prev(lru_.end());
  return entry;
}

void PinGuard::ForgetOldest() {
  entries_.erase(lru_.front());
  lru_.pop_front();
}

const PinGuard::Entry* PinGuard::Find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace tutti
