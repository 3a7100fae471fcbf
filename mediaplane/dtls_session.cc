#include "mediaplane/dtls_session.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace tutti::media {
namespace {

// RFC 5764 §4.1.2 (and RFC 7714 §14.2 for GCM): what a profile's SRTP
// master key and salt are.
struct ProfileKeys {
  SrtpSuite suite = SrtpSuite::kNone;
  size_t key = 16;
  size_t salt = 14;
};

ProfileKeys KeysOf(unsigned long profile_id) {
  switch (profile_id) {
    case SRTP_AES128_CM_SHA1_80:
      return {SrtpSuite::kAesCm128HmacSha1_80, 16, 14};
    case SRTP_AES128_CM_SHA1_32:
      return {SrtpSuite::kAesCm128HmacSha1_32, 16, 14};
    case SRTP_AEAD_AES_128_GCM:
      return {SrtpSuite::kAeadAes128Gcm, 16, 12};
    default:
      return {};
  }
}

// The write side: a BIO that keeps each datagram OpenSSL writes apart (a
// memory BIO would run a flight's records together, and DTLS needs the
// datagram boundaries it chose for the MTU).
int OutWrite(BIO* bio, const char* data, int size) {
  auto* session = static_cast<DtlsSession*>(BIO_get_data(bio));
  if (session == nullptr || size < 0 ||
      !session->QueueOutgoing(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size))) {
    return -1;
  }
  return size;
}

long OutCtrl(BIO* /*bio*/, int command, long /*arg*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return DtlsSession::kMtu;
    default:
      return 0;  // pending: nothing; no peer address, no socket options
  }
}

int OutCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* OutMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tutti DTLS datagrams");
    if (m != nullptr) {
      BIO_meth_set_write(m, OutWrite);
      BIO_meth_set_ctrl(m, OutCtrl);
      BIO_meth_set_create(m, OutCreate);
    }
    return m;
  }();
  return method;
}

// The peer's certificate is self-signed: what vouches for it is the
// fingerprint in its SDP (RFC 5763 §5), checked on the leaf.
int VerifyPeer(int /*preverified*/, X509_STORE_CTX* store) {
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* session = ssl == nullptr ? nullptr : static_cast<DtlsSession*>(SSL_get_app_data(ssl));
  if (session == nullptr) return 0;
  return session->CheckPeer(X509_STORE_CTX_get_current_cert(store)) ? 1 : 0;
}

}  // namespace

std::string_view DtlsFailureName(DtlsSession::Failure failure) {
  switch (failure) {
    case DtlsSession::Failure::kNone:
      return "none";
    case DtlsSession::Failure::kHandshake:
      return "handshake failed";
    case DtlsSession::Failure::kFingerprintMismatch:
      return "certificate does not match the SDP fingerprint";
    case DtlsSession::Failure::kTimedOut:
      return "handshake timed out";
    case DtlsSession::Failure::kOverLimit:
      return "handshake over its bounds";
  }
  return "none";
}

std::unique_ptr<DtlsSession> DtlsSession::CreateServer(const DtlsContext& context,
                                                       const CertificateFingerprint& expected) {
  BIO_METHOD* out_method = OutMethod();
  if (out_method == nullptr || context.ssl_ctx() == nullptr || expected.empty()) return nullptr;
  std::unique_ptr<DtlsSession> session(new DtlsSession());
  session->expected_ = expected;
  session->timeout_us_ = context.options().handshake_timeout_us;
  session->ssl_ = SSL_new(context.ssl_ctx());
  if (session->ssl_ == nullptr) return nullptr;
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(out_method);
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return nullptr;
  }
  // An empty input is "try again", not end of file.
  BIO_set_mem_eof_return(in, -1);
  BIO_set_data(out, session.get());
  SSL_set_bio(session->ssl_, in, out);  // the SSL owns both now
  session->in_ = in;
  SSL_set_app_data(session->ssl_, session.get());
  SSL_set_accept_state(session->ssl_);
  SSL_set_mtu(session->ssl_, kMtu);
  // RFC 5763 §5: the client must present a certificate, whose fingerprint
  // is then checked; a renegotiation would only be a way to change it.
  SSL_set_verify(session->ssl_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, VerifyPeer);
  SSL_set_options(session->ssl_, SSL_OP_NO_RENEGOTIATION);
  ERR_clear_error();
  return session;
}

DtlsSession::~DtlsSession() {
  SSL_free(ssl_);
  OPENSSL_cleanse(&keys_, sizeof(keys_));
}

std::span<const uint8_t> DtlsSession::outgoing(size_t i) const {
  if (i >= outgoing_count_) return {};
  return {outgoing_buffer_.data() + outgoing_offset_[i], outgoing_size_[i]};
}

bool DtlsSession::QueueOutgoing(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxDatagramBytes || outgoing_count_ == kMaxOutgoingDatagrams ||
      outgoing_bytes_ + size > kMaxOutgoingBytes) {
    return false;
  }
  std::memcpy(outgoing_buffer_.data() + outgoing_bytes_, data, size);
  outgoing_offset_[outgoing_count_] = static_cast<uint16_t>(outgoing_bytes_);
  outgoing_size_[outgoing_count_] = static_cast<uint16_t>(size);
  ++outgoing_count_;
  outgoing_bytes_ += size;
  return true;
}

bool DtlsSession::CheckPeer(x509_st* certificate) {
  const std::optional<CertificateFingerprint> seen = FingerprintOf(certificate, expected_.hash);
  const bool match = seen && *seen == expected_;
  if (!match) mismatch_ = true;
  return match;
}

DtlsSession::State DtlsSession::Fail(Failure failure) {
  state_ = State::kFailed;
  failure_ = failure;
  ERR_clear_error();
  return state_;
}

DtlsSession::State DtlsSession::OnDatagram(std::span<const uint8_t> datagram, int64_t now_us) {
  if (state_ == State::kFailed) return state_;
  if (deadline_us_ < 0) deadline_us_ = now_us + timeout_us_;
  if (datagram.empty() || datagram.size() > kMaxDatagramBytes) return state_;
  // Whatever the last call left unread goes: at most one datagram is ever
  // buffered on the way in.
  BIO_reset(in_);
  if (BIO_write(in_, datagram.data(), static_cast<int>(datagram.size())) !=
      static_cast<int>(datagram.size())) {
    return Fail(Failure::kHandshake);
  }
  if (state_ == State::kConnected) {
    // Retransmitted client flights are answered inside SSL_read; data and
    // a close_notify are of no use (the call ends by SIP).
    std::array<uint8_t, kMaxDatagramBytes> discard;
    while (SSL_read(ssl_, discard.data(), static_cast<int>(discard.size())) > 0) {
    }
    ERR_clear_error();
    return state_;
  }
  if (++datagrams_in_ > kMaxHandshakeDatagrams) return Fail(Failure::kOverLimit);
  return Advance();
}

DtlsSession::State DtlsSession::Advance() {
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    if (!ExportKeys()) return Fail(mismatch_ ? Failure::kFingerprintMismatch : Failure::kHandshake);
    state_ = State::kConnected;
    ERR_clear_error();
    return state_;
  }
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ) {
    ERR_clear_error();
    return state_;
  }
  if (mismatch_) return Fail(Failure::kFingerprintMismatch);
  // The write BIO refusing a flight over the bounds shows as a syscall error.
  return Fail(outgoing_count_ == kMaxOutgoingDatagrams ? Failure::kOverLimit : Failure::kHandshake);
}

DtlsSession::State DtlsSession::OnTimer(int64_t now_us) {
  if (state_ != State::kHandshaking) return state_;
  if (deadline_us_ < 0) deadline_us_ = now_us + timeout_us_;
  if (now_us >= deadline_us_) return Fail(Failure::kTimedOut);
  // Retransmits the last flight once OpenSSL's own timer (1 s, doubling)
  // ran out; 0 when it did not. Negative after too many tries.
  if (DTLSv1_handle_timeout(ssl_) < 0) return Fail(Failure::kTimedOut);
  ERR_clear_error();
  return state_;
}

bool DtlsSession::ExportKeys() {
  // The verify callback ran on the certificate; check again what the
  // session ended up with (it must be there: FAIL_IF_NO_PEER_CERT).
  if (!CheckPeer(SSL_get0_peer_certificate(ssl_))) return false;
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_);
  if (profile == nullptr) return false;  // the client offered no use_srtp we share
  const ProfileKeys sizes = KeysOf(profile->id);
  if (sizes.suite == SrtpSuite::kNone) return false;
  // RFC 5764 §4.2: client key | server key | client salt | server salt.
  std::array<uint8_t, 2 * kSrtpMaxMasterLength> material{};
  const size_t total = 2 * (sizes.key + sizes.salt);
  static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl_, material.data(), total, kLabel, sizeof(kLabel) - 1, nullptr,
                                 0, 0) != 1) {
    return false;
  }
  const uint8_t* client_key = material.data();
  const uint8_t* server_key = client_key + sizes.key;
  const uint8_t* client_salt = server_key + sizes.key;
  const uint8_t* server_salt = client_salt + sizes.salt;
  keys_.suite = sizes.suite;
  // We are the server: we send with the server's key, the client with its own.
  std::memcpy(keys_.local.data(), server_key, sizes.key);
  std::memcpy(keys_.local.data() + sizes.key, server_salt, sizes.salt);
  std::memcpy(keys_.remote.data(), client_key, sizes.key);
  std::memcpy(keys_.remote.data() + sizes.key, client_salt, sizes.salt);
  OPENSSL_cleanse(material.data(), material.size());
  return true;
}

}  // namespace tutti::media
