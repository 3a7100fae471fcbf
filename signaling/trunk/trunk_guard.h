// Limits on trunk calls and the toll-fraud guard for dial-outs: a dial-out
// reaches only numbers its trunk allows, and rooms and trunks are held to
// counts at once and per hour, so a stolen moderator PIN or API token cannot
// run up a carrier bill. Control thread only; bounded (one entry per trunk
// and per room with calls; the hour's starts kept as timestamps, at most the
// hourly limit of them).
#pragma once

#include <deque>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "signaling/trunk/trunk_config.h"
#include "signaling/trunk/trunk_table.h"

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
  // A dial-out ends with both: CallEnded for the trunk's call count and
  // DialOutEnded for the dial-out counts (trunk and room).
  void CallEnded(const TrunkConfig& trunk);
  void DialOutEnded(const TrunkConfig& trunk, std::string_view room);

  // A reload: the rooms' limits from now on, each trunk's from the config
  // its next call is admitted with. Counts in progress stay, by trunk name
  // (a call of a trunk changed or removed is still released by CallEnded),
  // and so does the hour's window of a trunk kept; a trunk `trunks` no
  // longer has is forgotten once nothing of it is counted, so the table
  // holds only configured trunks and those with calls or starts this hour.
  void Reconfigure(DialOutConfig rooms, const TrunkTable& trunks, absl::Time now);

  int calls(std::string_view trunk) const;
  int dial_outs(std::string_view trunk) const;
  int dial_outs_in_room(std::string_view room) const;

 private:
  // Starts within the last hour, oldest first; never more than the hourly
  // limit (one past it is refused, not stored).
  using HourWindow = std::deque<absl::Time>;
  struct TrunkCounts {
    int calls = 0;
    int dial_outs = 0;
    HourWindow dial_out_starts;
    // Calls per second: a token bucket holding up to one second's calls.
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
  };
  struct RoomCounts {
    int dial_outs = 0;
    HourWindow starts;
  };

  static bool TakeCallToken(const TrunkConfig& trunk, TrunkCounts& counts, absl::Time now,
                            bool consume);
  // Drops rooms with no dial-out now nor in the last hour: the table holds
  // only rooms that dialled out within the hour.
  void ForgetIdleRooms(absl::Time now);
  absl::Status RoomRefuses(std::string_view room) const;
  static absl::Status TrunkRefusesDialOut(const TrunkConfig& trunk, TrunkCounts& counts,
                                          absl::Time now);

  DialOutConfig rooms_;
  absl::flat_hash_map<std::string, TrunkCounts> trunks_;      // one per trunk with calls
  absl::flat_hash_map<std::string, RoomCounts> room_counts_;  // rooms with dial-outs this hour
};

}  // namespace tutti::trunk
