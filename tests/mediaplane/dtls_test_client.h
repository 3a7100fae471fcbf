// A DTLS-SRTP client end for tests, written straight on OpenSSL (not on
// tutti's classes): a phone's side of the handshake over memory BIOs, with
// its own self-signed certificate (a second DtlsContext's), exporting its
// SRTP keys the RFC 5764 way.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mediaplane/dtls_context.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/srtp_session.h"

namespace tutti::media::testing {

class DtlsTestClient {
 public:
  // `profiles` as for SSL_set_tlsext_use_srtp ("" offers no use_srtp);
  // `identity` null presents no certificate.
  DtlsTestClient(const DtlsContext* identity, const std::string& profiles) {
    ctx_ = SSL_CTX_new(DTLS_client_method());
    if (identity != nullptr) {
      SSL_CTX_use_certificate(ctx_, identity->certificate());
      SSL_CTX_use_PrivateKey(ctx_, identity->private_key());
    }
    // The test checks the server's certificate by fingerprint itself.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    if (!profiles.empty()) SSL_CTX_set_tlsext_use_srtp(ctx_, profiles.c_str());
    SSL_CTX_set_read_ahead(ctx_, 1);
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    BIO_set_mem_eof_return(out_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    // A flight then fits one read of the memory BIO (its records run together).
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_, 1200);
  }
  ~DtlsTestClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // Runs the client's side as far as it goes; returns what it wants sent,
  // one datagram per flight (records of a flight may share a datagram).
  std::vector<std::vector<uint8_t>> Step() {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      done_ = true;
    } else if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) {
      failed_ = true;
    }
    ERR_clear_error();
    return TakeOutput();
  }
  std::vector<std::vector<uint8_t>> TakeOutput() {
    std::vector<std::vector<uint8_t>> datagrams;
    std::array<uint8_t, kMaxDatagramBytes> buffer;
    int n;
    while ((n = BIO_read(out_, buffer.data(), static_cast<int>(buffer.size()))) > 0) {
      datagrams.emplace_back(buffer.begin(), buffer.begin() + n);
    }
    return datagrams;
  }
  void Receive(std::span<const uint8_t> datagram) {
    BIO_write(in_, datagram.data(), static_cast<int>(datagram.size()));
  }

  bool done() const { return done_; }
  bool failed() const { return failed_; }

  // The client's view of the SRTP keys (local: the client's).
  SrtpKeys Keys() const {
    SrtpKeys keys;
    const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_);
    if (profile == nullptr) return keys;
    size_t salt = 14;
    switch (profile->id) {
      case SRTP_AES128_CM_SHA1_80:
        keys.suite = SrtpSuite::kAesCm128HmacSha1_80;
        break;
      case SRTP_AES128_CM_SHA1_32:
        keys.suite = SrtpSuite::kAesCm128HmacSha1_32;
        break;
      case SRTP_AEAD_AES_128_GCM:
        keys.suite = SrtpSuite::kAeadAes128Gcm;
        salt = 12;
        break;
      default:
        return keys;
    }
    std::array<uint8_t, 60> material{};
    const size_t total = 2 * (16 + salt);
    SSL_export_keying_material(ssl_, material.data(), total, "EXTRACTOR-dtls_srtp", 19, nullptr, 0,
                               0);
    std::memcpy(keys.local.data(), material.data(), 16);                      // client key
    std::memcpy(keys.local.data() + 16, material.data() + 32, salt);          // client salt
    std::memcpy(keys.remote.data(), material.data() + 16, 16);                // server key
    std::memcpy(keys.remote.data() + 16, material.data() + 32 + salt, salt);  // server salt
    return keys;
  }

  // SHA-256 of the certificate the server presented.
  std::optional<CertificateFingerprint> ServerFingerprint() const {
    return FingerprintOf(SSL_get0_peer_certificate(ssl_), FingerprintHash::kSha256);
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace tutti::media::testing
