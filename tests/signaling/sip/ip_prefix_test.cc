#include "signaling/sip/ip_prefix.h"

#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

bool In(std::string_view block, std::string_view address) {
  return IpPrefix::Parse(block)->Contains(Ip(address));
}

TEST(IpAddressTest, IpV4IsKeptMappedSoBothFamiliesShareOneKey) {
  EXPECT_EQ(Ip("10.0.0.1"), Ip("::ffff:10.0.0.1"));
  EXPECT_TRUE(Ip("10.0.0.1").v4());
  EXPECT_FALSE(Ip("2001:db8::1").v4());
  EXPECT_EQ(IpAddress::From(*SocketAddress::FromIpPort("192.0.2.1", 5060)), Ip("192.0.2.1"));
  EXPECT_EQ(IpAddress::From(*SocketAddress::FromIpPort("2001:db8::7", 5060)), Ip("2001:db8::7"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::Parse("10.0.0"));
}

TEST(IpAddressTest, SourceBlockIsAnIpv4AddressOrAnIpv6Slash64) {
  EXPECT_EQ(Ip("192.0.2.1").SourceBlock(), Ip("192.0.2.1"));
  EXPECT_NE(Ip("192.0.2.1").SourceBlock(), Ip("192.0.2.2").SourceBlock());
  // One stranger's /64: any interface id is the same source.
  EXPECT_EQ(Ip("2001:db8:1:2::1").SourceBlock(), Ip("2001:db8:1:2:ffff:1:2:3").SourceBlock());
  EXPECT_EQ(Ip("2001:db8:1:2:aaaa::1").SourceBlock(), Ip("2001:db8:1:2::"));
  EXPECT_NE(Ip("2001:db8:1:2::1").SourceBlock(), Ip("2001:db8:1:3::1").SourceBlock());
  // Per address where a /64 is not one party's: loopback, link-local, NAT64.
  EXPECT_NE(Ip("::1").SourceBlock(), Ip("::").SourceBlock());
  EXPECT_NE(Ip("fe80::1").SourceBlock(), Ip("fe80::2").SourceBlock());
  EXPECT_NE(Ip("64:ff9b::192.0.2.1").SourceBlock(), Ip("64:ff9b::192.0.2.2").SourceBlock());
  EXPECT_EQ(Ip("2001:db8:1:2::9").SourceBlock().ToString(), "2001:db8:1:2::");
  EXPECT_EQ(Ip("::ffff:192.0.2.1").ToString(), "192.0.2.1");
}

TEST(IpPrefixTest, ParsesBlocksAndSingleAddresses) {
  for (const char* good : {"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "0.0.0.0/0", "::/0",
                           " 10.0.0.0/8 ", "::1/128"}) {
    EXPECT_TRUE(IpPrefix::Parse(good).ok()) << good;
  }
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "example.com", "2001:db8::/129",
                          "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.0/+8", ""}) {
    EXPECT_FALSE(IpPrefix::Parse(bad).ok()) << bad;
  }
  EXPECT_EQ(IpPrefix::Parse("10.0.0.0/8")->length(), 8);
  EXPECT_EQ(IpPrefix::Parse("2001:db8::/32")->length(), 32);
  EXPECT_EQ(IpPrefix::Parse("192.0.2.7")->length(), 32);
}

TEST(IpPrefixTest, ErrorsNameTheEntryAndWhatIsWrong) {
  EXPECT_EQ(IpPrefix::Parse("10.0.0.0/40").status().message(),
            "\"10.0.0.0/40\" has a bad prefix length (0-32)");
  EXPECT_EQ(IpPrefix::Parse("2001:db8::/129").status().message(),
            "\"2001:db8::/129\" has a bad prefix length (0-128)");
  EXPECT_EQ(IpPrefix::Parse("sbc.example.com").status().message(),
            "\"sbc.example.com\" is not an IP address");
}

struct Case {
  const char* block;
  const char* address;
  bool in;
};

TEST(IpPrefixTest, MatchesTheNetworkBitsOnly) {
  constexpr Case kCases[] = {
      {"10.1.2.0/23", "10.1.3.255", true},  // /23 covers .2 and .3
      {"10.1.2.0/23", "10.1.4.0", false},
      {"10.1.2.0/23", "10.1.1.255", false},
      {"192.0.2.99/24", "192.0.2.1", true},  // host bits below the prefix are ignored
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.8", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"0.0.0.0/0", "203.0.113.9", true},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(In(c.block, c.address), c.in) << c.block << " " << c.address;
}

TEST(IpPrefixTest, EachFamilyHoldsItsOwnCallers) {
  constexpr Case kCases[] = {
      {"10.0.0.0/8", "::ffff:10.9.9.9", true},  // a dual-stack socket's IPv4 caller is IPv4
      {"0.0.0.0/0", "2001:db8::1", false},
      {"::/0", "2001:db8::1", true},
      {"::/0", "10.0.0.1", false},
      {"::ffff:10.0.0.0/104", "10.200.0.1", true},  // IPv4 in the mapped form is IPv4
      {"::ffff:10.0.0.0/104", "11.0.0.1", false},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(In(c.block, c.address), c.in) << c.block << " " << c.address;
  EXPECT_TRUE(IpPrefix::Parse("::ffff:10.0.0.0/104")->v4());
}

TEST(IpPrefixSetTest, AddressesAndBlocksOfBothFamilies) {
  absl::StatusOr<IpPrefixSet> set =
      IpPrefixSet::Parse({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->empty());
  for (const char* in : {"10.255.0.1", "192.0.2.7", "2001:db8:1::1", "::ffff:a00:1"}) {
    EXPECT_TRUE(set->Contains(Ip(in))) << in;
  }
  for (const char* out : {"11.0.0.1", "192.0.2.8", "2001:db9::1", "::ffff:b00:1"}) {
    EXPECT_FALSE(set->Contains(Ip(out))) << out;
  }
  EXPECT_TRUE(IpPrefixSet::Parse({})->empty());
  EXPECT_FALSE(IpPrefixSet::Parse({})->Contains(Ip("10.0.0.1")));
}

TEST(IpPrefixSetTest, TheFirstBadEntryIsTheError) {
  absl::StatusOr<IpPrefixSet> set = IpPrefixSet::Parse({"10.0.0.0/8", "nonsense", "10.0.0.0/99"});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(), "\"nonsense\" is not an IP address");
}

}  // namespace
}  // namespace tutti::sip
