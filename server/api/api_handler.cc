#include "server/api/api_handler.h"

#include <charconv>

#include "common/strings.h"

namespace tutti::api {

using nlohmann::json;

ApiRequest ApiRequest::Of(const HttpRequest& request, std::vector<std::string> params) {
  return {std::move(params), json::parse(request.body, nullptr, /*allow_exceptions=*/false),
          request.body.empty(), request.query};
}

std::optional<std::string_view> ApiRequest::Query(std::string_view key) const {
  for (const auto& [name, value] : query) {
    if (name == key) return value;
  }
  return std::nullopt;
}

const json* ApiRequest::object() const {
  return body.is_discarded() || !body.is_object() ? nullptr : &body;
}

Reply Error(int status, std::string message) {
  return {status, json{{"error", {{"code", status}, {"message", std::move(message)}}}}};
}

Reply NoRoom(std::string_view name) { return Error(404, StrCat("no room \"", name, "\"")); }

HttpResponse ToResponse(const Reply& reply) {
  HttpResponse response;
  response.status = reply.status;
  response.headers = reply.headers;
  if (reply.file) {
    response.content_type = reply.content_type;
    response.file = reply.file;
  } else if (!reply.text.empty()) {
    response.content_type = reply.content_type;
    response.body = reply.text;
  } else if (reply.status != 204) {
    response.content_type = kJson;
    // Messages quote the request's path, which may be any bytes: dump()
    // would throw on one that is not UTF-8 (and end the process), so such
    // bytes become U+FFFD.
    response.body = reply.body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return response;
}

std::optional<uint64_t> ParseId(const std::string& text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Reply> FindParticipant(const RoomDirectory& rooms, const CallController& calls,
                                     const ApiRequest& request, ParticipantInfo* out) {
  const std::string& room = request.params[0];
  const std::string& id_text = request.params[1];
  if (rooms.Find(room) == nullptr) return NoRoom(room);
  const std::optional<uint64_t> id = ParseId(id_text);
  std::optional<ParticipantInfo> found = id ? calls.Participant(*id) : std::nullopt;
  if (!found || found->room != room) {
    return Error(404, StrCat("no participant ", id_text, " in room \"", room, "\""));
  }
  *out = std::move(*found);
  return std::nullopt;
}

}  // namespace tutti::api
