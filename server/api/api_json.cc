#include "server/api/api_json.h"

#include "server/api/room_fields.h"

namespace tutti::api {

using nlohmann::json;

json RoomJson(const RoomConfig& room, int participants) {
  json body = RoomFieldsJson(room);
  // PINs are set, never shown: the API's readers need not know them.
  body.erase("pin");
  body.erase("moderator_pin");
  body["has_pin"] = !room.pin.empty();
  body["has_moderator_pin"] = !room.moderator_pin.empty();
  body["name"] = room.name;
  body["participants"] = participants;
  return body;
}

json ParticipantJson(const ParticipantInfo& p) {
  return {{"id", p.id},
          {"call_id", p.call_id},
          {"room", p.room},
          {"from", p.from},
          {"codec", p.codec},
          {"talking", p.talking},
          {"muted", p.muted},
          {"moderator", p.moderator},
          {"waiting", p.waiting},
          {"held", p.held},
          {"seconds", p.seconds},
          {"listen_db", p.listen_db},
          {"talk_db", p.talk_db},
          {"packets_in", p.packets_in},
          {"packets_out", p.packets_out},
          {"lost", p.lost},
          {"jitter_ms", p.jitter_ms},
          {"rtt_ms", p.rtt_ms},
          {"media_encryption", p.media_encryption},
          {"srtp_auth_failed", p.srtp_auth_failed},
          {"srtp_replayed", p.srtp_replayed},
          {"max_gap_ms", p.max_gap_ms}};
}

}  // namespace tutti::api
