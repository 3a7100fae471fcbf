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

// A PATCH's per-meeting fields: who presents (camera, then content). They
// are no room setting, so never stored.
struct PresenterChange {
  bool given = false;
  uint64_t id = 0;  // 0: nobody (null)
};
constexpr const char* kPresenterFields[] = {"presenter", "slides_presenter"};

// Takes the presenter fields out of `fields` into `changes`; names a wrong value.
std::optional<std::string> TakePresenters(json* fields, PresenterChange (&changes)[2]) {
  for (int i = 0; i < 2; ++i) {
    auto it = fields->find(kPresenterFields[i]);
    if (it == fields->end()) continue;
    if (!it->is_null() && !(it->is_number_integer() && it->get<int64_t>() > 0)) {
      return StrCat(kPresenterFields[i], " must be a participant id or null");
    }
    changes[i] = {true, it->is_null() ? 0 : it->get<uint64_t>()};
    fields->erase(it);
  }
  return std::nullopt;
}

}  // namespace

RoomsHandler::RoomsHandler(RoomDirectory* rooms, CallController* calls, StoredRooms* stored,
                           std::string ivr_number, msrp::FileStore* files)
    : rooms_(rooms),
      calls_(calls),
      stored_(stored),
      ivr_number_(std::move(ivr_number)),
      files_(files) {}

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
  json fields = *body;
  PresenterChange presenters[2];
  if (std::optional<std::string> fault = TakePresenters(&fields, presenters)) {
    return Error(400, *fault);
  }
  RoomConfig room = *existing;
  const mixer::VideoMode mode_before = calls_->VideoModeOf(room);
  if (std::optional<std::string> fault = ApplyRoomFields(fields, &room)) return Error(400, *fault);
  // A presenter must be in the room, and a camera presenter needs presenter
  // mode (as this change leaves the room), before anything changes.
  for (int i = 0; i < 2; ++i) {
    if (!presenters[i].given || presenters[i].id == 0) continue;
    if (absl::Status s = calls_->CheckPresenter(room, presenters[i].id, i == 1); !s.ok()) {
      return Error(absl::IsNotFound(s) ? 404 : 409, std::string(s.message()));
    }
  }
  const bool settings_named = !fields.empty() || body->empty();
  if (absl::Status s = settings_named ? stored_->Changed(room, fields) : absl::OkStatus();
      !s.ok()) {
    return NotStored("changed", name, s);
  }
  rooms_->Update(room);
  if (calls_->VideoModeOf(room) != mode_before) calls_->VideoModeChanged(name, "api");
  for (int i = 0; i < 2; ++i) {
    if (presenters[i].given) calls_->SetPresenter(name, presenters[i].id, i == 1, "api");
  }
  LogInfo("api", "room updated")
      .With("room", name)
      .With("locked", room.locked)
      .With("stored", stored_->durable());
  return Answer(200, *rooms_->Find(name));
}

Reply RoomsHandler::Delete(const ApiRequest& request) {
  const std::string& name = request.params[0];
  if (rooms_->Find(name) == nullptr) return NoRoom(name);
  if (absl::Status s = stored_->Deleted(name); !s.ok()) return NotStored("deleted", name, s);
  calls_->EndRoom(name);
  rooms_->Remove(name);
  // A room made again under this name starts without the old one's files.
  if (files_ != nullptr) files_->RemoveRoom(name);
  LogInfo("api", "room deleted").With("room", name);
  return Reply{204, json()};
}

}  // namespace tutti::api
