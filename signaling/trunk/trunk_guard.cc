#include "signaling/trunk/trunk_guard.h"

#include <algorithm>
#include <string>

#include "common/strings.h"
#include "signaling/trunk/dial_plan.h"

namespace tutti::trunk {
namespace {

void Expire(std::deque<absl::Time>& starts, absl::Time now) {
  while (!starts.empty() && starts.front() <= now - absl::Hours(1)) starts.pop_front();
}

absl::Status Exhausted(std::string_view whose, std::string_view limit, int value) {
  return absl::ResourceExhaustedError(StrCat(whose, ": ", limit, " (", value, ") reached"));
}

}  // namespace

bool TrunkGuard::TakeCallToken(const TrunkConfig& trunk, TrunkCounts& counts, absl::Time now,
                               bool consume) {
  const double rate = trunk.max_calls_per_second;
  if (rate <= 0) return true;
  // Bursts up to one second's worth (at least one call), refilled at the rate.
  const double capacity = std::max(1.0, rate);
  if (counts.refilled == absl::InfinitePast()) {
    counts.tokens = capacity;
  } else if (now > counts.refilled) {
    counts.tokens =
        std::min(capacity, counts.tokens + absl::ToDoubleSeconds(now - counts.refilled) * rate);
  }
  counts.refilled = std::max(counts.refilled, now);
  if (counts.tokens < 1) return false;
  if (consume) counts.tokens -= 1;
  return true;
}

bool TrunkGuard::AdmitInbound(const TrunkConfig& trunk, absl::Time now) {
  TrunkCounts& counts = trunks_[trunk.name];
  if (trunk.max_calls > 0 && counts.calls >= trunk.max_calls) return false;
  if (!TakeCallToken(trunk, counts, now, /*consume=*/true)) return false;
  ++counts.calls;
  return true;
}

void TrunkGuard::ForgetIdleRooms(absl::Time now) {
  for (auto it = room_counts_.begin(); it != room_counts_.end();) {
    Expire(it->second.starts, now);
    if (it->second.dial_outs == 0 && it->second.starts.empty()) {
      room_counts_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status TrunkGuard::RoomRefuses(std::string_view room) const {
  const auto it = room_counts_.find(std::string(room));
  const int active = it == room_counts_.end() ? 0 : it->second.dial_outs;
  const size_t this_hour = it == room_counts_.end() ? 0 : it->second.starts.size();
  const std::string whose = StrCat("room ", room);
  if (active >= rooms_.max_per_room) {
    return Exhausted(whose, "[dial_out] max_per_room", rooms_.max_per_room);
  }
  if (static_cast<int>(this_hour) >= rooms_.max_per_room_per_hour) {
    return Exhausted(whose, "[dial_out] max_per_room_per_hour", rooms_.max_per_room_per_hour);
  }
  return absl::OkStatus();
}

absl::Status TrunkGuard::TrunkRefusesDialOut(const TrunkConfig& trunk, TrunkCounts& counts,
                                             absl::Time now) {
  const std::string whose = StrCat("trunk ", trunk.name);
  Expire(counts.dial_out_starts, now);
  if (trunk.max_calls > 0 && counts.calls >= trunk.max_calls) {
    return Exhausted(whose, "max_calls", trunk.max_calls);
  }
  if (counts.dial_outs >= trunk.max_dial_outs) {
    return Exhausted(whose, "max_dial_outs", trunk.max_dial_outs);
  }
  if (static_cast<int>(counts.dial_out_starts.size()) >= trunk.max_dial_outs_per_hour) {
    return Exhausted(whose, "max_dial_outs_per_hour", trunk.max_dial_outs_per_hour);
  }
  if (!TakeCallToken(trunk, counts, now, /*consume=*/false)) {
    return absl::ResourceExhaustedError(StrCat(whose, ": max_calls_per_second reached"));
  }
  return absl::OkStatus();
}

absl::Status TrunkGuard::AdmitDialOut(const TrunkConfig& trunk, std::string_view room,
                                      std::string_view number, absl::Time now) {
  const bool allowed =
      std::any_of(trunk.dial_out_patterns.begin(), trunk.dial_out_patterns.end(),
                  [&](const std::string& pattern) { return MatchesPattern(pattern, number); });
  if (!allowed) {
    return absl::PermissionDeniedError(
        StrCat("trunk ", trunk.name, " may not reach ", number, " (dial_out_patterns)"));
  }
  ForgetIdleRooms(now);
  if (absl::Status room_limit = RoomRefuses(room); !room_limit.ok()) return room_limit;
  TrunkCounts& counts = trunks_[trunk.name];
  if (absl::Status trunk_limit = TrunkRefusesDialOut(trunk, counts, now); !trunk_limit.ok()) {
    return trunk_limit;
  }
  TakeCallToken(trunk, counts, now, /*consume=*/true);
  ++counts.calls;
  ++counts.dial_outs;
  counts.dial_out_starts.push_back(now);
  RoomCounts& room_counts = room_counts_[std::string(room)];
  ++room_counts.dial_outs;
  room_counts.starts.push_back(now);
  return absl::OkStatus();
}

void TrunkGuard::CallEnded(const TrunkConfig& trunk) {
  auto it = trunks_.find(trunk.name);
  if (it != trunks_.end() && it->second.calls > 0) --it->second.calls;
}

void TrunkGuard::DialOutEnded(const TrunkConfig& trunk, std::string_view room) {
  if (auto it = trunks_.find(trunk.name); it != trunks_.end() && it->second.dial_outs > 0) {
    --it->second.dial_outs;
  }
  auto it = room_counts_.find(std::string(room));
  if (it == room_counts_.end()) return;
  // The entry stays while its hour's starts count (ForgetIdleRooms).
  if (it->second.dial_outs > 0) --it->second.dial_outs;
}

void TrunkGuard::Reconfigure(DialOutConfig rooms, const TrunkTable& trunks, absl::Time now) {
  rooms_ = rooms;
  for (auto it = trunks_.begin(); it != trunks_.end();) {
    Expire(it->second.dial_out_starts, now);
    const TrunkCounts& counts = it->second;
    if (trunks.Named(it->first) == nullptr && counts.calls == 0 && counts.dial_outs == 0 &&
        counts.dial_out_starts.empty()) {
      trunks_.erase(it++);
    } else {
      ++it;
    }
  }
}

int TrunkGuard::calls(std::string_view trunk) const {
  auto it = trunks_.find(std::string(trunk));
  return it == trunks_.end() ? 0 : it->second.calls;
}

int TrunkGuard::dial_outs(std::string_view trunk) const {
  auto it = trunks_.find(std::string(trunk));
  return it == trunks_.end() ? 0 : it->second.dial_outs;
}

int TrunkGuard::dial_outs_in_room(std::string_view room) const {
  auto it = room_counts_.find(std::string(room));
  return it == room_counts_.end() ? 0 : it->second.dial_outs;
}

}  // namespace tutti::trunk
