// The OpenSSL side of SIP over TLS (RFC 3261 §26.2, RFC 5630): one SSL_CTX
// built from the [sip] tls_* settings (certificate chain, private key,
// optional CA for client certificates, TLS 1.2 or later, a cipher list),
// and a reload that swaps in a new one built from the same files. A failed
// reload keeps the context in use, so a bad file never takes TLS down.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace tutti::sip {

struct TlsOptions {
  std::string certificate;  // PEM: our certificate, then any intermediates
  std::string private_key;  // PEM
  std::string ca_file;      // PEM: CAs that may sign client certificates ("" none)
  bool verify_client = false;
  std::string ciphers = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!PSK:!SRP:!CAMELLIA:!ARIA";
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

class TlsContext {
 public:
  // Reads the files; an error names the file and OpenSSL's reason.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(TlsOptions options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Re-reads certificate, key and CA. On error the current context stays.
  // Connections keep the context they started with (an SSL holds a
  // reference to its SSL_CTX); new ones get the new certificate.
  absl::Status Reload();

  // A new server-side (accepted) or client-side (outgoing) session on fd;
  // nullptr only when OpenSSL is out of memory.
  SSL* NewSession(int fd, bool server) const;

  const TlsOptions& options() const { return options_; }
  // "CN=..., expires ..." of the certificate in use, for the log.
  const std::string& certificate_summary() const { return summary_; }

 private:
  explicit TlsContext(TlsOptions options) : options_(std::move(options)) {}
  static absl::StatusOr<SSL_CTX*> Build(const TlsOptions& options, std::string* summary);

  TlsOptions options_;
  SSL_CTX* ctx_ = nullptr;
  std::string summary_;
};

// OpenSSL's queued errors as one line (and the queue emptied).
std::string TakeOpenSslErrors();

}  // namespace tutti::sip
