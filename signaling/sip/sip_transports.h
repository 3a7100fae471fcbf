// The SIP transports tuttid listens on (UDP and/or TCP on one port, TLS on a
// port of its own, each on every listen address), behind one MessageSender.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/event_loop.h"
#include "signaling/sip/tcp_transport.h"
#include "signaling/sip/tls_context.h"
#include "signaling/sip/transport.h"
#include "signaling/sip/udp_transport.h"

namespace tutti::sip {

struct TransportOptions {
  // IPv4 and IPv6 literals; "0.0.0.0" every IPv4 address, "::" every IPv6
  // one (IPv6 only: list both for both).
  std::vector<std::string> listen_addresses = {"127.0.0.1"};
  uint16_t port = 5060;  // 0: any free port (tests); UDP picks, TCP follows
  bool udp = true;
  bool tcp = true;
  bool tls = false;
  uint16_t tls_port = 5061;  // 0: any free port
  TlsOptions tls_options;
  TcpLimits tcp_limits;  // TCP and TLS alike, each transport on its own
};

class SipTransports : public MessageSender {
 public:
  SipTransports(EventLoop* loop, ReceiveHandler handler);

  absl::Status Start(const TransportOptions& options);
  void Send(const Destination& destination, std::string_view bytes) override;
  // Re-reads the TLS certificate, key and CA files (on SIGHUP): new
  // connections get them, open ones keep theirs; on error nothing changes.
  absl::Status ReloadTls();
  // A reload's [sip] connection limits for TCP and TLS alike
  // (TcpTransport::set_limits: no connection is closed for it).
  void SetTcpLimits(const TcpLimits& limits);
  // Connections from sources [sip] allow / deny refuses are closed on accept.
  void set_source_filter(const SourceFilter* filter);

  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_ ? tls_->local_port() : 0; }
  UdpTransport* udp() { return udp_.get(); }
  TcpTransport* tcp() { return tcp_.get(); }
  TcpTransport* tls() { return tls_.get(); }
  const TcpTransport* tcp() const { return tcp_.get(); }
  const TcpTransport* tls() const { return tls_.get(); }
  const TlsContext* tls_context() const { return tls_context_.get(); }

 private:
  EventLoop* loop_;
  ReceiveHandler handler_;
  std::unique_ptr<UdpTransport> udp_;
  std::unique_ptr<TcpTransport> tcp_;
  std::unique_ptr<TlsContext> tls_context_;  // declared before tls_, which uses it
  std::unique_ptr<TcpTransport> tls_;
  uint16_t port_ = 0;
};

}  // namespace tutti::sip
