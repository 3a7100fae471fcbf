// SIP digest authentication, the UAS side (RFC 3261 §22 with RFC 7616's
// digest and RFC 8760's algorithms): MD5 and SHA-256, qop=auth only.
//
// Nonces are stateless: the issue time and an HMAC-SHA-256 of it under a
// random per-process secret, so any nonce tutti made can be checked without
// remembering it, a forged one is refused, and an old one is answered with
// stale=true (the client retries with a fresh nonce, not the user). Replay
// is bounded by the nonce lifetime: a captured request authenticates again
// only until its nonce expires (SIP over TLS keeps requests from being
// captured at all).
//
// `now` is any clock that is steady within the process (the event loop's):
// nonces never outlive the process, whose secret dies with it.
//
// Clients differ in what they do with two challenges: RFC 8760 clients take
// the first algorithm they know, but SIPp 3.6 reads only the first
// WWW-Authenticate and baresip 1.0 (libre 1.1) gives up at the first
// algorithm it does not know (both know only MD5; checked here): so the
// order is configurable ([sip] auth_algorithms).
//
// Secrets (passwords, HA1 values, the nonce secret) never leave this class:
// nothing here logs, and results name the user only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace tutti::sip {

enum class DigestAlgorithm { kMd5, kSha256 };

std::string_view DigestAlgorithmName(DigestAlgorithm algorithm);  // "MD5", "SHA-256"
// Case-insensitive; nullopt for others (MD5-sess, SHA-512-256...).
std::optional<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name);

// The algorithm's hash of `data`, lower-case hex (OpenSSL EVP).
std::string DigestHash(DigestAlgorithm algorithm, std::string_view data);
// HA1 = H(user:realm:password).
std::string DigestHa1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                      std::string_view password);
// RFC 7616 §3.4.1 with qop=auth:
// H(HA1:nonce:nc:cnonce:qop:H(method:uri)).
std::string DigestResponse(DigestAlgorithm algorithm, std::string_view ha1, std::string_view nonce,
                           std::string_view nc, std::string_view cnonce, std::string_view qop,
                           std::string_view method, std::string_view uri);

// One parameter of a Digest header: its name as written, its value with
// the quotes taken off and quoted-pair escapes undone.
struct DigestParam {
  std::string_view name;  // into the header value
  std::string value;
};
// The parameters of "Digest name=value, name=\"quoted, with commas\", ..."
// (an Authorization or a WWW-Authenticate value) in order; nullopt when it
// is not Digest or is malformed. Shared by both sides so they read alike.
std::optional<std::vector<DigestParam>> ParseDigestParams(std::string_view header_value);

// The parameters of an Authorization header ("Digest username=..., ...").
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  // empty: MD5 (RFC 2617's default)
  std::string cnonce;
  std::string qop;
  std::string nc;
};
// Nullopt when it is not a Digest header or a parameter is malformed.
std::optional<DigestCredentials> ParseDigestCredentials(std::string_view header_value);

// One user who may authenticate: a password, or HA1 values made without it
// (H(name:realm:password) per algorithm), so the file need not hold the
// password. A user with only ha1_md5 can authenticate with MD5 only.
struct DigestUser {
  std::string name;
  std::string password;
  std::string ha1_md5;
  std::string ha1_sha256;
};

struct DigestOptions {
  std::string realm = "tutti";
  // Offered in this order, one WWW-Authenticate each (RFC 8760 §2.4: the
  // preferred first).
  std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  absl::Duration nonce_lifetime = absl::Minutes(5);
  std::vector<DigestUser> users;
};

class DigestAuthenticator {
 public:
  // The nonce secret comes from RAND_bytes.
  explicit DigestAuthenticator(DigestOptions options);
  // A given secret (tests).
  DigestAuthenticator(DigestOptions options, std::string secret);

  enum class Outcome {
    kOk,
    kMissing,  // no credentials for our realm: challenge, not a failure
    kStale,    // right credentials on an expired nonce: challenge with stale=true
    kWrong,    // wrong response, unknown user, forged nonce, algorithm not offered
  };
  struct Result {
    Outcome outcome = Outcome::kMissing;
    std::string user;  // kOk: who
  };
  // `authorization`: the request's Authorization header value, empty if none.
  Result Verify(std::string_view method, std::string_view authorization, absl::Time now) const;

  // The WWW-Authenticate values for a 401, in the configured order.
  std::vector<std::string> Challenges(absl::Time now, bool stale) const;

  std::string MakeNonce(absl::Time now) const;
  const std::string& realm() const { return options_.realm; }

  // New users, realm, algorithms and nonce lifetime from a reloaded
  // configuration (issue 19), for the next challenge and the next answer:
  // a user removed cannot authenticate any more, a changed password counts
  // from now. The secret stays, so nonces issued before stay valid (while
  // the realm is the same: a nonce is bound to its realm, and an answer for
  // the old realm is met with a fresh challenge for the new one).
  void Reconfigure(DigestOptions options);

 private:
  // The nonce's issue time when tutti made it, nullopt when forged.
  std::optional<absl::Time> NonceTime(std::string_view nonce) const;
  std::string NonceMac(std::string_view timestamp_hex) const;
  // The user's HA1 for `algorithm`, empty when it has none.
  std::string Ha1(const DigestUser& user, DigestAlgorithm algorithm) const;

  DigestOptions options_;
  std::string secret_;
  absl::flat_hash_map<std::string, size_t> users_by_name_;
};

}  // namespace tutti::sip
