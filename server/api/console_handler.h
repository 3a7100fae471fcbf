// The operator's console on the API port: GET / and /console lead to
// /console/, which serves index.html, and /console/<file> the other files
// of server/console/ (built in, console_files.h). Public: the files hold no
// secret, and every call the page makes to /v1 carries the token the
// operator types. Answered on the HTTP server's thread, from memory.
#pragma once

#include <string_view>

#include "server/api/http_server.h"
#include "server/api/router.h"

namespace tutti::api {

// What keeps the page from being framed, sniffed or made to run script that
// is not its own (README "Operator console" lists them).
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The console file `name` ("" is index.html): 200 with the file and its
// headers, 304 when `if_none_match` names its ETag, or 404.
HttpResponse ConsoleFileResponse(std::string_view name, std::string_view if_none_match);

// Adds the console's routes: GET /, /console, /console/ and /console/*.
void AddConsoleRoutes(Router& router);

}  // namespace tutti::api
