// SIP digest authentication, the UAC side (RFC 3261 §22.2, RFC 7616's
// digest, RFC 8760's algorithms): answering a 401's WWW-Authenticate or a
// 407's Proxy-Authenticate for our REGISTERs and INVITEs to trunks.
// MD5 and SHA-256, qop=auth (or none, RFC 2069 style, when the challenge
// offers no qop). The password never leaves this file's functions: callers
// log the user name and realm only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/digest_auth.h"
#include "signaling/sip/sip_message.h"

namespace tutti::sip {

// One challenge (the parameters of a "Digest ..." WWW-Authenticate or
// Proxy-Authenticate value).
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool qop_auth = false;  // qop offered and includes "auth"
  bool stale = false;
  bool proxy = false;  // from a 407: answered with Proxy-Authorization
};

// Nullopt when it is not a Digest challenge, is malformed, or asks for an
// algorithm or qop we cannot answer (MD5-sess, auth-int only).
std::optional<DigestChallenge> ParseDigestChallenge(std::string_view header_value);

// The challenge to answer from a 401/407: of the response's challenges, the
// first whose algorithm we know, SHA-256 preferred over MD5 (RFC 8760 §2.4).
std::optional<DigestChallenge> PickChallenge(const SipMessage& response);

struct DigestClientCredentials {
  std::string username;
  std::string password;
};

// The header line answering `challenge` for a request (`method`, its
// Request-URI `uri`): "Authorization: Digest ...\r\n" or
// "Proxy-Authorization: ...\r\n". `nonce_count` counts requests answered
// with this nonce (1, 2, ...); `cnonce` is fresh randomness (tests fix it).
std::string AuthorizationHeader(const DigestChallenge& challenge,
                                const DigestClientCredentials& credentials, std::string_view method,
                                std::string_view uri, uint32_t nonce_count,
                                std::string_view cnonce);

// A cnonce: 64 random bits, hex.
std::string NewCnonce();

}  // namespace tutti::sip
