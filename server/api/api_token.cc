#include "server/api/api_token.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "common/strings.h"
#include "signaling/sip/ip_prefix.h"

namespace tutti::api {
namespace {

constexpr char kHowToMake[] =
    "make one with `openssl rand -hex 24 > tutti-api-token && chmod 600 tutti-api-token` "
    "(ops/setup.sh does) and set api.token_file";

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
  const std::string_view token = StripWhitespace(line);
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
  if (EqualsIgnoreCase(listen, "localhost")) return true;
  const std::optional<sip::IpAddress> address = sip::IpAddress::Parse(listen);
  if (!address) return false;
  // IPv4 in its mapped form too (::ffff:127.0.0.1): IpAddress holds both alike.
  static const sip::IpPrefix kLoopbackV4 = *sip::IpPrefix::Parse("127.0.0.0/8");
  static const sip::IpPrefix kLoopbackV6 = *sip::IpPrefix::Parse("::1");
  return kLoopbackV4.Contains(*address) || kLoopbackV6.Contains(*address);
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
