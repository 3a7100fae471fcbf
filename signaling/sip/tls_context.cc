#include "signaling/sip/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/strings.h"

namespace tutti::sip {

std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string("no OpenSSL error queued") : text;
}

namespace {

std::string Summarize(SSL_CTX* ctx) {
  X509* certificate = SSL_CTX_get0_certificate(ctx);
  if (certificate == nullptr) return "";
  char subject[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof(subject));
  std::string expires;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(certificate)) == 1) {
      char* data = nullptr;
      const long length = BIO_get_mem_data(bio, &data);
      expires.assign(data, static_cast<size_t>(length));
    }
    BIO_free(bio);
  }
  return StrCat(subject, ", expires ", expires);
}

}  // namespace

absl::StatusOr<SSL_CTX*> TlsContext::Build(const TlsOptions& options, std::string* summary) {
  ERR_clear_error();
  // TLS_method: the same context serves accepted connections and the rare
  // outgoing one (a request to a peer whose connection has closed).
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return absl::InternalError(StrCat("SSL_CTX_new: ", TakeOpenSslErrors()));
  auto fail = [ctx](std::string what) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(StrCat(what, ": ", TakeOpenSslErrors()));
  };
  const int min_version = options.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) return fail("TLS minimum version");
  // No compression (CRIME), no renegotiation (a cheap CPU drain for a
  // client), our cipher order, and a peer that closes without close_notify
  // is an ordinary close, not an error to log.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes from a buffer that moves (the output string is consumed
  // from its front), and buffers released while a connection is idle: a
  // thousand idle TLS connections should not hold 34 KiB of buffers each.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    return fail(StrCat("tls_ciphers \"", options.ciphers, "\""));
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, options.certificate.c_str()) != 1) {
    return fail(StrCat("tls_certificate ", options.certificate));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(StrCat("tls_private_key ", options.private_key));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(
        StrCat("tls_private_key ", options.private_key, " does not match ", options.certificate));
  }
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return fail(StrCat("tls_ca_file ", options.ca_file));
    }
    if (options.verify_client) {
      // The CA names go into the CertificateRequest so a client with several
      // certificates picks the right one.
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str())) {
        SSL_CTX_set_client_CA_list(ctx, names);
      }
    }
  }
  SSL_CTX_set_verify(
      ctx,
      options.verify_client ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
      nullptr);
  // No session cache: clients of a bridge hold one long connection, and a
  // cache is memory a flood of handshakes could fill.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  *summary = Summarize(ctx);
  return ctx;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(TlsOptions options) {
  std::unique_ptr<TlsContext> context(new TlsContext(std::move(options)));
  absl::StatusOr<SSL_CTX*> ctx = Build(context->options_, &context->summary_);
  if (!ctx.ok()) return ctx.status();
  context->ctx_ = *ctx;
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::Status TlsContext::Reload() {
  std::string summary;
  absl::StatusOr<SSL_CTX*> ctx = Build(options_, &summary);
  if (!ctx.ok()) return ctx.status();
  SSL_CTX_free(ctx_);  // sessions still open hold their own reference
  ctx_ = *ctx;
  summary_ = std::move(summary);
  return absl::OkStatus();
}

SSL* TlsContext::NewSession(int fd, bool server) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    // Outgoing: check the peer against tls_ca_file when there is one. A
    // bridge calls back the phones that called it, often with self-signed
    // certificates, so without a CA the peer is not verified.
    SSL_set_verify(ssl, options_.ca_file.empty() ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
    SSL_set_connect_state(ssl);
  }
  return ssl;
}

}  // namespace tutti::sip
