#include "signaling/sip/digest_client.h"

#include <cstdio>

#include "common/strings.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti::sip {
namespace {

// A quoted-string (RFC 3261 §25.1) of `text`: '"' and '\' escaped, and
// control characters (CR, LF above all) dropped, so nothing a challenge
// carried can end our header line early or add one.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A qop list ("auth", "auth,auth-int", "auth-int") offers plain auth.
bool OffersAuth(std::string_view qop_list) {
  for (std::string_view option : SplitNonEmpty(qop_list, ',')) {
    if (EqualsIgnoreCase(StripWhitespace(option), "auth")) return true;
  }
  return false;
}

}  // namespace

std::optional<DigestChallenge> ParseDigestChallenge(std::string_view header_value) {
  std::optional<std::vector<DigestParam>> params = ParseDigestParams(header_value);
  if (!params) return std::nullopt;
  DigestChallenge challenge;
  bool has_nonce = false;
  bool has_realm = false;
  bool qop_offered = false;
  for (DigestParam& param : *params) {
    const std::string_view name = param.name;
    if (EqualsIgnoreCase(name, "realm")) {
      challenge.realm = std::move(param.value);
      has_realm = true;
    } else if (EqualsIgnoreCase(name, "nonce")) {
      challenge.nonce = std::move(param.value);
      has_nonce = true;
    } else if (EqualsIgnoreCase(name, "opaque")) {
      challenge.opaque = std::move(param.value);
    } else if (EqualsIgnoreCase(name, "algorithm")) {
      // MD5-sess, SHA-256-sess, SHA-512-256...: a challenge we cannot answer.
      std::optional<DigestAlgorithm> algorithm = ParseDigestAlgorithm(param.value);
      if (!algorithm) return std::nullopt;
      challenge.algorithm = *algorithm;
    } else if (EqualsIgnoreCase(name, "qop")) {
      qop_offered = true;
      challenge.qop_auth = OffersAuth(param.value);
    } else if (EqualsIgnoreCase(name, "stale")) {
      challenge.stale = EqualsIgnoreCase(param.value, "true");
    }
    // domain and unknown parameters (RFC 7616 §3.3: ignored).
  }
  if (!has_realm || !has_nonce || challenge.nonce.empty()) return std::nullopt;
  if (qop_offered && !challenge.qop_auth) return std::nullopt;  // auth-int only
  return challenge;
}

std::optional<DigestChallenge> PickChallenge(const SipMessage& response) {
  const bool proxy = response.status_code() == 407;
  const std::string_view header = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
  std::optional<DigestChallenge> picked;
  for (const HeaderField& field : response.headers()) {
    if (field.id != HeaderId::kOther || !EqualsIgnoreCase(field.name, header)) continue;
    std::optional<DigestChallenge> challenge = ParseDigestChallenge(field.value);
    if (!challenge) continue;
    challenge->proxy = proxy;
    // RFC 8760 §2.4: the server lists its preferred first; of those we can
    // answer, SHA-256 beats MD5 whatever the order.
    if (!picked || (challenge->algorithm == DigestAlgorithm::kSha256 &&
                    picked->algorithm != DigestAlgorithm::kSha256)) {
      picked = std::move(challenge);
    }
  }
  return picked;
}

std::string AuthorizationHeader(const DigestChallenge& challenge,
                                const DigestClientCredentials& credentials, std::string_view method,
                                std::string_view uri, uint32_t nonce_count,
                                std::string_view cnonce) {
  const DigestAlgorithm algorithm = challenge.algorithm;
  const std::string ha1 =
      DigestHa1(algorithm, credentials.username, challenge.realm, credentials.password);
  std::string line = StrCat(challenge.proxy ? "Proxy-Authorization" : "Authorization",
                            ": Digest username=", Quoted(credentials.username),
                            ", realm=", Quoted(challenge.realm),
                            ", nonce=", Quoted(challenge.nonce), ", uri=", Quoted(uri));
  if (challenge.qop_auth) {
    char nc[9];
    std::snprintf(nc, sizeof(nc), "%08x", nonce_count);
    const std::string response =
        DigestResponse(algorithm, ha1, challenge.nonce, nc, cnonce, "auth", method, uri);
    StrAppend(&line, ", response=\"", response, "\", algorithm=", DigestAlgorithmName(algorithm),
              ", cnonce=", Quoted(cnonce), ", qop=auth, nc=", nc);
  } else {
    // RFC 2069 (RFC 2617 §3.2.2.1 without qop): H(HA1:nonce:HA2), no cnonce.
    const std::string ha2 = DigestHash(algorithm, StrCat(method, ":", uri));
    const std::string response = DigestHash(algorithm, StrCat(ha1, ":", challenge.nonce, ":", ha2));
    StrAppend(&line, ", response=\"", response, "\", algorithm=", DigestAlgorithmName(algorithm));
  }
  if (!challenge.opaque.empty()) StrAppend(&line, ", opaque=", Quoted(challenge.opaque));
  line += "\r\n";
  return line;
}

std::string NewCnonce() {
  // RFC 7616 §3.4: the cnonce only needs to be unpredictable to the server:
  // 64 random bits in hex, which is what a tag is made of.
  return TransactionLayer::NewTag();
}

}  // namespace tutti::sip
