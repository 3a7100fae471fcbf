// SIP over TCP and over TLS (RFC 3261 §18, §26.2): messages framed by
// Content-Length, responses on the connection the request came in on,
// outgoing requests reusing an open connection to the peer (or opening one),
// limits on message size, on connections in all and per source address, on
// idle time, on the time one message may take to arrive (slowloris), and on
// the TLS handshake. With a TlsContext every connection is a TLS session;
// the framing and the limits are the same.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/event_loop.h"
#include "common/log_rate_limit.h"
#include "signaling/sip/ip_prefix.h"
#include "signaling/sip/source_filter.h"
#include "signaling/sip/stream_framer.h"
#include "signaling/sip/tls_context.h"
#include "signaling/sip/tls_session.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

struct TcpLimits {
  size_t max_message_bytes = 65535;
  int max_connections = 1024;
  int max_connections_per_source = 32;
  absl::Duration idle_timeout = absl::Minutes(5);
  // From the first byte of a message to its last; also from an accepted
  // connection's start (or its TLS handshake's end) to its first message.
  // A deadline per message, not per byte: a byte every few seconds must not
  // hold a connection (slowloris).
  absl::Duration message_timeout = absl::Seconds(5);
  // From accept (or connect) to a finished TLS handshake.
  absl::Duration handshake_timeout = absl::Seconds(5);
  size_t max_pending_output_bytes = 4 << 20;
};

// Why connections were closed or refused, for /metrics.
struct StreamCounters {
  uint64_t accepted = 0;
  uint64_t refused = 0;           // at the connection limits
  uint64_t denied = 0;            // source not allowed by [sip] allow / deny
  uint64_t framing_errors = 0;    // unframeable stream
  uint64_t message_timeouts = 0;  // a message (or the first one) took too long
  uint64_t idle_timeouts = 0;
  uint64_t fd_exhausted = 0;        // accept() found no file descriptor left
  uint64_t handshake_failures = 0;  // TLS: not TLS, bad version, bad client certificate...
  uint64_t handshake_timeouts = 0;  // TLS: no finished handshake in time
};

class TcpTransport {
 public:
  // kind is kTcp, or kTls with a context (not owned; outlives the transport).
  TcpTransport(EventLoop* loop, ReceiveHandler handler, TcpLimits limits,
               TransportKind kind = TransportKind::kTcp, const TlsContext* tls = nullptr);
  ~TcpTransport();
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Listens on each address, on one port (port 0: the first picks a free
  // one and the others take it). IPv6 sockets are IPv6 only (IPV6_V6ONLY).
  // The limits are the transport's, whichever address a connection came to.
  absl::Status Listen(const std::vector<std::string>& ips, uint16_t port);
  // [sip] allow / deny (not owned; outlives the transport): a connection from a
  // refused source is closed as soon as it is accepted, before it costs a
  // buffer, a TLS handshake or a place under the connection limits.
  void set_source_filter(const SourceFilter* filter) { source_filter_ = filter; }
  // New limits from a reloaded configuration (issue 19), without closing a
  // connection: the connection bounds hold for the next accept (open
  // connections past a lowered bound stay until they close), the idle and
  // handshake timeouts from the next sweep, the message timeout from the
  // next message, the message size for connections opened from now.
  void set_limits(const TcpLimits& limits);
  // Uses destination.connection_id if still open, else any open connection to
  // the address, else connects.
  void Send(const Destination& destination, std::string_view bytes);

  TransportKind kind() const { return kind_; }
  uint16_t local_port() const { return local_port_; }
  size_t open_connections() const { return connections_.size(); }
  uint64_t refused_connections() const { return counters_.refused; }
  uint64_t framing_errors() const { return counters_.framing_errors; }
  const StreamCounters& counters() const { return counters_; }

 private:
  struct Connection {
    uint64_t id;
    int fd;
    SocketAddress peer;
    StreamFramer framer;
    std::string output;
    bool connecting = false;
    bool inbound = false;  // accepted, not opened by us
    absl::Time opened;
    absl::Time last_activity;
    // When the message now arriving must be complete by (InfiniteFuture:
    // none under way).
    absl::Time message_deadline = absl::InfiniteFuture();
    std::unique_ptr<TlsSession> tls;  // kTls only
    bool tls_wants_write = false;     // OpenSSL waits for the socket to be writable
    uint32_t watched = 0;             // epoll events asked for (no epoll_ctl when unchanged)
  };

  absl::Status ListenOn(const std::string& ip);
  void OnAcceptable(int listen_fd);
  // accept() found no descriptor: true when the waiting connection was taken
  // off the backlog (and closed) with the spare descriptor, so accepting may go on.
  bool OnDescriptorsExhausted(int listen_fd, int error);
  void ResumeAccepting();
  void OnConnectionEvent(uint64_t id, uint32_t events);
  // TLS: drives the handshake; false when the connection was closed.
  bool Handshake(Connection& connection);
  void ReadFrom(Connection& connection);
  // Hands complete messages to the handler; false when the connection was closed.
  bool Deliver(Connection& connection, std::string_view bytes);
  void Flush(Connection& connection);
  void Watch(Connection& connection);
  Connection* Register(int fd, const SocketAddress& peer, bool connecting);
  void Close(uint64_t id, std::string_view why);
  void Sweep();
  std::string_view component() const {
    return kind_ == TransportKind::kTls ? "sip.tls" : "sip.tcp";
  }

  EventLoop* loop_;
  ReceiveHandler handler_;
  TcpLimits limits_;
  const SourceFilter* source_filter_ = nullptr;
  TransportKind kind_;
  const TlsContext* tls_;
  std::vector<int> listen_fds_;
  // Held so that, out of descriptors, one can be freed to accept and close
  // a waiting connection (the libev/nginx trick) instead of leaving the
  // listening socket readable forever.
  int spare_fd_ = -1;
  bool accept_paused_ = false;
  EventLoop::TimerId resume_timer_ = 0;
  LogRateLimit exhausted_log_{/*per_second=*/0.1, /*burst=*/1};  // a line per 10 s at most
  uint16_t local_port_ = 0;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  absl::flat_hash_map<SocketAddress, uint64_t> by_peer_;
  // Open connections per source: an IPv4 address or an IPv6 /64 (SourceBlock).
  absl::flat_hash_map<IpAddress, int> per_source_;
  EventLoop::TimerId sweep_timer_ = 0;
  absl::Duration sweep_interval_ = absl::Seconds(1);
  StreamCounters counters_;
};

}  // namespace tutti::sip
