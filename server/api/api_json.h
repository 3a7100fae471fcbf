// The JSON shapes of a room and a participant in the control API's answers
// (ops/openapi.yaml "Room", "Participant").
#pragma once

#include "nlohmann/json.hpp"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_config.h"

namespace tutti::api {

nlohmann::json RoomJson(const RoomConfig& room, int participants);
nlohmann::json ParticipantJson(const ParticipantInfo& p);

}  // namespace tutti::api
