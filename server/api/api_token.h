// The control API's bearer token (issue 13): read from [api] token_file,
// and judged against where the API listens. Whoever holds the token can
// kick, mute and record anyone, so a guessable one must not face a network.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "server/config/config.h"

namespace tutti::api {

// The example token the shipped config carried until issue 13: public.
inline constexpr std::string_view kWellKnownToken = "change-this-token";
// Shorter tokens are guessable enough to keep to loopback.
inline constexpr size_t kMinExposedTokenLength = 16;

// Fills api->token from api->token_file when the token is not inline: the
// file's first line without surrounding blanks. Errors name the key and the
// file, never the token.
absl::Status LoadApiToken(ApiConfig* api);

// True for listen addresses only this machine reaches: 127.0.0.0/8, ::1,
// ::ffff:127.x.x.x and "localhost". Anything else (0.0.0.0, ::, a host
// name, another address) reaches beyond loopback.
bool IsLoopbackListen(std::string_view listen);

struct TokenVerdict {
  absl::Status status;                // not OK: tuttid must not start
  std::vector<std::string> warnings;  // to log loudly at start
};

// A weak token (the well-known one, or under kMinExposedTokenLength
// characters) stops the start when the API listens beyond loopback and is
// warned about on loopback; a token file others may read is warned about.
// Call after LoadApiToken.
TokenVerdict JudgeApiToken(const ApiConfig& api);

// The token check in constant time, so response times do not give away
// how much of a guess was right.
bool TokenMatches(std::string_view expected, std::string_view presented);

}  // namespace tutti::api
