#include "server/api/participants_handler.h"

#include "common/strings.h"
#include "server/api/api_json.h"

namespace tutti::api {

using nlohmann::json;

ParticipantsHandler::ParticipantsHandler(RoomDirectory* rooms, CallController* calls)
    : rooms_(rooms), calls_(calls) {}

Reply ParticipantsHandler::Show(uint64_t id) const {
  return Reply{200, ParticipantJson(*calls_->Participant(id))};
}

Reply ParticipantsHandler::List(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  json list = json::array();
  for (const ParticipantInfo& p : calls_->Participants(room)) list.push_back(ParticipantJson(p));
  return Reply{200, json{{"participants", list}}};
}

Reply ParticipantsHandler::Get(const ApiRequest& request) {
  ParticipantInfo participant;
  if (auto fault = FindParticipant(*rooms_, *calls_, request, &participant)) return *fault;
  return Reply{200, ParticipantJson(participant)};
}

Reply ParticipantsHandler::Mute(const ApiRequest& request) {
  ParticipantInfo participant;
  if (auto fault = FindParticipant(*rooms_, *calls_, request, &participant)) return *fault;
  calls_->SetMuted(participant.id, request.params[2] == "mute");
  return Show(participant.id);
}

Reply ParticipantsHandler::SetVolume(const ApiRequest& request) {
  ParticipantInfo participant;
  if (auto fault = FindParticipant(*rooms_, *calls_, request, &participant)) return *fault;
  const json* body = request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object");
  int listen = participant.listen_db;
  int talk = participant.talk_db;
  for (const auto& [key, value] : body->items()) {
    if (key != "listen_db" && key != "talk_db") {
      return Error(400, StrCat("unknown field \"", key, "\""));
    }
    if (!value.is_number_integer() || value.get<int64_t>() < -24 || value.get<int64_t>() > 12) {
      return Error(400, StrCat(key, " must be an integer from -24 to 12 (dB)"));
    }
    (key == "listen_db" ? listen : talk) = value.get<int>();
  }
  calls_->SetVolume(participant.id, listen, talk);
  return Show(participant.id);
}

Reply ParticipantsHandler::Kick(const ApiRequest& request) {
  ParticipantInfo participant;
  if (auto fault = FindParticipant(*rooms_, *calls_, request, &participant)) return *fault;
  calls_->Kick(participant.id, "removed by operator");
  return Reply{204, json()};
}

}  // namespace tutti::api
