#include "signaling/sip/udp_transport.h"

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
  if (fd_ >= 0) {
    loop_->RemoveFd(fd_);
    close(fd_);
  }
}

absl::Status UdpTransport::Listen(const std::string& ip, uint16_t port, size_t max_message_bytes) {
  auto address = SocketAddress::FromIpPort(ip, port);
  if (!address) return absl::InvalidArgumentError(StrCat("bad SIP listen address ", ip));
  fd_ = socket(address->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  // A burst of INVITEs must queue in the kernel, not be dropped, while the loop is busy.
  int buffer_bytes = 4 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
  if (bind(fd_, address->sockaddr_ptr(), address->length()) != 0) {
    return absl::UnavailableError(
        StrCat("cannot bind SIP UDP ", address->ToString(), ": ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  local_port_ = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port();
  max_message_bytes_ = max_message_bytes;
  // One byte more than the limit tells an oversize datagram from one that fits exactly.
  buffer_.resize(max_message_bytes_ + 1);
  return loop_->AddFd(fd_, EPOLLIN, [this](uint32_t) { OnReadable(); });
}

void UdpTransport::OnReadable() {
  // Bounded so that a flood on UDP cannot starve TCP connections and timers.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage source{};
    socklen_t length = sizeof(source);
    ssize_t got = recvfrom(fd_, buffer_.data(), buffer_.size(), MSG_TRUNC,
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
    message.bytes.assign(buffer_.data(), static_cast<size_t>(got));
    handler_(std::move(message));
  }
}

void UdpTransport::Send(const SocketAddress& destination, std::string_view bytes) {
  if (sendto(fd_, bytes.data(), bytes.size(), 0, destination.sockaddr_ptr(), destination.length()) <
      0) {
    ++send_errors_;
    static LogRateLimit send_failed_log(5, 20);
    if (uint64_t held = 0; send_failed_log.Allow(&held)) {
      LogWarn("sip.udp", "send failed")
          .With("to", destination.ToString())
          .With("error", std::strerror(errno))
          .With("suppressed", held);
    }
  }
}

}  // namespace tutti::sip
