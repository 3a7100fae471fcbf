#include "signaling/sip/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "common/strings.h"

namespace tutti::sip {

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Status TlsSession::Outcome(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return Status::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Status::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Status::kClosed;
    case SSL_ERROR_SYSCALL:
      if (errno == 0 || ERR_peek_error() == 0) {
        error_ = errno != 0 ? std::strerror(errno) : "end of stream";
        return errno != 0 ? Status::kError : Status::kClosed;
      }
      error_ = TakeOpenSslErrors();
      return Status::kError;
    default:
      error_ = TakeOpenSslErrors();
      return Status::kError;
  }
}

TlsSession::Status TlsSession::Handshake() {
  // The error queue is per thread: leftovers of another session would make
  // SSL_get_error misreport this one.
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    established_ = true;
    return Status::kOk;
  }
  const Status status = Outcome(result);
  // A peer that goes away mid-handshake did not complete one: an error.
  return status == Status::kClosed ? Status::kError : status;
}

TlsSession::Status TlsSession::Read(char* buffer, size_t capacity, size_t* got) {
  ERR_clear_error();
  errno = 0;
  const int result = SSL_read(ssl_, buffer, static_cast<int>(std::min<size_t>(capacity, INT_MAX)));
  if (result > 0) {
    *got = static_cast<size_t>(result);
    return Status::kOk;
  }
  return Outcome(result);
}

TlsSession::Status TlsSession::Write(std::string_view bytes, size_t* written) {
  ERR_clear_error();
  errno = 0;
  const int result =
      SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX)));
  if (result > 0) {
    *written = static_cast<size_t>(result);
    return Status::kOk;
  }
  return Outcome(result);
}

void TlsSession::Shutdown() {
  if (!established_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string TlsSession::Describe() const {
  return StrCat(SSL_get_version(ssl_), " ", SSL_get_cipher_name(ssl_));
}

std::string TlsSession::PeerSubject() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  if (certificate == nullptr) return "";
  char subject[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof(subject));
  return subject;
}

}  // namespace tutti::sip
