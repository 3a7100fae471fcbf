// The JSON shapes of a room, a participant, a chat message and a stored
// file in the control API's answers (ops/openapi.yaml "Room",
// "Participant", "Message", "File").
#pragma once

#include <string>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_config.h"
#include "signaling/msrp/chat_message.h"
#include "signaling/msrp/file_store.h"

namespace tutti::api {

nlohmann::json RoomJson(const RoomConfig& room, int participants);
nlohmann::json ParticipantJson(const ParticipantInfo& p);
// A room's chat message: the fields of the event stream's `message` event,
// `size` its bytes, and `body` with bytes that are not UTF-8 replaced.
nlohmann::json MessageJson(const msrp::ChatMessage& message);
// A file stored in a room, with the path that downloads it.
nlohmann::json FileJson(const msrp::StoredFile& file);
// A time as the API writes it: "2026-12-05T17:00:00.000Z".
std::string Rfc3339(absl::Time time);

}  // namespace tutti::api
