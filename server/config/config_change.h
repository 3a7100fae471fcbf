// What a reload would change (issue 19): which keys differ between the
// running configuration and the file read again, and which of them the
// running daemon cannot take without a restart. Keys are named as
// ops/tutti.toml writes them ("[media] workers", "[[room]] 4000 pin"), never
// with their values (PINs, passwords).
#pragma once

#include <string>
#include <vector>

#include "server/config/config.h"
#include "signaling/call/room_config.h"

namespace tutti {

struct ConfigChange {
  std::vector<std::string> live;           // the running daemon takes these
  std::vector<std::string> needs_restart;  // any of these refuses the reload whole

  bool empty() const { return live.empty() && needs_restart.empty(); }
};

// Live: [limits], [ivr], [controls], [conference_events], [messaging] but
// its `enabled`, [records] path, [log] level, [[room]], [[user]], [sip]
// allow/deny/auth/realm/auth_algorithms/nonce_lifetime_s/answer_delay_ms,
// the session timers and the TCP/TLS connection limits (not
// max_message_bytes, which sizes the UDP buffer), [[trunk]], [[dial_plan]],
// [dial_out], [trunks].
// Everything else needs a restart; a key this table does not know (a field
// added later) is named "[section] (a key)" and needs one too.
ConfigChange CompareConfigs(const Config& running, const Config& next);

// A room's settings that differ between two versions of it ("pin",
// "codecs", ...); the per-meeting presenters are no setting.
std::vector<std::string> ChangedRoomFields(const RoomConfig& before, const RoomConfig& after);

// Applies to `live` (a room as it runs: the API's and the moderators'
// changes in it) only the settings that differ between `before` and
// `after`, so that a reload changes what the file changed and nothing a
// moderator did in the meeting (a lock by key, a presenter).
void ApplyRoomChanges(const RoomConfig& before, const RoomConfig& after, RoomConfig* live);

}  // namespace tutti
