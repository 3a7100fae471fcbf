// One TLS session over a non-blocking socket, with OpenSSL's "want read /
// want write" folded into four outcomes the stream transport acts on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "signaling/sip/tls_context.h"

namespace tutti::sip {

class TlsSession {
 public:
  enum class Status {
    kOk,         // done (handshake finished, bytes read or written)
    kWantRead,   // wait for the socket to be readable, then call again
    kWantWrite,  // wait for it to be writable, then call again
    kClosed,     // the peer closed (close_notify or end of stream)
    kError,      // a protocol or socket error: error() says which; close
  };

  // Takes ownership of ssl (from TlsContext::NewSession).
  explicit TlsSession(SSL* ssl) : ssl_(ssl) {}
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  Status Handshake();
  bool established() const { return established_; }
  // Up to `capacity` bytes into `buffer`; *got set on kOk.
  Status Read(char* buffer, size_t capacity, size_t* got);
  // Some of `bytes` (a partial write is kOk with *written < size); the same
  // leading bytes must be offered again after kWantRead/kWantWrite.
  Status Write(std::string_view bytes, size_t* written);
  // Sends close_notify if it can without blocking; for a clean close.
  void Shutdown();

  const std::string& error() const { return error_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384" once established.
  std::string Describe() const;
  // The client certificate's subject, "" without one.
  std::string PeerSubject() const;

 private:
  Status Outcome(int result);

  SSL* ssl_;
  bool established_ = false;
  std::string error_;
};

}  // namespace tutti::sip
