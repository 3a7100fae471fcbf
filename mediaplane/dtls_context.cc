#include "mediaplane/dtls_context.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mediaplane/srtp_session.h"

namespace tutti::media {
namespace {

const EVP_MD* DigestOf(FingerprintHash hash) {
  switch (hash) {
    case FingerprintHash::kSha1:
      return EVP_sha1();
    case FingerprintHash::kSha224:
      return EVP_sha224();
    case FingerprintHash::kSha256:
      return EVP_sha256();
    case FingerprintHash::kSha384:
      return EVP_sha384();
    case FingerprintHash::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

// GCM first where libsrtp can do it (it is the stronger and cheaper suite);
// the peer's list decides among what both have (OpenSSL picks by ours).
constexpr std::string_view kProfilesWithGcm =
    "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";
constexpr std::string_view kProfiles = "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";

absl::Status OpenSslError(std::string_view what) {
  return absl::InternalError(std::string("DTLS certificate: ") + std::string(what) + " failed");
}

}  // namespace

std::optional<FingerprintHash> FingerprintHashFromName(std::string_view name) {
  if (name == "sha-1") return FingerprintHash::kSha1;
  if (name == "sha-224") return FingerprintHash::kSha224;
  if (name == "sha-256") return FingerprintHash::kSha256;
  if (name == "sha-384") return FingerprintHash::kSha384;
  if (name == "sha-512") return FingerprintHash::kSha512;
  return std::nullopt;
}

std::optional<CertificateFingerprint> MakeFingerprint(std::string_view hash_name,
                                                      std::span<const uint8_t> digest) {
  const std::optional<FingerprintHash> hash = FingerprintHashFromName(hash_name);
  if (!hash) return std::nullopt;
  if (digest.size() != static_cast<size_t>(EVP_MD_get_size(DigestOf(*hash)))) return std::nullopt;
  CertificateFingerprint fingerprint;
  fingerprint.hash = *hash;
  fingerprint.size = static_cast<uint8_t>(digest.size());
  std::copy(digest.begin(), digest.end(), fingerprint.digest.begin());
  return fingerprint;
}

std::optional<CertificateFingerprint> FingerprintOf(x509_st* certificate, FingerprintHash hash) {
  CertificateFingerprint fingerprint;
  fingerprint.hash = hash;
  unsigned int size = 0;
  if (certificate == nullptr ||
      X509_digest(certificate, DigestOf(hash), fingerprint.digest.data(), &size) != 1 ||
      size == 0 || size > kMaxFingerprintBytes) {
    return std::nullopt;
  }
  fingerprint.size = static_cast<uint8_t>(size);
  return fingerprint;
}

absl::StatusOr<std::unique_ptr<DtlsContext>> DtlsContext::Create(DtlsOptions options) {
  std::unique_ptr<DtlsContext> context(new DtlsContext());
  context->options_ = options;

  // ECDSA P-256: small (the whole server flight fits one datagram), fast to
  // sign, and what every WebRTC stack accepts.
  context->key_ = EVP_EC_gen("P-256");
  if (context->key_ == nullptr) return OpenSslError("EC key generation");

  X509* certificate = X509_new();
  context->certificate_ = certificate;
  if (certificate == nullptr) return OpenSslError("X509_new");
  // A random 64-bit serial: two runs never present the same one.
  BIGNUM* serial = BN_new();
  const bool serial_ok = serial != nullptr &&
                         BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                         BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nullptr;
  BN_free(serial);
  if (!serial_ok) return OpenSslError("serial number");
  X509_NAME* name = X509_get_subject_name(certificate);
  // Valid from a day ago (clock skew) for a year; peers check the
  // fingerprint, and a browser-style short life gains nothing here.
  if (X509_set_version(certificate, 2) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(certificate), -24 * 3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(certificate), 365L * 24 * 3600) == nullptr ||
      X509_set_pubkey(certificate, context->key_) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("tutti"), -1, -1, 0) != 1 ||
      X509_set_issuer_name(certificate, name) != 1 ||
      X509_sign(certificate, context->key_, EVP_sha256()) == 0) {
    return OpenSslError("self-signing");
  }
  std::optional<CertificateFingerprint> fingerprint =
      FingerprintOf(certificate, FingerprintHash::kSha256);
  if (!fingerprint) return OpenSslError("fingerprint");
  context->fingerprint_ = *fingerprint;

  // DTLS_method: either role; each session says which it plays.
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  context->ctx_ = ctx;
  if (ctx == nullptr) return OpenSslError("SSL_CTX_new");
  if (SSL_CTX_use_certificate(ctx, certificate) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, context->key_) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return OpenSslError("installing the certificate");
  }
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1) {
    return OpenSslError("DTLS 1.2 minimum");
  }
  // No session cache and no tickets: a resumed session would skip the
  // peer's certificate, and with it the fingerprint check.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_read_ahead(ctx, 1);
  // Returns 0 on success (sic).
  if (SSL_CTX_set_tlsext_use_srtp(ctx, context->srtp_profiles().data()) != 0) {
    return OpenSslError("use_srtp profiles");
  }
  return context;
}

std::string_view DtlsContext::srtp_profiles() const {
  return SrtpSuiteSupported(SrtpSuite::kAeadAes128Gcm) ? kProfilesWithGcm : kProfiles;
}

DtlsContext::~DtlsContext() {
  SSL_CTX_free(ctx_);
  X509_free(certificate_);
  EVP_PKEY_free(key_);
}

}  // namespace tutti::media
