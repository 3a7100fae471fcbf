#include "server/api/messages_handler.h"

#include <charconv>

#include "common/strings.h"
#include "server/api/api_json.h"

namespace tutti::api {
namespace {

using nlohmann::json;

// A query argument in decimal, or nullopt when it is not one.
std::optional<uint64_t> Decimal(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end) return std::nullopt;
  return value;
}

// What PostMessage's refusal is in HTTP.
int StatusOfRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kOutOfRange:
      return 413;
    case absl::StatusCode::kInvalidArgument:
      return 415;
    case absl::StatusCode::kUnimplemented:
      return 501;
    default:
      return 503;
  }
}

// A field of the POST body that must be a string when given.
std::optional<Reply> StringField(const json& body, const char* key, std::string* out) {
  const auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (!it->is_string()) return Error(400, StrCat(key, " must be a string"));
  *out = it->get<std::string>();
  return std::nullopt;
}

}  // namespace

MessagesHandler::MessagesHandler(RoomDirectory* rooms, CallController* calls)
    : rooms_(rooms), calls_(calls) {}

Reply MessagesHandler::List(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  uint64_t after = 0;
  uint64_t limit = MessagesHandler::kDefaultPage;
  for (const auto& [key, slot] : {std::pair{"after", &after}, std::pair{"limit", &limit}}) {
    const std::optional<std::string_view> text = request.Query(key);
    if (!text) continue;
    const std::optional<uint64_t> value = Decimal(*text);
    if (!value) return Error(400, StrCat(key, " must be a non-negative integer"));
    *slot = *value;
  }
  if (limit == 0 || limit > MessagesHandler::kMaxPage) {
    return Error(400, StrCat("limit must be from 1 to ", MessagesHandler::kMaxPage));
  }
  json list = json::array();
  for (const msrp::ChatMessage& message : calls_->Messages(room, after, limit)) {
    list.push_back(MessageJson(message));
  }
  return Reply{200, json{{"messages", list}}};
}

Reply MessagesHandler::Post(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  const json* body = request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object");
  for (const auto& [key, value] : body->items()) {
    if (key != "body" && key != "content_type" && key != "from") {
      return Error(400, StrCat("unknown field \"", key, "\""));
    }
  }
  if (!body->contains("body")) return Error(400, "body (the message's text) is missing");
  std::string text;
  std::string content_type = "text/plain";
  std::string from;
  for (const auto& [key, out] : {std::pair{"body", &text}, std::pair{"content_type", &content_type},
                                 std::pair{"from", &from}}) {
    if (auto fault = StringField(*body, key, out)) return *fault;
  }
  // A name the members see: one line, bounded.
  if (from.size() > 64 || from.find_first_of("\r\n\"\\<>") != std::string::npos) {
    return Error(400, "from must be at most 64 characters, without quotes, <, > or line breaks");
  }
  absl::StatusOr<msrp::ChatMessage> posted =
      calls_->PostMessage(room, from, content_type, std::move(text));
  if (!posted.ok()) {
    return Error(StatusOfRefusal(posted.status()), std::string(posted.status().message()));
  }
  return Reply{201, MessageJson(*posted)};
}

}  // namespace tutti::api
