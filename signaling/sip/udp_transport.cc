#include "signaling/sip/udp_transport.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"

namespace tutti::sip {

UdpTransport::~UdpTransport() {
  for (const Socket& socket : sockets_) {
    loop_->RemoveFd(socket.fd);
    close(socket.fd);
  }
}

absl::Status UdpTransport::Listen(const std::vector<std::string>& ips, uint16_t port,
                                  size_t max_message_bytes) {
  max_message_bytes_ = max_message_bytes;
  // One byte more than the limit tells an oversize datagram from one that fits exactly.
  buffer_.resize(max_message_bytes_ + 1);
  local_port_ = port;
  for (const std::string& ip : ips) {
    if (absl::Status s = Bind(ip); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status UdpTransport::Bind(const std::string& ip) {
  auto address = SocketAddress::FromIpPort(ip, local_port_);
  if (!address) return absl::InvalidArgumentError(StrCat("bad SIP listen address ", ip));
  const int fd = socket(address->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  if (address->is_ipv6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // A burst of INVITEs must queue in the kernel, not be dropped, while the loop is busy.
  int buffer_bytes = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
  if (bind(fd, address->sockaddr_ptr(), address->length()) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        StrCat("cannot bind SIP UDP ", address->ToString(), ": ", std::strerror(error)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const Socket& socket = sockets_.emplace_back(
      Socket{fd, SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length)});
  local_port_ = socket.bound.port();
  const size_t index = sockets_.size() - 1;
  return loop_->AddFd(fd, EPOLLIN, [this, index](uint32_t) { OnReadable(sockets_[index]); });
}

void UdpTransport::OnReadable(const Socket& socket) {
  // Bounded so that a flood on UDP cannot starve TCP connections and timers.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage source{};
    socklen_t length = sizeof(source);
    ssize_t got = recvfrom(socket.fd, buffer_.data(), buffer_.size(), MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&source), &length);
    if (got < 0) return;  // EAGAIN: drained
    if (static_cast<size_t>(got) > max_message_bytes_) {
      ++oversize_dropped_;
      continue;
    }
    ++received_;
    ReceivedBytes message;
    message.transport = TransportKind::kUdp;
    message.source = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&source), length);
    message.local = socket.bound;
    message.bytes.assign(buffer_.data(), static_cast<size_t>(got));
    handler_(std::move(message));
  }
}

const UdpTransport::Socket* UdpTransport::SocketFor(const SocketAddress& destination,
                                                    const SocketAddress& from) const {
  const Socket* same_family = nullptr;
  for (const Socket& socket : sockets_) {
    if (socket.bound.family() != destination.family()) continue;
    if (from.is_set() && socket.bound == from) return &socket;
    if (same_family == nullptr) same_family = &socket;
  }
  return same_family;
}

void UdpTransport::Send(const SocketAddress& destination, std::string_view bytes,
                        const SocketAddress& from) {
  const Socket* socket = SocketFor(destination, from);
  if (socket == nullptr || sendto(socket->fd, bytes.data(), bytes.size(), 0,
                                  destination.sockaddr_ptr(), destination.length()) < 0) {
    const int error = socket == nullptr ? EAFNOSUPPORT : errno;
    ++send_errors_;
    static LogRateLimit send_failed_log(5, 20);
    if (uint64_t held = 0; send_failed_log.Allow(&held)) {
      LogWarn("sip.udp", "send failed")
          .With("to", destination.ToString())
          .With("error",
                socket == nullptr ? "not listening on that address family" : std::strerror(error))
          .With("suppressed", held);
    }
  }
}

}  // namespace tutti::sip
