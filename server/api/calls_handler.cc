#include "server/api/calls_handler.h"

#include <algorithm>
#include <tuple>

#include "common/strings.h"

namespace tutti::api {
namespace {

using nlohmann::json;

// What DialOut's refusal is in HTTP; the message (the guard's) says why.
int StatusOfRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    default:
      return 503;
  }
}

// A string field of at most `max` bytes with no control characters; an
// error reply when it is given and is not one.
std::optional<Reply> TextField(const json& body, const char* key, size_t max, std::string* out) {
  const auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (!it->is_string()) return Error(400, StrCat(key, " must be a string"));
  *out = it->get<std::string>();
  const bool clean = std::none_of(out->begin(), out->end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '<' ||
           c == '>';
  });
  if (out->size() > max || !clean) {
    return Error(400, StrCat(key, " must be at most ", max,
                             " characters, without quotes, <, >, \\ or control characters"));
  }
  return std::nullopt;
}

}  // namespace

CallsHandler::CallsHandler(RoomDirectory* rooms, CallController* calls)
    : rooms_(rooms), calls_(calls) {}

Reply CallsHandler::Create(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  const json* body = request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object");
  for (const auto& [key, value] : body->items()) {
    if (key != "to" && key != "caller_id" && key != "name" && key != "timeout_s") {
      return Error(400, StrCat("unknown field \"", key, "\""));
    }
  }
  DialOutRequest dial;
  dial.room = room;
  dial.requested_by = "api";
  if (!body->contains("to")) return Error(400, "to (the number or URI to call) is missing");
  for (const auto& [key, max, out] : {std::tuple{"to", size_t{256}, &dial.target},
                                      std::tuple{"caller_id", size_t{32}, &dial.caller_id},
                                      std::tuple{"name", size_t{64}, &dial.display_name}}) {
    if (auto fault = TextField(*body, key, max, out)) return *fault;
  }
  if (const auto it = body->find("timeout_s"); it != body->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxTimeoutS) {
      return Error(400, StrCat("timeout_s must be an integer from 1 to ", kMaxTimeoutS));
    }
    dial.timeout = absl::Seconds(it->get<int64_t>());
  }
  const std::string to = dial.target;
  absl::StatusOr<uint64_t> id = calls_->DialOut(std::move(dial));
  if (!id.ok()) return Error(StatusOfRefusal(id.status()), std::string(id.status().message()));
  return Reply{201, json{{"id", *id}, {"room", room}, {"to", to}, {"state", "calling"}}};
}

}  // namespace tutti::api
