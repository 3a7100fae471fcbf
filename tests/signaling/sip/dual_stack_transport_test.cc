// SIP transports on IPv4 and IPv6 together, over real loopback sockets
// (127.0.0.1 and ::1, ports picked by the kernel): every transport listens
// on each address, answers leave from the socket the request came to, IPv6
// sockets are IPv6 only, and no IPv4 peer is ever seen as ::ffff:a.b.c.d.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "signaling/sip/sip_transports.h"

namespace tutti::sip {
namespace {

TEST(SocketAddressTest, Ipv4MappedIsHeldAsIpv4) {
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  mapped.sin6_port = htons(5062);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr), 1);
  const SocketAddress from_socket =
      SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&mapped), sizeof(mapped));
  EXPECT_EQ(from_socket.family(), AF_INET);
  EXPECT_EQ(from_socket.ip(), "192.0.2.7");
  EXPECT_EQ(from_socket.ToString(), "192.0.2.7:5062");
  EXPECT_EQ(from_socket, *SocketAddress::FromIpPort("192.0.2.7", 5062));
  const auto written = SocketAddress::FromIpPort("[::ffff:192.0.2.7]", 5062);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->family(), AF_INET);
  EXPECT_EQ(written->ToString(), "192.0.2.7:5062");
}

TEST(SocketAddressTest, Ipv6IsBracketedWhereAPortFollows) {
  EXPECT_EQ(SocketAddress::FromIpPort("2001:db8::1", 5060)->ToString(), "[2001:db8::1]:5060");
  EXPECT_EQ(SocketAddress::FromIpPort("[::1]", 5060)->ip(), "::1");
  EXPECT_EQ(JoinHostPort("::1", 8080), "[::1]:8080");
  EXPECT_EQ(JoinHostPort("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(JoinHostPort("example.org", 5060), "example.org:5060");
  EXPECT_EQ(UriHost("2001:db8::1"), "[2001:db8::1]");
  EXPECT_EQ(UriHost("[2001:db8::1]"), "[2001:db8::1]");
  EXPECT_TRUE(SocketAddress::FromIpPort("::", 0)->is_wildcard());
  EXPECT_TRUE(SocketAddress::FromIpPort("0.0.0.0", 0)->is_wildcard());
  EXPECT_FALSE(SocketAddress::FromIpPort("::1", 0)->is_wildcard());
}

class DualStackTransportTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> addresses, bool tcp = false) {
    TransportOptions options;
    options.listen_addresses = std::move(addresses);
    options.port = 0;
    options.tcp = tcp;
    transports_ = std::make_unique<SipTransports>(
        &loop_, [this](ReceivedBytes received) { received_.push_back(std::move(received)); });
    const absl::Status started = transports_->Start(options);
    ASSERT_TRUE(started.ok()) << started;
  }

  // A UDP client on `ip` (port 0) that has sent `text` to tutti.
  int SendFrom(const char* ip, const std::string& text) {
    const SocketAddress local = *SocketAddress::FromIpPort(ip, 0);
    const int fd = socket(local.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(bind(fd, local.sockaddr_ptr(), local.length()), 0);
    const SocketAddress server = *SocketAddress::FromIpPort(ip, transports_->port());
    EXPECT_EQ(sendto(fd, text.data(), text.size(), 0, server.sockaddr_ptr(), server.length()),
              static_cast<ssize_t>(text.size()));
    return fd;
  }

  // What the client reads (waiting; the reply was sent before), and from where.
  static std::string Read(int fd, SocketAddress* from) {
    char buffer[256] = {};
    sockaddr_storage source{};
    socklen_t length = sizeof(source);
    const ssize_t got =
        recvfrom(fd, buffer, sizeof(buffer) - 1, 0, reinterpret_cast<sockaddr*>(&source), &length);
    *from = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&source), length);
    return got > 0 ? std::string(buffer, static_cast<size_t>(got)) : std::string();
  }

  void SpinUntil(size_t messages) {
    for (int i = 0; i < 400 && received_.size() < messages; ++i) {
      loop_.RunOnce(absl::Milliseconds(5));
    }
  }

  EventLoop loop_;
  std::unique_ptr<SipTransports> transports_;
  std::vector<ReceivedBytes> received_;
};

TEST_F(DualStackTransportTest, UdpOnBothFamiliesAnswersFromTheSocketAsked) {
  Start({"127.0.0.1", "::1"});
  const int v4 = SendFrom("127.0.0.1", "from v4");
  const int v6 = SendFrom("::1", "from v6");
  SpinUntil(2);
  ASSERT_EQ(received_.size(), 2u);
  for (const ReceivedBytes& message : received_) {
    const bool ipv6 = message.bytes == "from v6";
    EXPECT_EQ(message.source.ip(), ipv6 ? "::1" : "127.0.0.1");
    EXPECT_EQ(message.local.ToString(),
              JoinHostPort(ipv6 ? "::1" : "127.0.0.1", transports_->port()));
    Destination back{TransportKind::kUdp, message.source, 0, message.local};
    transports_->Send(back, ipv6 ? "to v6" : "to v4");
  }
  SocketAddress from;
  EXPECT_EQ(Read(v6, &from), "to v6");
  EXPECT_EQ(from.ToString(), JoinHostPort("::1", transports_->port()));
  EXPECT_EQ(Read(v4, &from), "to v4");
  EXPECT_EQ(from.ToString(), JoinHostPort("127.0.0.1", transports_->port()));
  EXPECT_EQ(transports_->udp()->send_errors(), 0u);
  close(v4);
  close(v6);
}

TEST_F(DualStackTransportTest, AnAnswerLeavesFromTheAddressTheRequestCameTo) {
  // Two addresses of one family (all of 127/8 is loopback): a caller of the
  // second must not be answered from the first, or its NAT or client drops it.
  Start({"127.0.0.1", "127.0.0.2"});
  const int client = SendFrom("127.0.0.2", "to the second");
  SpinUntil(1);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].local.ip(), "127.0.0.2");
  transports_->Send(Destination{TransportKind::kUdp, received_[0].source, 0, received_[0].local},
                    "answer");
  SocketAddress from;
  EXPECT_EQ(Read(client, &from), "answer");
  EXPECT_EQ(from.ip(), "127.0.0.2");
  close(client);
}

TEST_F(DualStackTransportTest, WildcardsOfBothFamiliesShareThePortAndIpv4StaysIpv4) {
  // Without IPV6_V6ONLY, "::" would take IPv4 too and "0.0.0.0" could not bind.
  Start({"::", "0.0.0.0"}, /*tcp=*/true);
  const int v4 = SendFrom("127.0.0.1", "from v4");
  SpinUntil(1);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].source.family(), AF_INET);
  EXPECT_EQ(received_[0].source.ip(), "127.0.0.1");  // never ::ffff:127.0.0.1
  EXPECT_EQ(received_[0].local.ip(), "0.0.0.0");
  close(v4);
}

TEST_F(DualStackTransportTest, TcpOverIpv6FramesAndAnswersOnTheConnection) {
  Start({"::1"}, /*tcp=*/true);
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const SocketAddress server = *SocketAddress::FromIpPort("::1", transports_->port());
  ASSERT_EQ(connect(fd, server.sockaddr_ptr(), server.length()), 0);
  const std::string options =
      "OPTIONS sip:[::1] SIP/2.0\r\nVia: SIP/2.0/TCP [::1]:1;branch=z9hG4bK6\r\n"
      "From: <sip:a@[::1]>;tag=1\r\nTo: <sip:c@[::1]>\r\nCall-ID: 6\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(write(fd, options.data(), options.size()), static_cast<ssize_t>(options.size()));
  SpinUntil(1);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].bytes, options);
  EXPECT_EQ(received_[0].source.ip(), "::1");
  transports_->Send(
      Destination{TransportKind::kTcp, received_[0].source, received_[0].connection_id},
      "SIP/2.0 200 OK\r\n\r\n");
  for (int i = 0; i < 4; ++i) loop_.RunOnce(absl::Milliseconds(5));
  char buffer[64] = {};
  ASSERT_GT(read(fd, buffer, sizeof(buffer) - 1), 0);
  EXPECT_STREQ(buffer, "SIP/2.0 200 OK\r\n\r\n");
  close(fd);
}

TEST_F(DualStackTransportTest, AMessageForAFamilyNotListenedOnIsCountedNotSent) {
  Start({"127.0.0.1"});
  transports_->Send(Destination{TransportKind::kUdp, *SocketAddress::FromIpPort("::1", 9)},
                    "nowhere");
  EXPECT_EQ(transports_->udp()->send_errors(), 1u);
}

}  // namespace
}  // namespace tutti::sip
