// /v1/prompts and playing a prompt to a participant or a whole room
// (ops/openapi.yaml). Runs on the control thread.
#pragma once

#include <memory>

#include "mediaplane/prompt_library.h"
#include "server/api/api_handler.h"

namespace tutti::api {

class PromptsHandler {
 public:
  // `prompts` may be null (none loaded): playing answers 404 then.
  PromptsHandler(RoomDirectory* rooms, CallController* calls,
                 std::shared_ptr<const media::PromptLibrary> prompts);

  Reply List(const ApiRequest& request);
  Reply PlayToParticipant(const ApiRequest& request);
  Reply PlayToRoom(const ApiRequest& request);

 private:
  // The prompt the body names, or the error to answer.
  std::optional<Reply> PromptOf(const ApiRequest& request, const media::Prompt** prompt) const;

  RoomDirectory* rooms_;
  CallController* calls_;
  std::shared_ptr<const media::PromptLibrary> prompts_;
};

}  // namespace tutti::api
