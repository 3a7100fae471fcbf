#include "server/api/api_json.h"

namespace tutti::api {

using nlohmann::json;

json RoomJson(const RoomConfig& room, int participants) {
  return {{"name", room.name},
          {"codecs", room.codecs},
          {"max_participants", room.max_participants},
          {"locked", room.locked},
          {"announce_joins", room.announce_joins},
          {"announce_count", room.announce_count},
          {"music_when_alone", room.music_when_alone},
          {"wait_for_moderator", room.wait_for_moderator},
          {"end_when_moderator_leaves", room.end_when_moderator_leaves},
          {"max_talkers", room.max_talkers},
          // PINs are set, never shown: the API's readers need not know them.
          {"has_pin", !room.pin.empty()},
          {"has_moderator_pin", !room.moderator_pin.empty()},
          {"record", room.record},
          {"participants", participants}};
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
