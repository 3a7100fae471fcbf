#include "signaling/sip/source_filter.h"

#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

SocketAddress At(std::string_view ip) { return *SocketAddress::FromIpPort(ip, 5060); }

TEST(SourceFilterTest, EmptyAllowsEveryone) {
  SourceFilter filter = *SourceFilter::Make({}, {});
  EXPECT_TRUE(filter.empty());
  EXPECT_TRUE(filter.Allows(At("203.0.113.9")));
}

TEST(SourceFilterTest, AllowListAndDenyWins) {
  SourceFilter filter = *SourceFilter::Make({"10.0.0.0/8", "2001:db8::/32"}, {"10.1.2.0/23"});
  EXPECT_TRUE(filter.Allows(At("10.200.0.1")));
  EXPECT_TRUE(filter.Allows(At("10.1.1.255")));
  EXPECT_FALSE(filter.Allows(At("10.1.2.0")));
  EXPECT_FALSE(filter.Allows(At("10.1.3.255")));  // /23 covers .2 and .3
  EXPECT_TRUE(filter.Allows(At("10.1.4.0")));
  EXPECT_FALSE(filter.Allows(At("11.0.0.1")));
  EXPECT_TRUE(filter.Allows(At("2001:db8:ffff::1")));
  EXPECT_FALSE(filter.Allows(At("2001:db9::1")));
  // A dual-stack socket's IPv4 caller is matched as IPv4.
  EXPECT_TRUE(filter.Allows(At("::ffff:10.9.9.9")));
  EXPECT_FALSE(filter.Allows(At("::ffff:10.1.2.3")));
}

TEST(SourceFilterTest, DenyOnlyAllowsTheRest) {
  SourceFilter filter = *SourceFilter::Make({}, {"192.0.2.7", "::1/128"});
  EXPECT_FALSE(filter.Allows(At("192.0.2.7")));
  EXPECT_TRUE(filter.Allows(At("192.0.2.8")));
  EXPECT_FALSE(filter.Allows(At("::1")));
  EXPECT_TRUE(filter.Allows(At("::2")));
  // Host bits below the prefix are ignored.
  EXPECT_FALSE((*SourceFilter::Make({}, {"192.0.2.99/24"})).Allows(At("192.0.2.1")));
}

TEST(SourceFilterTest, IpV6BlocksHoldNoIpV4Caller) {
  SourceFilter filter = *SourceFilter::Make({}, {"::/0"});
  EXPECT_FALSE(filter.Allows(At("2001:db8::1")));
  EXPECT_TRUE(filter.Allows(At("192.0.2.1")));
  EXPECT_TRUE(filter.Allows(At("::ffff:192.0.2.1")));
}

TEST(SourceFilterTest, BadEntryIsNamed) {
  absl::StatusOr<SourceFilter> filter = SourceFilter::Make({"10.0.0.0/8"}, {"nonsense"});
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().message(),
            "\"nonsense\" is not an address or CIDR block (10.0.0.0/8, 2001:db8::/32)");
  EXPECT_FALSE(SourceFilter::Make({"10.0.0.0/33"}, {}).ok());
}

}  // namespace
}  // namespace tutti::sip
