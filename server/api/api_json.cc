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
  // Per meeting (never stored): the participants presenting, or null.
  auto id_or_null = [](uint64_t id) { return id == 0 ? json(nullptr) : json(id); };
  body["presenter"] = id_or_null(room.presenter_id);
  body["slides_presenter"] = id_or_null(room.slides_presenter_id);
  return body;
}

json ParticipantJson(const ParticipantInfo& p) {
  json body = {{"id", p.id},
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
  // Only a trunk's call has a caller's number ("anonymous" when withheld).
  if (!p.caller_number.empty()) body["caller_number"] = p.caller_number;
  if (p.video) {
    const VideoInfo& v = *p.video;
    body["video"] = {
        {"codec", v.codec},           {"width", v.width},
        {"height", v.height},         {"kbps_in", v.kbps_in},
        {"kbps_out", v.kbps_out},     {"sees", v.sees == 0 ? json(nullptr) : json(v.sees)},
        {"packets_in", v.packets_in}, {"packets_out", v.packets_out}};
  }
  return body;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

json MessageJson(const msrp::ChatMessage& message) {
  return {{"room", message.room},
          {"id", message.id},
          {"from", message.sender_uri},
          {"name", message.sender_name},
          {"content_type", message.content_type},
          {"body", message.body},
          {"size", message.body.size()},
          {"via", msrp::ChatViaName(message.via)},
          {"time", Rfc3339(message.time)}};
}

json FileJson(const msrp::StoredFile& file) {
  return {{"id", file.id},
          {"room", file.room},
          {"name", file.name},
          {"type", file.type},
          {"size", file.size},
          {"sha1", file.sha1},
          {"sender", file.sender},
          {"stored", Rfc3339(file.stored)},
          {"url", "/v1/rooms/" + file.room + "/files/" + file.id}};
}

}  // namespace tutti::api
