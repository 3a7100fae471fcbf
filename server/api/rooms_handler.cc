#include "server/api/rooms_handler.h"

#include <algorithm>

#include "common/log.h"
#include "common/strings.h"
#include "server/api/api_json.h"
#include "server/config/config.h"

namespace tutti::api {
namespace {

using nlohmann::json;

const std::vector<std::string> kKnownCodecs = {"opus", "PCMU", "PCMA"};

// Applies the settable fields of a JSON object to a room; names what is wrong.
std::optional<std::string> ApplyRoomFields(const json& body, RoomConfig* room) {
  for (const auto& [key, value] : body.items()) {
    if (key == "name") continue;
    if (key == "codecs") {
      if (!value.is_array() || value.empty()) return "codecs must be a non-empty array";
      std::vector<std::string> codecs;
      for (const json& codec : value) {
        if (!codec.is_string() || std::find(kKnownCodecs.begin(), kKnownCodecs.end(),
                                            codec.get<std::string>()) == kKnownCodecs.end()) {
          return "codecs may hold \"opus\", \"PCMU\" and \"PCMA\"";
        }
        codecs.push_back(codec.get<std::string>());
      }
      room->codecs = std::move(codecs);
    } else if (key == "max_participants") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 1000000) {
        return "max_participants must be an integer from 0 to 1000000";
      }
      room->max_participants = value.get<int>();
    } else if (key == "locked") {
      if (!value.is_boolean()) return "locked must be true or false";
      room->locked = value.get<bool>();
    } else if (key == "record") {
      if (!value.is_boolean()) return "record must be true or false";
      room->record = value.get<bool>();
    } else if (key == "announce_joins" || key == "announce_count" || key == "music_when_alone" ||
               key == "wait_for_moderator" || key == "end_when_moderator_leaves") {
      if (!value.is_boolean()) return StrCat(key, " must be true or false");
      bool& flag = key == "announce_joins"       ? room->announce_joins
                   : key == "announce_count"     ? room->announce_count
                   : key == "music_when_alone"   ? room->music_when_alone
                   : key == "wait_for_moderator" ? room->wait_for_moderator
                                                 : room->end_when_moderator_leaves;
      flag = value.get<bool>();
    } else if (key == "max_talkers") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 16) {
        return "max_talkers must be an integer from 0 (the server's default) to 16";
      }
      room->max_talkers = value.get<int>();
    } else if (key == "pin" || key == "moderator_pin") {
      if (!value.is_string() || !ValidPin(value.get<std::string>())) {
        return StrCat(key, " must be a string of up to 16 digits (empty: none)");
      }
      (key == "pin" ? room->pin : room->moderator_pin) = value.get<std::string>();
    } else {
      return StrCat("unknown field \"", key, "\"");
    }
  }
  if (!room->pin.empty() && room->pin == room->moderator_pin) {
    return "moderator_pin must differ from pin";
  }
  return std::nullopt;
}

bool ValidRoomName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

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
