#include "signaling/sip/digest_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "common/strings.h"

namespace tutti::sip {
namespace {

std::string Hex(const unsigned char* bytes, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(length * 2, '0');
  for (size_t i = 0; i < length; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

}  // namespace

std::string_view DigestAlgorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "SHA-256" : "MD5";
}

std::optional<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name) {
  if (EqualsIgnoreCase(name, "MD5")) return DigestAlgorithm::kMd5;
  if (EqualsIgnoreCase(name, "SHA-256")) return DigestAlgorithm::kSha256;
  return std::nullopt;
}

std::string DigestHash(DigestAlgorithm algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const EVP_MD* md = algorithm == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_md5();
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) {
    // Only when OpenSSL cannot hash at all (e.g. MD5 disabled by a FIPS
    // policy): no response can then match.
    return std::string();
  }
  return Hex(out, length);
}

std::string DigestHa1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                      std::string_view password) {
  return DigestHash(algorithm, StrCat(user, ":", realm, ":", password));
}

std::string DigestResponse(DigestAlgorithm algorithm, std::string_view ha1, std::string_view nonce,
                           std::string_view nc, std::string_view cnonce, std::string_view qop,
                           std::string_view method, std::string_view uri) {
  const std::string ha2 = DigestHash(algorithm, StrCat(method, ":", uri));
  return DigestHash(algorithm, StrCat(ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2));
}

std::optional<std::vector<DigestParam>> ParseDigestParams(std::string_view value) {
  value = StripWhitespace(value);
  constexpr std::string_view kScheme = "Digest";
  if (value.size() <= kScheme.size() || !EqualsIgnoreCase(value.substr(0, 6), kScheme) ||
      (value[6] != ' ' && value[6] != '\t')) {
    return std::nullopt;
  }
  std::vector<DigestParam> out;
  size_t i = kScheme.size();
  auto skip_space = [&] {
    while (i < value.size() &&
           (value[i] == ' ' || value[i] == '\t' || value[i] == '\r' || value[i] == '\n')) {
      ++i;
    }
  };
  // A peer's header is bounded by the parser's message limit; so is this.
  while (true) {
    skip_space();
    if (i >= value.size()) break;
    const size_t name_start = i;
    while (i < value.size() && IsTokenChar(value[i])) ++i;
    DigestParam param{value.substr(name_start, i - name_start), {}};
    skip_space();
    if (param.name.empty() || i >= value.size() || value[i] != '=') return std::nullopt;
    ++i;
    skip_space();
    if (i < value.size() && value[i] == '"') {
      ++i;
      bool closed = false;
      while (i < value.size()) {
        const char c = value[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < value.size()) {
          param.value.push_back(value[i++]);
        } else {
          param.value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
    } else {
      const size_t start = i;
      while (i < value.size() && IsTokenChar(value[i])) ++i;
      param.value = std::string(value.substr(start, i - start));
    }
    out.push_back(std::move(param));
    skip_space();
    if (i >= value.size()) break;
    if (value[i] != ',') return std::nullopt;
    ++i;
  }
  return out;
}

std::optional<DigestCredentials> ParseDigestCredentials(std::string_view value) {
  std::optional<std::vector<DigestParam>> params = ParseDigestParams(value);
  if (!params) return std::nullopt;
  DigestCredentials out;
  for (DigestParam& param : *params) {
    const std::string_view name = param.name;
    std::string* slot = nullptr;
    if (EqualsIgnoreCase(name, "username")) slot = &out.username;
    if (EqualsIgnoreCase(name, "realm")) slot = &out.realm;
    if (EqualsIgnoreCase(name, "nonce")) slot = &out.nonce;
    if (EqualsIgnoreCase(name, "uri")) slot = &out.uri;
    if (EqualsIgnoreCase(name, "response")) slot = &out.response;
    if (EqualsIgnoreCase(name, "algorithm")) slot = &out.algorithm;
    if (EqualsIgnoreCase(name, "cnonce")) slot = &out.cnonce;
    if (EqualsIgnoreCase(name, "qop")) slot = &out.qop;
    if (EqualsIgnoreCase(name, "nc")) slot = &out.nc;
    if (slot != nullptr) *slot = std::move(param.value);  // others (opaque, ...) are not used
  }
  return out;
}

DigestAuthenticator::DigestAuthenticator(DigestOptions options)
    : DigestAuthenticator(std::move(options), [] {
        std::string secret(32, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                       static_cast<int>(secret.size())) != 1) {
          // Without randomness nonces could be forged: do not start.
          std::fputs("tuttid: RAND_bytes failed; cannot make the digest nonce secret\n", stderr);
          std::abort();
        }
        return secret;
      }()) {}

DigestAuthenticator::DigestAuthenticator(DigestOptions options, std::string secret)
    : secret_(std::move(secret)) {
  Reconfigure(std::move(options));
}

void DigestAuthenticator::Reconfigure(DigestOptions options) {
  options_ = std::move(options);
  users_by_name_.clear();
  for (size_t i = 0; i < options_.users.size(); ++i) {
    users_by_name_.emplace(options_.users[i].name, i);
  }
}

std::string DigestAuthenticator::NonceMac(std::string_view timestamp_hex) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string input = StrCat(timestamp_hex, ":", options_.realm);
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return Hex(mac, 16);  // 128 bits are plenty against forgery
}

std::string DigestAuthenticator::MakeNonce(absl::Time now) const {
  char timestamp[17];
  std::snprintf(timestamp, sizeof(timestamp), "%016llx",
                static_cast<unsigned long long>(absl::ToUnixSeconds(now)));
  return StrCat(timestamp, NonceMac(timestamp));
}

std::optional<absl::Time> DigestAuthenticator::NonceTime(std::string_view nonce) const {
  if (nonce.size() != 48) return std::nullopt;
  const std::string_view timestamp = nonce.substr(0, 16);
  if (!ConstantTimeEquals(nonce.substr(16), NonceMac(timestamp))) return std::nullopt;
  uint64_t seconds = 0;
  for (char c : timestamp) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    seconds = seconds * 16 + static_cast<uint64_t>(digit);
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

std::string DigestAuthenticator::Ha1(const DigestUser& user, DigestAlgorithm algorithm) const {
  if (!user.password.empty()) return DigestHa1(algorithm, user.name, options_.realm, user.password);
  return Lower(algorithm == DigestAlgorithm::kSha256 ? user.ha1_sha256 : user.ha1_md5);
}

DigestAuthenticator::Result DigestAuthenticator::Verify(std::string_view method,
                                                        std::string_view authorization,
                                                        absl::Time now) const {
  if (authorization.empty()) return {Outcome::kMissing, {}};
  const std::optional<DigestCredentials> credentials = ParseDigestCredentials(authorization);
  if (!credentials) return {Outcome::kWrong, {}};
  // Credentials for another realm (e.g. a proxy's) are not an answer to ours.
  if (credentials->realm != options_.realm) return {Outcome::kMissing, {}};
  const std::optional<DigestAlgorithm> algorithm =
      ParseDigestAlgorithm(credentials->algorithm.empty() ? "MD5" : credentials->algorithm);
  bool offered = false;
  for (DigestAlgorithm a : options_.algorithms) offered |= algorithm && a == *algorithm;
  // qop=auth is offered and required: without it (RFC 2069) there is no
  // cnonce and the response is weaker.
  if (!offered || credentials->qop != "auth" || credentials->nc.empty() ||
      credentials->cnonce.empty()) {
    return {Outcome::kWrong, {}};
  }
  const std::optional<absl::Time> issued = NonceTime(credentials->nonce);
  if (!issued) return {Outcome::kWrong, {}};
  auto user = users_by_name_.find(credentials->username);
  if (user == users_by_name_.end()) return {Outcome::kWrong, {}};
  const std::string ha1 = Ha1(options_.users[user->second], *algorithm);
  if (ha1.empty()) return {Outcome::kWrong, {}};
  // The digest-uri is not compared with the Request-URI: clients differ
  // (SIPp sends host:port) and the response covers whatever was sent.
  const std::string expected =
      DigestResponse(*algorithm, ha1, credentials->nonce, credentials->nc, credentials->cnonce,
                     credentials->qop, method, credentials->uri);
  if (!ConstantTimeEquals(Lower(credentials->response), expected)) return {Outcome::kWrong, {}};
  // Right credentials; only the nonce's age is left. A nonce from the
  // future (clock step) is as good as a stale one.
  if (now - *issued >= options_.nonce_lifetime || *issued > now + absl::Seconds(5)) {
    return {Outcome::kStale, {}};
  }
  return {Outcome::kOk, credentials->username};
}

std::vector<std::string> DigestAuthenticator::Challenges(absl::Time now, bool stale) const {
  const std::string nonce = MakeNonce(now);
  std::vector<std::string> out;
  for (DigestAlgorithm algorithm : options_.algorithms) {
    out.push_back(StrCat("Digest realm=\"", options_.realm, "\", nonce=\"", nonce,
                         "\", algorithm=", DigestAlgorithmName(algorithm), ", qop=\"auth\"",
                         stale ? ", stale=true" : ""));
  }
  return out;
}

}  // namespace tutti::sip
