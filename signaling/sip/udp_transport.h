// SIP over UDP (RFC 3261 §18): one socket per listen address, one datagram
// one message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/event_loop.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

class UdpTransport {
 public:
  UdpTransport(EventLoop* loop, ReceiveHandler handler)
      : loop_(loop), handler_(std::move(handler)) {}
  ~UdpTransport();
  UdpTransport(const UdpTransport&) = delete;
  UdpTransport& operator=(const UdpTransport&) = delete;

  // Binds each address on one port (port 0: the first picks a free one, for
  // tests, and the others take the same) and starts receiving. IPv6 sockets
  // are IPv6 only (IPV6_V6ONLY): "::" and "0.0.0.0" are two sockets, and no
  // IPv4 caller arrives in the mapped form.
  absl::Status Listen(const std::vector<std::string>& ips, uint16_t port, size_t max_message_bytes);
  // From the socket bound to `from` (a received message's `local`), else the
  // first of the destination's family; counted as a send error when none.
  void Send(const SocketAddress& destination, std::string_view bytes,
            const SocketAddress& from = {});
  uint16_t local_port() const { return local_port_; }

  uint64_t received() const { return received_; }
  uint64_t send_errors() const { return send_errors_; }
  uint64_t oversize_dropped() const { return oversize_dropped_; }

 private:
  struct Socket {
    int fd;
    SocketAddress bound;
  };
  absl::Status Bind(const std::string& ip);
  void OnReadable(const Socket& socket);
  const Socket* SocketFor(const SocketAddress& destination, const SocketAddress& from) const;

  EventLoop* loop_;
  ReceiveHandler handler_;
  std::vector<Socket> sockets_;
  uint16_t local_port_ = 0;
  size_t max_message_bytes_ = 65535;
  std::string buffer_;
  uint64_t received_ = 0;
  uint64_t send_errors_ = 0;
  uint64_t oversize_dropped_ = 0;
};

}  // namespace tutti::sip
