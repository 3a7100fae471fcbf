#include "mediaplane/port_allocator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

// These tests expect particular ports to be free, so they use a range no
// test process is handed and the kernel never picks on its own: above the
// integration harness's port blocks (20000-32499), below the ephemeral
// range (32768 and up). Test cases run as processes of their own, and two
// ctest runs may run at once, so each case holds an exclusive lock on the
// range while it runs (a few milliseconds).
constexpr uint16_t kBase = 32500;

class PortRangeLock {
 public:
  PortRangeLock() {
    mkdir("/tmp/tutti-test-ports", 0777);
    fd_ =
        open("/tmp/tutti-test-ports/port-allocator-test.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    EXPECT_GE(fd_, 0);
    if (fd_ >= 0) {
      EXPECT_EQ(flock(fd_, LOCK_EX), 0);
    }
  }
  ~PortRangeLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  PortRangeLock(const PortRangeLock&) = delete;
  PortRangeLock& operator=(const PortRangeLock&) = delete;

 private:
  int fd_ = -1;
};

uint16_t BoundPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

TEST(PortAllocatorTest, HandsOutEvenRtpAndOddRtcpWithBoundSockets) {
  PortRangeLock lock;
  PortAllocator allocator("127.0.0.1", kBase + 1, kBase + 3);  // odd min rounds up: one pair
  auto pair = allocator.Allocate();
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->rtp_port() % 2, 0);
  EXPECT_EQ(pair->rtp_port(), kBase + 2);
  EXPECT_EQ(pair->rtcp_port(), pair->rtp_port() + 1);
  EXPECT_EQ(BoundPort(pair->rtp_fd()), pair->rtp_port());
  EXPECT_EQ(BoundPort(pair->rtcp_fd()), pair->rtcp_port());
}

TEST(PortAllocatorTest, ExhaustsThenReusesReleasedPorts) {
  PortRangeLock lock;
  PortAllocator allocator("127.0.0.1", kBase + 30, kBase + 37);  // 4 pairs
  EXPECT_EQ(allocator.pair_count(), 4);
  std::vector<PortPair> held;
  std::set<uint16_t> ports;
  for (int i = 0; i < 4; ++i) {
    auto pair = allocator.Allocate();
    ASSERT_TRUE(pair.ok()) << pair.status();
    ports.insert(pair->rtp_port());
    held.push_back(std::move(*pair));
  }
  EXPECT_EQ(ports.size(), 4u);
  auto none = allocator.Allocate();
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);

  const uint16_t released = held[1].rtp_port();
  held.erase(held.begin() + 1);  // closes the sockets
  auto again = allocator.Allocate();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rtp_port(), released);
}

TEST(PortAllocatorTest, NumbersOnlyLeasesWithoutSockets) {
  // An address no interface has: nothing is bound, so it does not matter.
  PortAllocator allocator("192.0.2.10", 40000, 40007, PortAllocator::Mode::kNumbersOnly);
  std::vector<PortPair> held;
  for (int i = 0; i < 4; ++i) {
    auto pair = allocator.Allocate();
    ASSERT_TRUE(pair.ok()) << pair.status();
    EXPECT_EQ(pair->rtp_fd(), -1);
    EXPECT_TRUE(pair->valid());
    held.push_back(std::move(*pair));
  }
  EXPECT_EQ(allocator.Allocate().status().code(), absl::StatusCode::kResourceExhausted);
  const uint16_t released = held[2].rtp_port();
  PortPair moved = std::move(held[2]);  // the lease moves with it
  EXPECT_EQ(allocator.Allocate().status().code(), absl::StatusCode::kResourceExhausted);
  moved = PortPair();  // given back
  auto again = allocator.Allocate();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rtp_port(), released);
}

TEST(PortAllocatorTest, SkipsPortsSomeoneElseHolds) {
  PortRangeLock lock;
  // Occupy the RTCP port of the first pair from outside the allocator.
  int blocker = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kBase + 41);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  ASSERT_EQ(bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);

  PortAllocator allocator("127.0.0.1", kBase + 40, kBase + 43);  // two pairs
  for (int i = 0; i < 8; ++i) {  // whichever pair the draw starts from
    auto pair = allocator.Allocate();
    ASSERT_TRUE(pair.ok()) << pair.status();
    EXPECT_EQ(pair->rtp_port(), kBase + 42);
  }
  close(blocker);
}

TEST(PortAllocatorTest, PairsAreNotHandedOutInOrder) {
  // Ports in order told a stranger where the next call's media is. Held or
  // given back at once, 100 pairs of 1000: in order, 99 follow their
  // predecessor; at random about 10 (held: a neighbour is taken more often)
  // or 0.1 (given back). 50 is never reached but by a sequential allocator.
  PortAllocator allocator("192.0.2.10", 40000, 41999, PortAllocator::Mode::kNumbersOnly);
  for (bool hold : {true, false}) {
    std::vector<PortPair> held;
    std::set<uint16_t> seen;
    int follows = 0;
    uint16_t previous = 0;
    for (int i = 0; i < 100; ++i) {
      auto pair = allocator.Allocate();
      ASSERT_TRUE(pair.ok()) << pair.status();
      if (pair->rtp_port() == previous + 2) ++follows;
      previous = pair->rtp_port();
      seen.insert(previous);
      if (hold) held.push_back(std::move(*pair));
    }
    EXPECT_LT(follows, 50) << (hold ? "held" : "given back");
    EXPECT_GT(seen.size(), 50u);
  }
}

TEST(PortAllocatorTest, RejectsABadAddress) {
  PortAllocator allocator("not-an-ip", kBase + 50, kBase + 59);
  EXPECT_EQ(allocator.Allocate().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PortAllocatorTest, MovedPairKeepsItsSockets) {
  PortRangeLock lock;
  PortAllocator allocator("127.0.0.1", kBase + 60, kBase + 69);
  auto pair = allocator.Allocate();
  ASSERT_TRUE(pair.ok());
  PortPair moved = std::move(*pair);
  EXPECT_FALSE(pair->valid());
  EXPECT_TRUE(moved.valid());
  EXPECT_EQ(BoundPort(moved.rtp_fd()), moved.rtp_port());
}

// IPv6 media: the pair is bound on the IPv6 address, IPv6 only (an IPv4
// peer cannot reach an IPv6 caller's leg through a mapped address).
TEST(PortAllocatorTest, BindsIpv6PairsOnTheIpv6Address) {
  PortRangeLock lock;
  PortAllocator allocator("127.0.0.1", kBase + 70, kBase + 73, PortAllocator::Mode::kKernelSockets,
                          "::1");
  ASSERT_TRUE(allocator.Supports(IpFamily::kIpv6));
  auto pair = allocator.Allocate(IpFamily::kIpv6);
  ASSERT_TRUE(pair.ok()) << pair.status();
  for (int fd : {pair->rtp_fd(), pair->rtcp_fd()}) {
    sockaddr_in6 bound{};
    socklen_t length = sizeof(bound);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length), 0);
    EXPECT_EQ(bound.sin6_family, AF_INET6);
    EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&bound.sin6_addr));
    EXPECT_EQ(ntohs(bound.sin6_port), fd == pair->rtp_fd() ? pair->rtp_port() : pair->rtcp_port());
    int v6only = 0;
    socklen_t size = sizeof(v6only);
    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &size);
    EXPECT_EQ(v6only, 1);
  }
}

// A worker routes by local port alone: a port number held in one family is
// not handed out in the other, though the kernel would bind it there.
TEST(PortAllocatorTest, APortHeldInOneFamilyIsNotHandedOutInTheOther) {
  PortRangeLock lock;
  PortAllocator allocator("127.0.0.1", kBase + 80, kBase + 83, PortAllocator::Mode::kKernelSockets,
                          "::1");  // two pairs
  for (int round = 0; round < 4; ++round) {
    auto first = allocator.Allocate(round % 2 == 0 ? IpFamily::kIpv4 : IpFamily::kIpv6);
    auto second = allocator.Allocate(round % 2 == 0 ? IpFamily::kIpv6 : IpFamily::kIpv4);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_NE(first->rtp_port(), second->rtp_port());
    EXPECT_EQ(allocator.Allocate(IpFamily::kIpv6).status().code(),
              absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(allocator.Allocate(IpFamily::kIpv4).status().code(),
              absl::StatusCode::kResourceExhausted);
  }
}

TEST(PortAllocatorTest, NoIpv6WithoutAnIpv6Address) {
  PortAllocator v4_only("127.0.0.1", kBase + 90, kBase + 93);
  EXPECT_FALSE(v4_only.Supports(IpFamily::kIpv6));
  EXPECT_EQ(v4_only.Allocate(IpFamily::kIpv6).status().code(),
            absl::StatusCode::kFailedPrecondition);
  PortAllocator numbers("192.0.2.10", 40000, 40007, PortAllocator::Mode::kNumbersOnly);
  EXPECT_FALSE(numbers.Supports(IpFamily::kIpv6));
  EXPECT_EQ(numbers.Allocate(IpFamily::kIpv6).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PortAllocatorTest, CheckAddressTellsAnAddressThisHostDoesNotHave) {
  PortAllocator allocator("127.0.0.1", kBase + 90, kBase + 93, PortAllocator::Mode::kKernelSockets,
                          "2001:db8::7");  // documentation prefix: no host has it
  EXPECT_TRUE(allocator.CheckAddress(IpFamily::kIpv4).ok());
  EXPECT_FALSE(allocator.CheckAddress(IpFamily::kIpv6).ok());
  PortAllocator loopback("127.0.0.1", kBase + 90, kBase + 93, PortAllocator::Mode::kKernelSockets,
                         "::1");
  EXPECT_TRUE(loopback.CheckAddress(IpFamily::kIpv6).ok());
}

}  // namespace
}  // namespace tutti::media
