#include "server/api/reload_handler.h"

namespace tutti::api {

using nlohmann::json;

const char* ReloadResultName(ReloadOutcome::Result result) {
  switch (result) {
    case ReloadOutcome::Result::kOk:
      return "ok";
    case ReloadOutcome::Result::kInvalid:
      return "invalid";
    case ReloadOutcome::Result::kNeedsRestart:
      return "needs_restart";
  }
  return "invalid";
}

Reply ReloadHandler::Post(const ApiRequest&) {
  if (!reload_) return Error(503, "reload is not available");
  const ReloadOutcome outcome = reload_();
  switch (outcome.result) {
    case ReloadOutcome::Result::kOk:
      return Reply{200, json{{"changed", outcome.changed},
                             {"rooms",
                              {{"added", outcome.rooms_added},
                               {"updated", outcome.rooms_updated},
                               {"removed", outcome.rooms_removed}}},
                             {"calls_ended", outcome.calls_ended}}};
    case ReloadOutcome::Result::kNeedsRestart: {
      Reply reply = Error(409, outcome.message);
      reply.body["error"]["needs_restart"] = outcome.needs_restart;
      return reply;
    }
    case ReloadOutcome::Result::kInvalid:
      break;
  }
  return Error(400, outcome.message);
}

}  // namespace tutti::api
