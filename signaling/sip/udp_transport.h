// SIP over UDP (RFC 3261 §18): one socket, one datagram one message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

  // Binds ip:port (port 0 picks a free one, for tests) and starts receiving.
  absl::Status Listen(const std::string& ip, uint16_t port, size_t max_message_bytes);
  void Send(const SocketAddress& destination, std::string_view bytes);
  uint16_t local_port() const { return local_port_; }

  uint64_t received() const { return received_; }
  uint64_t send_errors() const { return send_errors_; }
  uint64_t oversize_dropped() const { return oversize_dropped_; }

 private:
  void OnReadable();

  EventLoop* loop_;
  ReceiveHandler handler_;
  int fd_ = -1;
  uint16_t local_port_ = 0;
  size_t max_message_bytes_ = 65535;
  std::string buffer_;
  uint64_t received_ = 0;
  uint64_t send_errors_ = 0;
  uint64_t oversize_dropped_ = 0;
};

}  // namespace tutti::sip
