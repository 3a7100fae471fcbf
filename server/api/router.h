// The control API's route table: method and path pattern to handler. Made
// before the HTTP server starts and read-only after, so the server's thread
// reads it without a lock.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api/http_server.h"

namespace tutti::api {

class Router {
 public:
  // The path's captured segments, in order.
  using Captures = std::vector<std::string>;
  using Handler = std::function<HttpAction(const HttpRequest&, const Captures&)>;
  enum class Access { kToken, kPublic };
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // path segments; "*" or "a|b" capture
    Access access;
    Handler handler;
  };

  // `pattern` is a path whose segments are words, "*" (any non-empty
  // segment) or "a|b" (either word); the last two are captured.
  void Add(std::string method, std::string_view pattern, Handler handler,
           Access access = Access::kToken);
  // The first route for the method and path (a HEAD finds its GET), with
  // its captures; null when none.
  const Route* Find(std::string_view method, std::string_view path, Captures* captures) const;
  // The methods some route takes for `path` (HEAD with GET), comma-separated
  // as an Allow header has them; empty when no route has the path at all
  // (a 405 with this, or a 404).
  std::string Allowed(std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace tutti::api
