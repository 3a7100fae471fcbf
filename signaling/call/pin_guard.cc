#include "signaling/call/pin_guard.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "signaling/common/strings.h"

namespace tutti {
namespace {

// One table holds both kinds; the prefix keeps an address and a room with the
// same text apart.
std::string SourceKey(std::string_view source) { return StrCat("s", source); }
std::string RoomKey(std::string_view room) { return StrCat("r", room); }

}  // namespace

PinGuard::PinGuard(PinGuardOptions options) : options_(std::move(options)) {
  options_.max_failures_per_source = std::max(1, options_.max_failures_per_source);
  options_.max_failures_per_room = std::max(1, options_.max_failures_per_room);
  // One failure touches a source and a room: with room for fewer than two
  // entries the second would always evict the first.
  options_.max_tracked = std::max<size_t>(2, options_.max_tracked);
}

PinGuard::Verdict PinGuard::Check(std::string_view source, std::string_view room,
                                  absl::Time now) const {
  if (const Entry* entry = Find(SourceKey(source)); entry && entry->locked_until > now) {
    return {false, "source locked out", entry->locked_until};
  }
  if (const Entry* entry = Find(RoomKey(room)); entry && entry->locked_until > now) {
    return {false, "room locked out", entry->locked_until};
  }
  return {};
}

bool PinGuard::RecordFailure(std::string_view source, std::string_view room, absl::Time now) {
  // Both counters see every failure, so neither short-circuits the other.
  const bool source_locked = Fail(SourceKey(source), options_.max_failures_per_source, now);
  const bool room_locked = Fail(RoomKey(room), options_.max_failures_per_room, now);
  return source_locked || room_locked;
}

void PinGuard::RecordSuccess(std::string_view source, absl::Time now) {
  auto it = entries_.find(SourceKey(source));
  if (it == entries_.end()) return;
  if (it->second.locked_until > now) return;  // a right PIN does not lift a lockout
  lru_.erase(it->second.age);
  entries_.erase(it);
}

bool PinGuard::Fail(const std::string& key, int limit, absl::Time now) {
  Entry& entry = Touch(key);
  // Failures during a lockout neither extend it nor count toward the next one:
  // the lockout lasts `lockout` from the failure that started it.
  if (entry.locked_until > now) return false;
  while (!entry.failures.empty() && entry.failures.front() <= now - options_.window) {
    entry.failures.pop_front();
  }
  entry.failures.push_back(now);
  if (static_cast<int>(entry.failures.size()) < limit) return false;
  entry.locked_until = now + options_.lockout;
  // After the lockout the source or room starts over with a full allowance.
  entry.failures.clear();
  return true;
}

PinGuard::Entry& PinGuard::Touch(const std::string& key) {
  if (auto it = entries_.find(key); it != entries_.end()) {
    lru_.splice(lru_.end(), lru_, it->second.age);  // now the most recent
    return it->second;
  }
  if (entries_.size() >= options_.max_tracked) {
    // Forget the entry that failed least recently. A spray of fresh addresses
    // can push out an old source lockout this way; the room counter, touched
    // by every failure against the room, still limits the guessing.
    entries_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(key);
  Entry& entry = entries_[key];
  entry.age = std::prev(lru_.end());
  return entry;
}

const PinGuard::Entry* PinGuard::Find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace tutti
