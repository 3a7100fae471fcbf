#include "mediaplane/endpoint.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace tutti::media {
namespace {

// The mixer copies and compares endpoints per packet.
static_assert(std::is_trivially_copyable_v<Endpoint>);
static_assert(sizeof(Endpoint) <= 18);

std::array<uint8_t, 16> Bytes(std::initializer_list<uint8_t> head, uint8_t last) {
  std::array<uint8_t, 16> bytes{};
  std::copy(head.begin(), head.end(), bytes.begin());
  bytes[15] = last;
  return bytes;
}

TEST(EndpointTest, Ipv4HasOneFormHoweverItIsWritten) {
  const Endpoint plain(0xc0000201, 4000);  // 192.0.2.1
  EXPECT_TRUE(plain.is_ipv4());
  EXPECT_EQ(plain.family(), IpFamily::kIpv4);
  EXPECT_EQ(plain.ipv4(), 0xc0000201u);
  EXPECT_EQ(ParseEndpoint("192.0.2.1", 4000), plain);
  EXPECT_EQ(ParseEndpoint("::ffff:192.0.2.1", 4000), plain);
  EXPECT_FALSE(plain == Endpoint(0xc0000201, 4001));
  EXPECT_FALSE(plain == Endpoint(0xc0000202, 4000));
}

TEST(EndpointTest, Ipv6AddressesDifferInEveryByte) {
  const std::optional<Endpoint> a = ParseEndpoint("2001:db8::1", 4000);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->is_ipv4());
  EXPECT_EQ(a->family(), IpFamily::kIpv6);
  EXPECT_EQ(a->ipv4(), 0u);
  EXPECT_EQ(a->ip, Bytes({0x20, 0x01, 0x0d, 0xb8}, 1));
  EXPECT_FALSE(*a == *ParseEndpoint("2001:db8::2", 4000));
  EXPECT_FALSE(*a == *ParseEndpoint("2001:db9::1", 4000));  // the high word
  EXPECT_FALSE(*a == a->WithPort(4002));
  // Low 32 bits equal to an IPv4 address's do not make it that address.
  EXPECT_FALSE(*ParseEndpoint("::c000:201", 4000) == Endpoint(0xc0000201, 4000));
  EXPECT_FALSE(ParseEndpoint("::c000:201", 4000)->is_ipv4());
}

TEST(EndpointTest, PrintsIpv6InBrackets) {
  EXPECT_EQ(ToString(Endpoint(0x7f000001, 20000)), "127.0.0.1:20000");
  EXPECT_EQ(ToString(*ParseEndpoint("::1", 20000)), "[::1]:20000");
  EXPECT_EQ(ToString(*ParseEndpoint("fd00::2", 7078)), "[fd00::2]:7078");
  EXPECT_EQ(IpToString(*ParseEndpoint("fd00::2", 7078)), "fd00::2");
  EXPECT_EQ(ToString(*ParseEndpoint("::ffff:10.0.0.1", 5)), "10.0.0.1:5");
}

TEST(EndpointTest, OnlyIpAddressesParse) {
  for (const char* text : {"", "host.example", "1.2.3", "fe80::1%lo", "[::1]",
                           "::1:", "2001:db8:0:0:0:0:0:0:1", "1.2.3.4 "}) {
    EXPECT_FALSE(ParseEndpoint(text, 1)) << text;
  }
  EXPECT_FALSE(ParseEndpoint(std::string(100, '1'), 1));
}

TEST(EndpointTest, UnspecifiedIsTheHoldAddressOfEitherFamily) {
  EXPECT_TRUE(Endpoint(0, 9).is_unspecified());
  EXPECT_TRUE(ParseEndpoint("::", 9)->is_unspecified());
  EXPECT_FALSE(Endpoint(1, 9).is_unspecified());
  EXPECT_FALSE(ParseEndpoint("::1", 9)->is_unspecified());
}

}  // namespace
}  // namespace tutti::media
