// Limits on trunk calls and the toll-fraud guard for dial-outs: a dial-out
// reaches only numbers its trunk allows, and rooms and trunks are held to
// counts at once and per hour, so a stolen moderator PIN or API token cannot
// run up a carrier bill. Control thread only; bounded (one entry per trunk
// and per room with calls; the hour's starts kept as timestamps, at most the
// hourly limit of them).
#pragma once

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti::trunk {

class TrunkGuard {
 public:
  explicit TrunkGuard(DialOutConfig rooms = {}) : rooms_(rooms) {}

  // An inbound call from `trunk`: false when it is at max_calls or
  // max_calls_per_second (the call gets 503 with Retry-After). True counts it
  // until CallEnded.
  bool AdmitInbound(const TrunkConfig& trunk, absl::Time now);
  // A dial-out from `room` to `number` (canonical) through `trunk`: OK and
  // counted until CallEnded (and DialOutEnded), or why not:
  // PermissionDenied when the number matches none of the trunk's
  // dial_out_patterns, ResourceExhausted naming the limit reached (trunk
  // calls, calls per second, trunk dial-outs at once or per hour, room
  // dial-outs at once or per hour).
  absl::Status AdmitDialOut(const TrunkConfig& trunk, std::string_view room,
                            std::string_view number, absl::Time now);
  void CallEnded(const TrunkConfig& trunk);
  void DialOutEnded(const TrunkConfig& trunk, std::string_view room);

  int calls(std::string_view trunk) const;
  int dial_outs_in_room(std::string_view room) const;

 private:
  DialOutConfig rooms_;
  struct Counts;  // defined in the .cc
  absl::flat_hash_map<std::string, int> placeholder_;
};

}  // namespace tutti::trunk
