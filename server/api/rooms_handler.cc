#include "server/api/rooms_handler.h"

#include <algorithm>

#include "common/log.h"
#include "common/strings.h"
#include "server/api/api_json.h"
#include "server/api/room_fields.h"

namespace tutti::api {
namespace {

using nlohmann::json;

}  // namespace

RoomsHandler::RoomsHandler(RoomDirectory* rooms, CallController* calls, std::string ivr_number)
    : rooms_(rooms), calls_(calls), ivr_number_(std::move(ivr_number)) {}

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
      !ValidRoomName((*body)["name"].get<std::string>())) {
    return Error(400, "name must be 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  RoomConfig room;
  room.name = (*body)["name"].get<std::string>();
  if (std::optional<std::string> fault = ApplyRoomFields(*body, &room)) return Error(400, *fault);
  if (room.name == ivr_number_) {
    return Error(409, StrCat("\"", room.name, "\" is the dial-in IVR's number"));
  }
  if (!rooms_->Add(room)) return Error(409, StrCat("room \"", room.name, "\" exists"));
  LogInfo("api", "room created").With("room", room.name);
  return Reply{201, RoomJson(room, CountIn(room.name))};
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
  rooms_->Update(room);
  LogInfo("api", "room updated").With("room", name).With("locked", room.locked);
  return Reply{200, RoomJson(room, CountIn(name))};
}

Reply RoomsHandler::Delete(const ApiRequest& request) {
  const std::string& name = request.params[0];
  if (rooms_->Find(name) == nullptr) return NoRoom(name);
  calls_->EndRoom(name);
  rooms_->Remove(name);
  LogInfo("api", "room deleted").With("room", name);
  return Reply{204, json()};
}

}  // namespace tutti::api
