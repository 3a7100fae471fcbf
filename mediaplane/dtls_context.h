// The process's DTLS-SRTP identity (RFC 5763): a self-signed ECDSA P-256
// certificate made in memory at start, its SHA-256 fingerprint for our SDP
// answers, and the one SSL_CTX every DTLS association of the process is made
// from. One certificate per process is what browsers and FreeSWITCH do: the
// peer checks it against the fingerprint in our SDP, not against any CA.
//
// Built once on the control thread, then only read (SSL_new from any thread
// is safe on a context nobody changes); it outlives every participant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"

// OpenSSL's types, kept opaque so users need not include OpenSSL.
struct ssl_ctx_st;
struct x509_st;
struct evp_pkey_st;

namespace tutti::media {

// The hash functions of a=fingerprint (RFC 8122 §5).
enum class FingerprintHash : uint8_t { kSha1, kSha224, kSha256, kSha384, kSha512 };
// "sha-256" -> kSha256 (lower case, as the SDP parser gives it); nullopt when unknown.
std::optional<FingerprintHash> FingerprintHashFromName(std::string_view name);

constexpr size_t kMaxFingerprintBytes = 64;  // SHA-512

// A certificate's fingerprint: fixed size, so a ParticipantSpec holding one
// copies without allocating.
struct CertificateFingerprint {
  FingerprintHash hash = FingerprintHash::kSha256;
  uint8_t size = 0;  // 0: none
  std::array<uint8_t, kMaxFingerprintBytes> digest{};

  bool empty() const { return size == 0; }
  std::span<const uint8_t> bytes() const { return {digest.data(), size}; }
  bool operator==(const CertificateFingerprint& other) const {
    return hash == other.hash && size == other.size && digest == other.digest;
  }
};
// From an SDP fingerprint (hash name, digest bytes); nullopt when the hash is
// unknown or the digest's length is not that hash's.
std::optional<CertificateFingerprint> MakeFingerprint(std::string_view hash_name,
                                                      std::span<const uint8_t> digest);
// The fingerprint of `certificate` with `hash`; nullopt if OpenSSL fails.
std::optional<CertificateFingerprint> FingerprintOf(x509_st* certificate, FingerprintHash hash);

struct DtlsOptions {
  // A leg's DTLS handshake (its RTP component) must complete within this
  // long of the leg reaching its worker, or the call is ended.
  int64_t handshake_timeout_us = 10'000'000;
};

class DtlsContext {
 public:
  // A new key pair and certificate; an error only if OpenSSL cannot make them.
  static absl::StatusOr<std::unique_ptr<DtlsContext>> Create(DtlsOptions options = {});
  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  // SHA-256 of our certificate: what our SDP's a=fingerprint says.
  const CertificateFingerprint& fingerprint() const { return fingerprint_; }
  const DtlsOptions& options() const { return options_; }
  ssl_ctx_st* ssl_ctx() const { return ctx_; }
  // Our certificate and key (a test's client end uses a second context's).
  x509_st* certificate() const { return certificate_; }
  evp_pkey_st* private_key() const { return key_; }
  // The SRTP protection profiles offered in use_srtp, best first.
  std::string_view srtp_profiles() const;

 private:
  DtlsContext() = default;

  DtlsOptions options_;
  ssl_ctx_st* ctx_ = nullptr;
  x509_st* certificate_ = nullptr;
  evp_pkey_st* key_ = nullptr;
  CertificateFingerprint fingerprint_;
};

}  // namespace tutti::media
