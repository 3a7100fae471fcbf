// A SIP peer for tests: a real UDP socket on loopback that sends raw text to
// the stack under test and collects what comes back, while the test drives
// the stack's event loop.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"

namespace tutti::sip::testing {

class UdpPeer {
 public:
  UdpPeer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~UdpPeer() { close(fd_); }

  uint16_t port() const { return port_; }

  void SendTo(uint16_t port, const std::string& text) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&address),
           sizeof(address));
  }

  // Collects what has arrived so far.
  void Drain() {
    char buffer[65536];
    for (;;) {
      ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) return;
      received_.emplace_back(buffer, static_cast<size_t>(got));
    }
  }

  // Runs the loop until `count` messages have arrived in all (or a generous
  // deadline passes: the caller's assertions then fail, nothing hangs).
  bool WaitFor(EventLoop& loop, size_t count, absl::Duration limit = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + limit;
    while (received_.size() < count && absl::Now() < deadline) {
      loop.RunOnce(absl::Milliseconds(5));
      Drain();
    }
    return received_.size() >= count;
  }

  // Runs the loop for a while, collecting whatever arrives. At least once:
  // what was sent before is already queued on loopback and one turn of the
  // loop reads it, even when a loaded machine let the whole while pass
  // before the first turn.
  void RunFor(EventLoop& loop, absl::Duration duration) {
    const absl::Time deadline = absl::Now() + duration;
    do {
      loop.RunOnce(absl::Milliseconds(5));
      Drain();
    } while (absl::Now() < deadline);
  }

  std::vector<std::string>& received() { return received_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<std::string> received_;
};

}  // namespace tutti::sip::testing
