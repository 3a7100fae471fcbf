#include "server/api/api_token.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/strings.h"

namespace tutti::api {
namespace {

constexpr char kHowToMake[] =
    "make one with `openssl rand -hex 24 > tutti-api-token && chmod 600 tutti-api-token` "
    "(ops/setup.sh does) and set api.token_file";

std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

absl::Status LoadApiToken(ApiConfig* api) {
  if (!api->token.empty() || api->token_file.empty()) return absl::OkStatus();
  std::ifstream file(api->token_file);
  if (!file) {
    return absl::NotFoundError(
        StrCat("api.token_file \"", api->token_file, "\" cannot be read (", std::strerror(errno),
               "): make it with `openssl rand -hex 24 > ", api->token_file, " && chmod 600 ",
               api->token_file, "` (ops/setup.sh makes ./tutti-api-token), or set api.token"));
  }
  std::string line;
  std::getline(file, line);
  const std::string_view token = Trim(line);
  if (token.empty()) {
    return absl::InvalidArgumentError(StrCat("api.token_file \"", api->token_file,
                                             "\" holds no token on its first line: ", kHowToMake));
  }
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          StrCat("api.token_file \"", api->token_file,
                 "\": the token may hold printable ASCII characters only, no blanks"));
    }
  }
  api->token = std::string(token);
  return absl::OkStatus();
}

bool IsLoopbackListen(std::string_view listen) {
  const std::string address(listen);
  if (EqualsIgnoreCase(listen, "localhost")) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

TokenVerdict JudgeApiToken(const ApiConfig& api) {
  TokenVerdict verdict;
  if (!api.enabled) return verdict;
  // Where the token came from, as the operator wrote it.
  const std::string source = api.token_file.empty()
                                 ? std::string("api.token")
                                 : StrCat("api.token_file \"", api.token_file, "\"");
  std::string weakness;
  if (api.token == kWellKnownToken) {
    weakness = StrCat(source, " is the well-known example token \"", kWellKnownToken, "\"");
  } else if (api.token.size() < kMinExposedTokenLength) {
    weakness = StrCat(source, " is shorter than ", kMinExposedTokenLength, " characters");
  }
  if (!weakness.empty()) {
    if (!IsLoopbackListen(api.listen)) {
      verdict.status = absl::FailedPreconditionError(
          StrCat(weakness, ", and the API listens on ", api.listen,
                 ", beyond loopback: whoever guesses it controls every call. ", kHowToMake,
                 ", or set api.listen = \"127.0.0.1\""));
      return verdict;
    }
    verdict.warnings.push_back(
        StrCat(weakness,
               ": anyone on this machine can guess it, and tuttid will refuse it if "
               "api.listen goes beyond loopback; ",
               kHowToMake));
  }
  if (!api.token_file.empty()) {
    struct stat info {};
    if (stat(api.token_file.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
      verdict.warnings.push_back(StrCat("api.token_file \"", api.token_file,
                                        "\" may be read by other users: chmod 600 ",
                                        api.token_file));
    }
  }
  return verdict;
}

bool TokenMatches(std::string_view expected, std::string_view presented) {
  // Every byte of the presented token is looked at whatever matched.
  unsigned char difference = expected.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    const unsigned char want =
        expected.empty() ? 0 : static_cast<unsigned char>(expected[i % expected.size()]);
    difference |= static_cast<unsigned char>(want ^ static_cast<unsigned char>(presented[i]));
  }
  return difference == 0 && !expected.empty();
}

}  // namespace tutti::api
