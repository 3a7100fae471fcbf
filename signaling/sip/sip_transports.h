// The SIP transports tuttid listens on (UDP and/or TCP on one address and
// port), behind one MessageSender.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "signaling/common/event_loop.h"
#include "signaling/sip/tcp_transport.h"
#include "signaling/sip/transport.h"
#include "signaling/sip/udp_transport.h"

namespace tutti::sip {

struct TransportOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 5060;  // 0: any free port (tests); UDP picks, TCP follows
  bool udp = true;
  bool tcp = true;
  TcpLimits tcp_limits;
};

class SipTransports : public MessageSender {
 public:
  SipTransports(EventLoop* loop, ReceiveHandler handler);

  absl::Status Start(const TransportOptions& options);
  void Send(const Destination& destination, std::string_view bytes) override;

  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }
  UdpTransport* udp() { return udp_.get(); }
  TcpTransport* tcp() { return tcp_.get(); }

 private:
  EventLoop* loop_;
  ReceiveHandler handler_;
  std::unique_ptr<UdpTransport> udp_;
  std::unique_ptr<TcpTransport> tcp_;
  uint16_t port_ = 0;
};

}  // namespace tutti::sip
