#include "server/api/prompts_handler.h"

#include "common/strings.h"

namespace tutti::api {

using nlohmann::json;

PromptsHandler::PromptsHandler(RoomDirectory* rooms, CallController* calls,
                               std::shared_ptr<const media::PromptLibrary> prompts)
    : rooms_(rooms), calls_(calls), prompts_(std::move(prompts)) {}

std::optional<Reply> PromptsHandler::PromptOf(const ApiRequest& request,
                                              const media::Prompt** prompt) const {
  const json* body = request.object();
  if (body == nullptr || !body->contains("prompt") || !(*body)["prompt"].is_string()) {
    return Error(400, "the body must be {\"prompt\": \"<name>\"}");
  }
  const std::string name = (*body)["prompt"].get<std::string>();
  const int index = prompts_ ? prompts_->Find(name) : -1;
  if (index < 0) return Error(404, StrCat("no prompt \"", name, "\" (GET /v1/prompts)"));
  *prompt = &prompts_->at(index);
  return std::nullopt;
}

Reply PromptsHandler::List(const ApiRequest&) {
  json names = json::array();
  if (prompts_) {
    for (const std::string& name : prompts_->Names()) names.push_back(name);
  }
  return Reply{200, json{{"prompts", names}}};
}

Reply PromptsHandler::PlayToParticipant(const ApiRequest& request) {
  ParticipantInfo participant;
  if (auto fault = FindParticipant(*rooms_, *calls_, request, &participant)) return *fault;
  const media::Prompt* prompt = nullptr;
  if (auto fault = PromptOf(request, &prompt)) return *fault;
  if (!calls_->Play(participant.id, prompt)) {
    return Error(409, "the participant has no audio to play into");
  }
  return Reply{202, json{{"playing", prompt->name}, {"to", 1}}};
}

Reply PromptsHandler::PlayToRoom(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  const media::Prompt* prompt = nullptr;
  if (auto fault = PromptOf(request, &prompt)) return *fault;
  int played = 0;
  for (const ParticipantInfo& p : calls_->Participants(room)) {
    played += calls_->Play(p.id, prompt) ? 1 : 0;
  }
  return Reply{202, json{{"playing", prompt->name}, {"to", played}}};
}

}  // namespace tutti::api
