#include "signaling/sip/sip_transports.h"

namespace tutti::sip {

SipTransports::SipTransports(EventLoop* loop, ReceiveHandler handler)
    : loop_(loop), handler_(std::move(handler)) {}

absl::Status SipTransports::Start(const TransportOptions& options) {
  port_ = options.port;
  if (options.udp) {
    udp_ = std::make_unique<UdpTransport>(loop_, handler_);
    if (absl::Status s =
            udp_->Listen(options.listen_address, port_, options.tcp_limits.max_message_bytes);
        !s.ok()) {
      return s;
    }
    port_ = udp_->local_port();
  }
  if (options.tcp) {
    tcp_ = std::make_unique<TcpTransport>(loop_, handler_, options.tcp_limits);
    if (absl::Status s = tcp_->Listen(options.listen_address, port_); !s.ok()) return s;
    port_ = tcp_->local_port();
  }
  return absl::OkStatus();
}

void SipTransports::Send(const Destination& destination, std::string_view bytes) {
  if (destination.transport == TransportKind::kTcp) {
    if (tcp_) tcp_->Send(destination, bytes);
  } else if (udp_) {
    udp_->Send(destination.address, bytes);
  }
}

}  // namespace tutti::sip
