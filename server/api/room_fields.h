// A room's settable fields as the control API reads and writes them (the
// JSON of ops/openapi.yaml "RoomChange"): checked and applied from a request
// body, and written whole for the room database (server/stored_rooms.h),
// which re-applies them at start with the same checks.
#pragma once

#include <optional>
#include <string>

#include "nlohmann/json.hpp"
#include "signaling/call/room_config.h"

namespace tutti::api {

// Applies the settable fields of a JSON object to `room` ("name" is skipped);
// names what is wrong (never a PIN's value) and then `room` may be half
// changed: apply to a copy.
std::optional<std::string> ApplyRoomFields(const nlohmann::json& body, RoomConfig* room);

// Every settable field of `room`, PINs included: ApplyRoomFields of it over
// a room of the same name makes `room`'s settable fields again. Not for
// answers (they show has_pin, api_json.h).
nlohmann::json RoomFieldsJson(const RoomConfig& room);

}  // namespace tutti::api
