#include "server/api/rooms_handler.h"

#include <algorithm>

#include "common/log.h"
#include "common/strings.h"
#include "server/api/api_json.h"
#include "server/api/room_fields.h"

namespace tutti::api {
namespace {

using nlohmann::json;

// A change the room database could not keep: answered, logged, and not made.
Reply NotStored(std::string_view what, const std::string& room, const absl::Status& why) {
  LogError("api", StrCat("room ", what, " not stored: nothing changed"))
      .With("room", room)
      .With("error", std::string(why.message()));
  return Error(503, StrCat("room \"", room, "\" not ", what, ": the room database failed (",
                           why.message(), "); nothing changed"));
}

}  // namespace

RoomsHandler::RoomsHandler(RoomDirectory* rooms, CallController* calls, StoredRooms* stored,
                           std::string ivr_number)
    : rooms_(rooms), calls_(calls), stored_(stored), ivr_number_(std::move(ivr_number)) {}

Reply RoomsHandler::Answer(int status, const RoomConfig& room) const {
  json body = RoomJson(room, CountIn(room.name));
  body["stored"] = stored_->durable();
  if (!stored_->durable()) {
    body["warning"] =
        "not stored: [store] path is empty, so this room's settings are lost when tuttid stops";
  }
  return Reply{status, body};
}

int RoomsHandler::CountIn(const std::string& room) const {
  return static_cast<int>(calls_->Participants(room).size());
}

Reply RoomsHandler::List(const ApiRequest&) {
  json rooms = json::array();
  for (const RoomConfig* room : rooms_->All())
    rooms.push_back(RoomJson(*room, CountIn(room->name)));
  return Reply{200, json{{"rooms", rooms}}};
}

Reply RoomsHandler::Create(const ApiRequest& request) {
  const json* body = request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object");
  if (!body->contains("name") || !(*body)["name"].is_string() ||
      !IsValidRoomName((*body)["name"].get<std::string>())) {
    return Error(400, StrCat("name must be ", kRoomNameRule));
  }
  RoomConfig room;
  room.name = (*body)["name"].get<std::string>();
  if (std::optional<std::string> fault = ApplyRoomFields(*body, &room)) return Error(400, *fault);
  if (room.name == ivr_number_) {
    return Error(409, StrCat("\"", room.name, "\" is the dial-in IVR's number"));
  }
  if (rooms_->Find(room.name) != nullptr) {
    return Error(409, StrCat("room \"", room.name, "\" exists"));
  }
  if (absl::Status s = stored_->Created(room); !s.ok()) return NotStored("created", room.name, s);
  rooms_->Add(room);
  LogInfo("api", "room created").With("room", room.name).With("stored", stored_->durable());
  return Answer(201, room);
}

Reply RoomsHandler::Show(const ApiRequest& request) {
  const std::string& name = request.params[0];
  const RoomConfig* room = rooms_->Find(name);
  if (room == nullptr) return NoRoom(name);
  json body = RoomJson(*room, CountIn(name));
  const std::string recording = calls_->RecordingPath(name);
  body["recording"] = recording.empty() ? json(nullptr) : json(recording);
  body["participant_list"] = json::array();
  for (const ParticipantInfo& p : calls_->Participants(name)) {
    body["participant_list"].push_back(ParticipantJson(p));
  }
  return Reply{200, body};
}

Reply RoomsHandler::Change(const ApiRequest& request) {
  const std::string& name = request.params[0];
  const RoomConfig* existing = rooms_->Find(name);
  if (existing == nullptr) return NoRoom(name);
  const json* body = request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object");
  RoomConfig room = *existing;
  if (std::optional<std::string> fault = ApplyRoomFields(*body, &room)) return Error(400, *fault);
  if (absl::Status s = stored_->Changed(room, *body); !s.ok()) {
    return NotStored("changed", name, s);
  }
  rooms_->Update(room);
  LogInfo("api", "room updated")
      .With("room", name)
      .With("locked", room.locked)
      .With("stored", stored_->durable());
  return Answer(200, room);
}

Reply RoomsHandler::Delete(const ApiRequest& request) {
  const std::string& name = request.params[0];
  if (rooms_->Find(name) == nullptr) return NoRoom(name);
  if (absl::Status s = stored_->Deleted(name); !s.ok()) return NotStored("deleted", name, s);
  calls_->EndRoom(name);
  rooms_->Remove(name);
  LogInfo("api", "room deleted").With("room", name);
  return Reply{204, json()};
}

}  // namespace tutti::api
