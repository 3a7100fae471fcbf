// The MSRP service's socket calls: a nonblocking listening socket, a
// nonblocking connect to a numeric address, and a peer's address as text
// (the key of the per-source connection limit).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tutti::msrp {

struct ListeningSocket {
  int fd = -1;
  uint16_t port = 0;  // as bound (the kernel's pick for port 0)
};
absl::StatusOr<ListeningSocket> ListenTcp(std::string_view address, uint16_t port);

// A connect() started (or finished) on a nonblocking socket. Host names
// are refused: resolving one would block the MSRP thread.
absl::StatusOr<int> ConnectTcp(std::string_view numeric_host, uint16_t port);

// The address of an accepted connection's peer, without its port.
std::string PeerAddress(int fd);

}  // namespace tutti::msrp
