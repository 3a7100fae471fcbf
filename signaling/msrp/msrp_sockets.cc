#include "signaling/msrp/msrp_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace tutti::msrp {
namespace {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

bool ToAddress(std::string_view host, uint16_t port, Address* out) {
  const std::string text(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out->length = sizeof(sockaddr_in);
    return true;
  }
  out->storage = {};
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out->length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// A nonblocking TCP socket for `host` (an IP address) with one option set
// to 1 (SO_REUSEADDR to listen, TCP_NODELAY to connect).
absl::StatusOr<int> OpenSocket(std::string_view host, uint16_t port, Address* address, int level,
                               int option) {
  if (!ToAddress(host, port, address)) {
    return absl::InvalidArgumentError(StrCat("not an IP address: ", host));
  }
  const int fd = socket(address->storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, level, option, &one, sizeof(one));
  return fd;
}

}  // namespace

absl::StatusOr<ListeningSocket> ListenTcp(std::string_view address, uint16_t port) {
  Address bind_to;
  const absl::StatusOr<int> opened = OpenSocket(address, port, &bind_to, SOL_SOCKET, SO_REUSEADDR);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  if (bind(fd, reinterpret_cast<sockaddr*>(&bind_to.storage), bind_to.length) != 0 ||
      listen(fd, 1024) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        StrCat("cannot listen for MSRP on ", address, " port ", port, ": ", std::strerror(error)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const uint16_t bound_port = bound.ss_family == AF_INET6
                                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                  : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ListeningSocket{fd, bound_port};
}

absl::StatusOr<int> ConnectTcp(std::string_view numeric_host, uint16_t port) {
  Address to;
  const absl::StatusOr<int> opened = OpenSocket(numeric_host, port, &to, IPPROTO_TCP, TCP_NODELAY);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  if (connect(fd, reinterpret_cast<sockaddr*>(&to.storage), to.length) != 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(StrCat("connect: ", std::strerror(error)));
  }
  return fd;
}

std::string PeerAddress(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw =
      peer.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
  inet_ntop(peer.ss_family, raw, text, sizeof(text));
  return text;
}

}  // namespace tutti::msrp
