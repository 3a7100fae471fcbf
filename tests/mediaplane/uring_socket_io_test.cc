// What only the io_uring backend has: rings smaller than the traffic. The
// cases both backends share are in kernel_socket_io_test.cc.
#include "mediaplane/uring_socket_io.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>
#include <vector>

namespace tutti::media {
namespace {

constexpr uint32_t kLoopback = 0x7f000001;

int BoundSocket(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  // Room for a whole test's datagrams while the receive waits for buffers.
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

class UringSocketIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Where io_uring is refused altogether (a seccomp filter, the
    // io_uring_disabled sysctl) tuttid uses epoll; nothing to test here.
    io_uring probe{};
    if (io_uring_queue_init(4, &probe, 0) < 0) GTEST_SKIP() << "io_uring is refused here";
    io_uring_queue_exit(&probe);
    peer_ = BoundSocket(&peer_port_);
  }
  void TearDown() override {
    if (peer_ < 0) return;
    io_.reset();
    close(peer_);
    for (int fd : fds_) close(fd);
  }

  void Make(UringOptions options) {
    absl::StatusOr<std::unique_ptr<UringSocketIo>> made = UringSocketIo::Create(options);
    ASSERT_TRUE(made.ok()) << made.status();
    io_ = std::move(*made);
  }

  uint16_t Attach() {
    uint16_t port = 0;
    const int fd = BoundSocket(&port);
    fds_.push_back(fd);
    EXPECT_TRUE(io_->AttachPort(port, fd));
    return port;
  }

  void SendTo(uint16_t port, uint8_t tag) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(kLoopback);
    to.sin_port = htons(port);
    ASSERT_EQ(sendto(peer_, &tag, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1);
  }

  std::unique_ptr<UringSocketIo> io_;
  int peer_ = -1;
  uint16_t peer_port_ = 0;
  std::vector<int> fds_;
};

// Eight receive buffers for a hundred datagrams on ten sockets: the receives
// stop for want of a buffer and are re-armed; nothing is lost or reordered.
TEST_F(UringSocketIoTest, MoreDatagramsThanReceiveBuffersAllArriveInOrder) {
  Make({.submission_entries = 16, .completion_entries = 64, .buffers = 8});
  std::vector<uint16_t> ports;
  for (int i = 0; i < 10; ++i) ports.push_back(Attach());
  for (uint8_t round = 0; round < 10; ++round) {
    for (uint16_t port : ports) SendTo(port, round);
  }
  std::map<uint16_t, std::vector<uint8_t>> by_port;
  std::vector<Datagram> out(UringSocketIo::kBurst);
  int total = 0;
  for (int idle = 0; total < 100 && idle < 10;) {
    const int count = io_->Receive(out, 10'000);
    if (count == 0) ++idle;
    for (int i = 0; i < count; ++i) {
      by_port[out[static_cast<size_t>(i)].local_port].push_back(
          out[static_cast<size_t>(i)].data[0]);
    }
    total += count;
  }
  EXPECT_EQ(total, 100);
  for (uint16_t port : ports) {
    ASSERT_EQ(by_port[port].size(), 10u) << port;
    for (uint8_t round = 0; round < 10; ++round) EXPECT_EQ(by_port[port][round], round);
  }
  EXPECT_GT(io_->rearms(), 0u);
}

// A tick's sends outnumber the submission ring: all go, in several enters.
TEST_F(UringSocketIoTest, MoreSendsThanSubmissionEntriesAllGo) {
  Make({.submission_entries = 16, .completion_entries = 64, .buffers = 8});
  const uint16_t port = Attach();
  std::vector<uint8_t> payload(100);
  std::vector<Datagram> datagrams;
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<uint8_t>(i);
    datagrams.push_back({port, Endpoint(kLoopback, peer_port_), &payload[i], 1});
  }
  EXPECT_EQ(io_->Send(datagrams), 100);
  std::vector<uint8_t> received;
  for (int tries = 0; received.size() < 100 && tries < 1000; ++tries) {
    uint8_t byte = 0;
    if (recv(peer_, &byte, 1, 0) == 1) {
      received.push_back(byte);
    } else {
      usleep(1000);
    }
  }
  ASSERT_EQ(received.size(), 100u);
  for (size_t i = 0; i < received.size(); ++i) EXPECT_EQ(received[i], i);
  std::vector<Datagram> out(8);
  io_->Receive(out, 0);  // reaps failures, if any
  EXPECT_EQ(io_->counters().send_errors, 0u);
}

// A send from a port not attached is refused and counted, like epoll's.
TEST_F(UringSocketIoTest, ASendFromAPortNotAttachedIsCounted) {
  Make({});
  Attach();
  uint8_t byte = 1;
  const std::array<Datagram, 1> datagram{{{1, Endpoint(kLoopback, peer_port_), &byte, 1}}};
  EXPECT_EQ(io_->Send(datagram), 0);
  EXPECT_EQ(io_->counters().send_errors, 1u);
}

// The ring belongs to the thread that used it first (the worker's). A
// stopped worker's teardown detaches from another thread: nothing breaks,
// and the socket is released when the I/O goes.
TEST_F(UringSocketIoTest, ADetachFromAnotherThreadIsHarmless) {
  Make({});
  const uint16_t port = Attach();
  std::thread([&] { io_->DetachPort(port, fds_.back()); }).join();
  SendTo(port, 1);
  std::vector<Datagram> out(8);
  EXPECT_EQ(io_->Receive(out, 10'000), 0);  // detached: nothing delivered
}

}  // namespace
}  // namespace tutti::media
