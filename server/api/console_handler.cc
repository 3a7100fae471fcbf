#include "server/api/console_handler.h"

#include <string>

#include "server/api/api_handler.h"
#include "server/console/console_files.h"

namespace tutti::api {
namespace {

using Captures = Router::Captures;

// Whether an If-None-Match list ("a", W/"b", or *) holds `etag`.
bool EtagListed(std::string_view listed, std::string_view etag) {
  while (!listed.empty()) {
    const size_t comma = listed.find(',');
    std::string_view one = listed.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.substr(0, 2) == "W/") one.remove_prefix(2);  // weak comparison (RFC 9110 §13.1.2)
    if (one == "*" || one == etag) return true;
    if (comma == std::string_view::npos) break;
    listed.remove_prefix(comma + 1);
  }
  return false;
}

HttpAction Redirect(std::string location) {
  HttpAction action;
  action.now = HttpResponse{302, "", "", {{"Location", std::move(location)}}};
  return action;
}

HttpAction ServeFile(const HttpRequest& request, std::string_view name) {
  HttpAction action;
  action.now = ConsoleFileResponse(name, request.if_none_match);
  return action;
}

}  // namespace

HttpResponse ConsoleFileResponse(std::string_view name, std::string_view if_none_match) {
  if (name.empty()) name = "index.html";
  for (const console::StaticFile& file : console::ConsoleFiles()) {
    if (file.name != name) continue;
    HttpResponse response;
    response.headers = {
        {"ETag", std::string(file.etag)},
        // Kept, but asked about each time: a new tuttid's files are seen at once.
        {"Cache-Control", "no-cache"},
        {"Content-Security-Policy", std::string(kConsoleContentSecurityPolicy)},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
    };
    if (EtagListed(if_none_match, file.etag)) {
      response.status = 304;
      return response;
    }
    response.content_type = std::string(file.content_type);
    response.body = std::string(file.body);
    return response;
  }
  return ToResponse(Error(404, "no such console file"));
}

void AddConsoleRoutes(Router& router) {
  using Access = Router::Access;
  auto to_console = [](const HttpRequest&, const Captures&) { return Redirect("/console/"); };
  router.Add("GET", "/", to_console, Access::kPublic);
  router.Add("GET", "/console", to_console, Access::kPublic);
  router.Add(
      "GET", "/console/",
      [](const HttpRequest& request, const Captures&) { return ServeFile(request, ""); },
      Access::kPublic);
  router.Add(
      "GET", "/console/*",
      [](const HttpRequest& request, const Captures& captures) {
        return ServeFile(request, captures[0]);
      },
      Access::kPublic);
}

}  // namespace tutti::api
