#include "signaling/sip/sip_transports.h"

namespace tutti::sip {

SipTransports::SipTransports(EventLoop* loop, ReceiveHandler handler)
    : loop_(loop), handler_(std::move(handler)) {}

absl::Status SipTransports::Start(const TransportOptions& options) {
  port_ = options.port;
  if (options.udp) {
    udp_ = std::make_unique<UdpTransport>(loop_, handler_);
    if (absl::Status s =
            udp_->Listen(options.listen_addresses, port_, options.tcp_limits.max_message_bytes);
        !s.ok()) {
      return s;
    }
    port_ = udp_->local_port();
  }
  if (options.tcp) {
    tcp_ = std::make_unique<TcpTransport>(loop_, handler_, options.tcp_limits);
    if (absl::Status s = tcp_->Listen(options.listen_addresses, port_); !s.ok()) return s;
    port_ = tcp_->local_port();
  }
  if (options.tls) {
    absl::StatusOr<std::unique_ptr<TlsContext>> context = TlsContext::Create(options.tls_options);
    if (!context.ok()) return context.status();
    tls_context_ = std::move(*context);
    tls_ = std::make_unique<TcpTransport>(loop_, handler_, options.tcp_limits, TransportKind::kTls,
                                          tls_context_.get());
    if (absl::Status s = tls_->Listen(options.listen_addresses, options.tls_port); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status SipTransports::ReloadTls() {
  if (!tls_context_) return absl::FailedPreconditionError("TLS is not on");
  return tls_context_->Reload();
}

void SipTransports::SetTcpLimits(const TcpLimits& limits) {
  if (tcp_) tcp_->set_limits(limits);
  if (tls_) tls_->set_limits(limits);
}

void SipTransports::Send(const Destination& destination, std::string_view bytes) {
  switch (destination.transport) {
    case TransportKind::kTcp:
      if (tcp_) tcp_->Send(destination, bytes);
      break;
    case TransportKind::kTls:
      // Never downgraded: without TLS, a message meant for TLS is not sent.
      if (tls_) tls_->Send(destination, bytes);
      break;
    case TransportKind::kUdp:
      if (udp_) udp_->Send(destination.address, bytes, destination.local);
      break;
  }
}

void SipTransports::set_source_filter(const SourceFilter* filter) {
  if (tcp_) tcp_->set_source_filter(filter);
  if (tls_) tls_->set_source_filter(filter);
}

}  // namespace tutti::sip
