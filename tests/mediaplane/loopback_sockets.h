// Real loopback UDP sockets for the kernel packet-I/O tests (epoll and
// io_uring): a peer that sends and answers, and the sockets a test attaches
// to the backend under test. A fixture derives from it and closes them
// after its backend is gone.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "mediaplane/packet_io.h"

namespace tutti::media {

inline constexpr uint32_t kLoopback = 0x7f000001;

// A non-blocking UDP socket on a free loopback port, with room for a whole
// test's datagrams while a receive waits for buffers.
inline int BoundSocket(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int bytes = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(kLoopback);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  socklen_t length = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  *port = ntohs(local.sin_port);
  return fd;
}

class LoopbackSockets {
 protected:
  void OpenPeer() { peer_ = BoundSocket(&peer_port_); }
  // After the backend that read them is gone.
  void CloseSockets() {
    if (peer_ >= 0) close(peer_);
    peer_ = -1;
    for (int fd : fds_) close(fd);
    fds_.clear();
  }

  // A new socket on `io`; returns its port.
  uint16_t AttachSocket(PacketIo& io) {
    uint16_t port = 0;
    const int fd = BoundSocket(&port);
    fds_.push_back(fd);
    EXPECT_TRUE(io.AttachPort(port, fd));
    return port;
  }

  // One datagram of one byte from the peer to `port`.
  void SendTo(uint16_t port, uint8_t tag) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kLoopback);
    to.sin_port = htons(port);
    ASSERT_EQ(sendto(peer_, &tag, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  }

  int peer_ = -1;
  uint16_t peer_port_ = 0;
  std::vector<int> fds_;  // attached, in order
};

}  // namespace tutti::media
