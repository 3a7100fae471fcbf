// What every control API handler shares: the request as a handler on the
// control thread sees it, its reply, the JSON error shape (ops/openapi.yaml
// "Error") and the lookups of the room and participant a path names.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/api/http_server.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_directory.h"

namespace tutti::api {

inline constexpr char kJson[] = "application/json";

// A request for a handler on the control thread: the path's captures and the
// body, parsed on the HTTP server's thread.
struct ApiRequest {
  static ApiRequest Of(const HttpRequest& request, std::vector<std::string> params);

  // The body when it is a JSON object, else null.
  const nlohmann::json* object() const;

  // The first value of the query argument `key`, if the URL has it.
  std::optional<std::string_view> Query(std::string_view key) const;

  std::vector<std::string> params;  // the pattern's "*" and "a|b" segments, in order
  nlohmann::json body;              // discarded when empty or not JSON
  bool body_empty = true;
  std::vector<std::pair<std::string, std::string>> query;  // HttpRequest::query
};

// What a handler on the control thread answers.
struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string text;  // used instead of body when set (metrics)
  std::string content_type = kJson;
  std::shared_ptr<BodyFile> file;  // used instead of both when set (a recording)
  std::vector<std::pair<std::string, std::string>> headers;
};

Reply Error(int status, std::string message);
// 404 for a room that does not exist.
Reply NoRoom(std::string_view name);
HttpResponse ToResponse(const Reply& reply);

// A participant id of a path, in decimal.
std::optional<uint64_t> ParseId(const std::string& text);

// The participant a path names (its first capture the room, its second the
// id), or the 404 to answer (no such room, no such participant, or one in
// another room).
std::optional<Reply> FindParticipant(const RoomDirectory& rooms, const CallController& calls,
                                     const ApiRequest& request, ParticipantInfo* out);

}  // namespace tutti::api
