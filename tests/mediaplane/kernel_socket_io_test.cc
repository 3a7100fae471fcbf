// The kernel-socket backends ([media] kernel_io): the same cases pass for
// epoll (KernelSocketIo) and io_uring (UringSocketIo), on real loopback sockets.
#include "mediaplane/kernel_socket_io.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mediaplane/uring_socket_io.h"
#include "tests/mediaplane/loopback_sockets.h"

namespace tutti::media {
namespace {

// A machine (a container's seccomp filter, the io_uring_disabled sysctl)
// that refuses io_uring altogether, where tuttid falls back to epoll. Any
// other failure to make the backend's ring is the backend's, and fails.
bool UringRefusedHere() {
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) < 0) return true;
  io_uring_queue_exit(&ring);
  return false;
}

std::unique_ptr<PacketIo> MakeIo(const std::string& kind, UringOptions options = {}) {
  if (kind == "epoll") return std::make_unique<KernelSocketIo>();
  absl::StatusOr<std::unique_ptr<UringSocketIo>> made = UringSocketIo::Create(options);
  EXPECT_TRUE(made.ok()) << made.status();
  return made.ok() ? std::move(*made) : nullptr;
}

class KernelSocketIoTest : public ::testing::TestWithParam<std::string>, protected LoopbackSockets {
 protected:
  void SetUp() override {
    if (GetParam() == "uring" && UringRefusedHere()) {
      GTEST_SKIP() << "io_uring is refused on this machine (a seccomp filter, io_uring_disabled)";
    }
    OpenPeer();
    io_ = MakeIo(GetParam());
    ASSERT_NE(io_, nullptr);
  }
  void TearDown() override {
    io_.reset();
    CloseSockets();
  }

  uint16_t Attach() { return AttachSocket(*io_); }

  // Calls Receive (capacity `capacity`) until `expected` datagrams from the
  // peer came or ten calls found nothing; returns their tags in order.
  std::vector<uint8_t> ReceiveAll(size_t expected, size_t capacity = KernelSocketIo::kBurst) {
    std::vector<uint8_t> tags;
    std::vector<Datagram> out(capacity);
    for (int idle = 0; tags.size() < expected && idle < 10;) {
      const int count = io_->Receive(out, 10'000);
      if (count == 0) ++idle;
      for (int i = 0; i < count; ++i) {
        // The ports are borrowed from the machine's ephemeral range, where
        // another process's stream (a load test's RTP) may still arrive:
        // only the peer's datagrams are the test's.
        if (out[static_cast<size_t>(i)].remote != Endpoint(kLoopback, peer_port_)) continue;
        EXPECT_EQ(out[static_cast<size_t>(i)].size, 1);
        tags.push_back(out[static_cast<size_t>(i)].data[0]);
      }
    }
    return tags;
  }

  std::unique_ptr<PacketIo> io_;
};

TEST_P(KernelSocketIoTest, DatagramsArriveWithTheirPortAndSender) {
  const uint16_t a = Attach();
  const uint16_t b = Attach();
  SendTo(a, 1);
  SendTo(b, 2);
  std::vector<Datagram> out(8);
  int got = 0;
  std::array<uint16_t, 2> ports{};
  for (int tries = 0; got < 2 && tries < 10; ++tries) {
    const int count =
        io_->Receive(std::span<Datagram>(out).subspan(static_cast<size_t>(got)), 10'000);
    for (int i = 0; i < count; ++i) {
      const Datagram& datagram = out[static_cast<size_t>(got + i)];
      ports[datagram.data[0] - 1] = datagram.local_port;
      EXPECT_EQ(datagram.remote, Endpoint(kLoopback, peer_port_));
    }
    got += count;
  }
  EXPECT_EQ(got, 2);
  EXPECT_EQ(ports[0], a);
  EXPECT_EQ(ports[1], b);
}

// Edge-triggered epoll reports a socket once per arrival: a socket holding
// more than one read takes must still be read to the end with no new arrival.
TEST_P(KernelSocketIoTest, ABacklogOnOneSocketIsReadToTheEndWithoutNewArrivals) {
  const uint16_t port = Attach();
  for (uint8_t i = 0; i < 40; ++i) SendTo(port, i);
  const std::vector<uint8_t> tags = ReceiveAll(40);
  ASSERT_EQ(tags.size(), 40u);
  for (uint8_t i = 0; i < 40; ++i) EXPECT_EQ(tags[i], i);  // in order
}

TEST_P(KernelSocketIoTest, ReadySocketsBeyondTheCallersCapacityAreNotForgotten) {
  std::vector<uint16_t> ports;
  for (int i = 0; i < 10; ++i) ports.push_back(Attach());
  for (int round = 0; round < 3; ++round) {
    for (uint16_t port : ports) SendTo(port, static_cast<uint8_t>(round));
  }
  EXPECT_EQ(ReceiveAll(30, 3).size(), 30u);
}

TEST_P(KernelSocketIoTest, ADetachedSocketWithABacklogIsForgotten) {
  const uint16_t kept = Attach();
  const uint16_t dropped = Attach();
  for (uint8_t i = 0; i < 20; ++i) SendTo(dropped, 100);
  std::vector<Datagram> out(4);  // less than the backlog, for either backend
  int first = 0;
  for (int tries = 0; first == 0 && tries < 10; ++tries) first = io_->Receive(out, 10'000);
  ASSERT_GT(first, 0);
  ASSERT_LT(first, 20);  // part of it is still queued, the socket remembered
  io_->DetachPort(dropped, fds_[1]);
  close(fds_[1]);
  fds_.pop_back();
  SendTo(kept, 7);
  const std::vector<uint8_t> tags = ReceiveAll(1);
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0], 7);
  EXPECT_TRUE(ReceiveAll(1).empty());
}

TEST_P(KernelSocketIoTest, SendLeavesFromEachDatagramsOwnPort) {
  const uint16_t a = Attach();
  const uint16_t b = Attach();
  std::array<uint8_t, 2> payload{0xa, 0xb};
  std::array<Datagram, 3> datagrams{{{a, {kLoopback, peer_port_}, &payload[0], 1},
                                     {a, {kLoopback, peer_port_}, &payload[0], 1},
                                     {b, {kLoopback, peer_port_}, &payload[1], 1}}};
  EXPECT_EQ(io_->Send(datagrams), 3);
  EXPECT_EQ(io_->counters().sent, 3u);
  std::vector<std::pair<uint16_t, uint8_t>> received;
  for (int tries = 0; received.size() < 3 && tries < 100; ++tries) {
    sockaddr_in from{};
    socklen_t length = sizeof from;
    uint8_t byte = 0;
    if (recvfrom(peer_, &byte, 1, 0, reinterpret_cast<sockaddr*>(&from), &length) == 1) {
      received.emplace_back(ntohs(from.sin_port), byte);
    } else {
      usleep(1000);
    }
  }
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0], std::make_pair(a, uint8_t{0xa}));
  EXPECT_EQ(received[2], std::make_pair(b, uint8_t{0xb}));
}

// IPv6 media: sockets bound on ::1, a peer on ::1.
int BoundSocket6(uint16_t* port) {
  const int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in6 local{};
  local.sin6_family = AF_INET6;
  local.sin6_addr = in6addr_loopback;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  socklen_t length = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  *port = ntohs(local.sin6_port);
  return fd;
}

Endpoint Loopback6(uint16_t port) {
  std::array<uint8_t, 16> bytes{};
  bytes[15] = 1;
  return Endpoint::Ipv6(bytes, port);
}

TEST_P(KernelSocketIoTest, Ipv6DatagramsComeWithTheirSenderAndRepliesReachIt) {
  uint16_t peer6_port = 0;
  const int peer6 = BoundSocket6(&peer6_port);
  uint16_t port = 0;
  const int fd = BoundSocket6(&port);
  fds_.push_back(fd);
  ASSERT_TRUE(io_->AttachPort(port, fd));

  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = in6addr_loopback;
  to.sin6_port = htons(port);
  const uint8_t tag = 6;
  ASSERT_EQ(sendto(peer6, &tag, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  std::vector<Datagram> out(8);
  int got = 0;
  for (int tries = 0; got == 0 && tries < 10; ++tries) got = io_->Receive(out, 10'000);
  ASSERT_EQ(got, 1);
  EXPECT_EQ(out[0].local_port, port);
  EXPECT_EQ(out[0].remote, Loopback6(peer6_port));
  EXPECT_EQ(ToString(out[0].remote), "[::1]:" + std::to_string(peer6_port));

  // An IPv4 and an IPv6 leg in one burst (a dual-stack room): each reply
  // leaves its own socket for its own family's peer.
  const uint16_t v4_port = Attach();
  std::array<uint8_t, 2> payload{0x4, 0x6};
  std::array<Datagram, 2> replies{{{v4_port, Endpoint(kLoopback, peer_port_), &payload[0], 1},
                                   {port, out[0].remote, &payload[1], 1}}};
  EXPECT_EQ(io_->Send(replies), 2);
  EXPECT_EQ(io_->counters().send_errors, 0u);
  uint8_t v6_byte = 0;
  uint8_t v4_byte = 0;
  for (int tries = 0; (v6_byte == 0 || v4_byte == 0) && tries < 100; ++tries) {
    if (v6_byte == 0) recv(peer6, &v6_byte, 1, 0);
    if (v4_byte == 0) recv(peer_, &v4_byte, 1, 0);
    if (v6_byte == 0 || v4_byte == 0) usleep(1000);
  }
  EXPECT_EQ(v6_byte, 0x6);
  EXPECT_EQ(v4_byte, 0x4);
  close(peer6);
}

// A port's socket detached with datagrams still queued (in the socket, or
// already completed in io_uring's ring), closed, and a new socket bound to
// the same port (most likely the same descriptor number) and attached: only
// the new socket's datagrams come, and the old one's release let the port
// be bound again.
TEST_P(KernelSocketIoTest, ADetachedClosedAndReusedDescriptorGetsNothingStale) {
  const uint16_t port = Attach();
  const int old_fd = fds_.back();
  for (uint8_t i = 0; i < 20; ++i) SendTo(port, 100);
  std::vector<Datagram> out(1);
  int first = 0;
  for (int tries = 0; first == 0 && tries < 10; ++tries) first = io_->Receive(out, 10'000);
  ASSERT_EQ(first, 1);
  io_->DetachPort(port, old_fd);
  close(old_fd);
  fds_.pop_back();

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(kLoopback);
  local.sin_port = htons(port);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0)
      << "the detached socket is still held: " << std::strerror(errno);
  fds_.push_back(fd);
  ASSERT_TRUE(io_->AttachPort(port, fd));
  SendTo(port, 7);
  const std::vector<uint8_t> tags = ReceiveAll(2);  // waits for a second that must not come
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0], 7);
}

// More datagrams than one Receive takes, over many sockets: none lost, each
// socket's in order.
TEST_P(KernelSocketIoTest, ABurstLargerThanOneReceiveArrivesWhole) {
  std::vector<uint16_t> ports;
  for (int i = 0; i < 20; ++i) ports.push_back(Attach());
  for (uint8_t round = 0; round < 10; ++round) {
    for (uint16_t port : ports) SendTo(port, round);
  }
  EXPECT_EQ(ReceiveAll(200).size(), 200u);
}

// A worker's load is the time it was not waiting: a Receive that blocks with
// nothing to read counts its wait as idle; one told not to wait does not.
TEST_P(KernelSocketIoTest, IdleTimeGrowsOnlyWhileBlocked) {
  Attach();
  std::vector<Datagram> out(8);
  const uint64_t before = io_->idle_ns();
  io_->Receive(out, 0);
  EXPECT_EQ(io_->idle_ns(), before);
  // The wait ends at its timeout, not before: at least most of it was idle.
  // (A stray datagram to the borrowed loopback port ends a wait early: the
  // machine runs other tests; one quiet wait of a few is enough.)
  bool waited = false;
  for (int tries = 0; !waited && tries < 5; ++tries) {
    const uint64_t start = io_->idle_ns();
    waited = io_->Receive(out, 20'000) == 0 && io_->idle_ns() - start >= 10'000'000u;
  }
  EXPECT_TRUE(waited);
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelSocketIoTest, ::testing::Values("epoll", "uring"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace tutti::media
