// The TCP transport over real loopback connections: framing, responses on
// the same connection, per-source limits.
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_transports.h"

namespace tutti::sip {
namespace {

std::string Options(int n) {
  return StrCat("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK", n,
                "\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: ", n,
                "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
}

class TcpTransportTest : public ::testing::Test {
 protected:
  void Start(TcpLimits limits) {
    TransportOptions options;
    options.port = 0;
    options.udp = false;
    options.tcp_limits = limits;
    transports_ = std::make_unique<SipTransports>(
        &loop_, [this](ReceivedBytes received) { received_.push_back(std::move(received)); });
    ASSERT_TRUE(transports_->Start(options).ok());
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    auto address = SocketAddress::FromIpPort("127.0.0.1", transports_->port());
    EXPECT_EQ(connect(fd, address->sockaddr_ptr(), address->length()), 0);
    return fd;
  }

  void Spin(int rounds = 20) {
    for (int i = 0; i < rounds; ++i) loop_.RunOnce(absl::Milliseconds(5));
  }

  EventLoop loop_;
  std::unique_ptr<SipTransports> transports_;
  std::vector<ReceivedBytes> received_;
};

TEST_F(TcpTransportTest, FramesMessagesAndAnswersOnTheSameConnection) {
  Start(TcpLimits{});
  int fd = Connect();
  const std::string both = Options(1) + Options(2);
  ASSERT_EQ(write(fd, both.data(), both.size()), static_cast<ssize_t>(both.size()));
  Spin();
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(received_[0].bytes, Options(1));
  EXPECT_EQ(received_[1].bytes, Options(2));
  EXPECT_EQ(received_[0].connection_id, received_[1].connection_id);

  Destination back{TransportKind::kTcp, received_[0].source, received_[0].connection_id};
  transports_->Send(back, "SIP/2.0 200 OK\r\n\r\n");
  Spin(2);
  char buffer[64] = {};
  ASSERT_GT(read(fd, buffer, sizeof(buffer)), 0);
  EXPECT_STREQ(buffer, "SIP/2.0 200 OK\r\n\r\n");
  close(fd);
}

TEST_F(TcpTransportTest, OversizeMessageClosesTheConnection) {
  TcpLimits limits;
  limits.max_message_bytes = 2048;
  Start(limits);
  int fd = Connect();
  std::string huge = "OPTIONS sip:x SIP/2.0\r\nX-Pad: " + std::string(4000, 'a') + "\r\n";
  ASSERT_GT(write(fd, huge.data(), huge.size()), 0);
  Spin();
  EXPECT_EQ(transports_->tcp()->open_connections(), 0u);
  EXPECT_EQ(transports_->tcp()->framing_errors(), 1u);
  char buffer[16];
  EXPECT_EQ(read(fd, buffer, sizeof(buffer)), 0);
  close(fd);
}

TEST_F(TcpTransportTest, PerSourceConnectionLimit) {
  TcpLimits limits;
  limits.max_connections_per_source = 2;
  Start(limits);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(Connect());
  Spin();
  EXPECT_EQ(transports_->tcp()->open_connections(), 2u);
  EXPECT_EQ(transports_->tcp()->refused_connections(), 2u);
  for (int fd : fds) close(fd);
  Spin();
  EXPECT_EQ(transports_->tcp()->open_connections(), 0u);
}

// A reload's limits (issue 19): a raised bound lets more in, a lowered one
// closes nothing that is open, refuses what comes next.
TEST_F(TcpTransportTest, NewConnectionLimitsHoldForTheNextAcceptOnly) {
  TcpLimits limits;
  limits.max_connections_per_source = 1;
  Start(limits);
  std::vector<int> fds = {Connect(), Connect()};
  Spin();
  ASSERT_EQ(transports_->tcp()->open_connections(), 1u);
  limits.max_connections_per_source = 3;
  transports_->SetTcpLimits(limits);
  fds.push_back(Connect());
  fds.push_back(Connect());
  Spin();
  EXPECT_EQ(transports_->tcp()->open_connections(), 3u);
  limits.max_connections_per_source = 1;
  transports_->SetTcpLimits(limits);
  fds.push_back(Connect());
  Spin();
  EXPECT_EQ(transports_->tcp()->open_connections(), 3u);
  EXPECT_EQ(transports_->tcp()->refused_connections(), 2u);
  for (int fd : fds) close(fd);
}

TEST_F(TcpTransportTest, SendToAnAddressWithoutConnectionConnects) {
  Start(TcpLimits{});
  // A second transport stands in for a peer with its own listener.
  EventLoop& loop = loop_;
  std::vector<ReceivedBytes> at_peer;
  SipTransports peer(&loop,
                     [&](ReceivedBytes received) { at_peer.push_back(std::move(received)); });
  TransportOptions options;
  options.port = 0;
  options.udp = false;
  ASSERT_TRUE(peer.Start(options).ok());
  Destination to_peer{TransportKind::kTcp, *SocketAddress::FromIpPort("127.0.0.1", peer.port()), 0};
  transports_->Send(to_peer, Options(7));
  transports_->Send(to_peer, Options(8));  // reuses the connection being opened
  Spin();
  ASSERT_EQ(at_peer.size(), 2u);
  EXPECT_EQ(at_peer[1].bytes, Options(8));
  EXPECT_EQ(transports_->tcp()->open_connections(), 1u);
}

}  // namespace
}  // namespace tutti::sip
