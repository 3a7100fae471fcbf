// What only the io_uring backend has: rings smaller than the traffic. The
// cases both backends share are in kernel_socket_io_test.cc.
#include "mediaplane/uring_socket_io.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <thread>
#include <vector>

#include "tests/mediaplane/loopback_sockets.h"

namespace tutti::media {
namespace {

class UringSocketIoTest : public ::testing::Test, protected LoopbackSockets {
 protected:
  void SetUp() override {
    // Where io_uring is refused altogether (a seccomp filter, the
    // io_uring_disabled sysctl) tuttid uses epoll; nothing to test here.
    io_uring probe{};
    if (io_uring_queue_init(4, &probe, 0) < 0) GTEST_SKIP() << "io_uring is refused here";
    io_uring_queue_exit(&probe);
    OpenPeer();
  }
  void TearDown() override {
    io_.reset();
    CloseSockets();
  }

  void Make(UringOptions options) {
    absl::StatusOr<std::unique_ptr<UringSocketIo>> made = UringSocketIo::Create(options);
    ASSERT_TRUE(made.ok()) << made.status();
    io_ = std::move(*made);
  }

  uint16_t Attach() { return AttachSocket(*io_); }

  std::unique_ptr<UringSocketIo> io_;
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
  EXPECT_EQ(io_->rearms(), io_->counters().receive_stalls);
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
  EXPECT_EQ(io_->counters().send_failed_late, 0u);
}

// A send the kernel refuses after Send returned (to the broadcast address
// without SO_BROADCAST: EACCES) comes back as a completion and is counted
// then, for the worker to add to its send drops.
TEST_F(UringSocketIoTest, ASendTheKernelRefusesLaterIsCounted) {
  Make({});
  const uint16_t port = Attach();
  uint8_t byte = 1;
  const std::array<Datagram, 1> datagram{{{port, Endpoint(0xffffffff, peer_port_), &byte, 1}}};
  EXPECT_EQ(io_->Send(datagram), 1);  // handed over: the failure is not known yet
  std::vector<Datagram> out(8);
  for (int tries = 0; io_->counters().send_failed_late == 0 && tries < 100; ++tries) {
    io_->Receive(out, 10'000);
  }
  EXPECT_EQ(io_->counters().send_failed_late, 1u);
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
