// SIP over TCP (RFC 3261 §18): messages framed by Content-Length, responses on
// the connection the request came in on, outgoing requests reusing an open
// connection to the peer (or opening one), limits on message size, on
// connections in all and per source address, and an idle timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "signaling/common/event_loop.h"
#include "signaling/sip/stream_framer.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

struct TcpLimits {
  size_t max_message_bytes = 65535;
  int max_connections = 1024;
  int max_connections_per_source = 32;
  absl::Duration idle_timeout = absl::Minutes(5);
  size_t max_pending_output_bytes = 4 << 20;
};

class TcpTransport {
 public:
  TcpTransport(EventLoop* loop, ReceiveHandler handler, TcpLimits limits);
  ~TcpTransport();
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  absl::Status Listen(const std::string& ip, uint16_t port);
  // Uses destination.connection_id if still open, else any open connection to
  // the address, else connects.
  void Send(const Destination& destination, std::string_view bytes);

  uint16_t local_port() const { return local_port_; }
  size_t open_connections() const { return connections_.size(); }
  uint64_t refused_connections() const { return refused_connections_; }
  uint64_t framing_errors() const { return framing_errors_; }

 private:
  struct Connection {
    uint64_t id;
    int fd;
    SocketAddress peer;
    StreamFramer framer;
    std::string output;
    bool connecting = false;
    absl::Time last_activity;
  };

  void OnAcceptable();
  void OnConnectionEvent(uint64_t id, uint32_t events);
  void ReadFrom(Connection& connection);
  void Flush(Connection& connection);
  Connection* Register(int fd, const SocketAddress& peer, bool connecting);
  void Close(uint64_t id, std::string_view why);
  void SweepIdle();

  EventLoop* loop_;
  ReceiveHandler handler_;
  TcpLimits limits_;
  int listen_fd_ = -1;
  uint16_t local_port_ = 0;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  absl::flat_hash_map<SocketAddress, uint64_t> by_peer_;
  absl::flat_hash_map<std::string, int> per_source_ip_;
  EventLoop::TimerId sweep_timer_ = 0;
  uint64_t refused_connections_ = 0;
  uint64_t framing_errors_ = 0;
};

}  // namespace tutti::sip
