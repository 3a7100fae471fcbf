// [sip] listen as one address or a list, and advertised_address per address
// family: what is accepted, what each family advertises, and the errors
// --check_config gives (key and line).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using Addresses = std::vector<std::string>;

absl::StatusOr<Config> Sip(const std::string& lines) {
  return ParseConfig("[sip]\n" + lines, "t.toml");
}

TEST(SipListenConfigTest, OneAddressOrAList) {
  auto one = Sip("listen = \"::1\"\n");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->sip.listen_addresses, Addresses{"::1"});
  auto both = Sip("listen = [\"127.0.0.1\", \"[::1]\"]\n");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->sip.listen_addresses, (Addresses{"127.0.0.1", "::1"}));  // brackets dropped
  auto wildcards =
      Sip("listen = [\"0.0.0.0\", \"::\"]\nadvertised_address = \"sip.example.org\"\n");
  ASSERT_TRUE(wildcards.ok()) << wildcards.status();
  EXPECT_EQ(wildcards->sip.listen_addresses, (Addresses{"0.0.0.0", "::"}));
}

TEST(SipListenConfigTest, EachFamilyAdvertisesItsFirstListenAddress) {
  auto config = Sip("listen = [\"192.0.2.1\", \"2001:db8::1\", \"2001:db8::2\"]\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sip.advertised_ipv4, "192.0.2.1");
  EXPECT_EQ(config->sip.advertised_ipv6, "2001:db8::1");
  auto v6_only = Sip("listen = \"::1\"\n");
  ASSERT_TRUE(v6_only.ok()) << v6_only.status();
  EXPECT_EQ(v6_only->sip.advertised_ipv4, "");
  EXPECT_EQ(v6_only->sip.advertised_ipv6, "::1");
}

TEST(SipListenConfigTest, AdvertisedAddressesGoToTheirFamilies) {
  const struct {
    std::string advertised;
    std::string ipv4, ipv6;
  } cases[] = {
      {"[\"[2001:db8::5]\", \"198.51.100.7\"]", "198.51.100.7", "2001:db8::5"},
      // A name serves both; an address beside it takes its own family.
      {"[\"sip.example.org\", \"2001:db8::5\"]", "sip.example.org", "2001:db8::5"},
  };
  for (const auto& c : cases) {
    auto config =
        Sip("listen = [\"0.0.0.0\", \"::\"]\nadvertised_address = " + c.advertised + "\n");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->sip.advertised_ipv4, c.ipv4) << c.advertised;
    EXPECT_EQ(config->sip.advertised_ipv6, c.ipv6) << c.advertised;
  }
}

TEST(SipListenConfigTest, BadListensNameTheKeyAndLine) {
  const struct {
    std::string lines;
    std::string error;
  } cases[] = {
      {"port = 5060\nlisten = \"localhost\"\n",
       "t.toml:3: sip.listen has \"localhost\", not an IPv4 or IPv6 address"},
      {"listen = []\n", "t.toml:2: sip.listen must name an address"},
      {"listen = 5060\n", "t.toml:2: sip.listen must be a string or an array of strings"},
      {"listen = [\"::ffff:127.0.0.1\"]\n",
       "t.toml:2: sip.listen has \"::ffff:127.0.0.1\", an IPv4-mapped IPv6 address: write "
       "127.0.0.1"},
      {"listen = [\"::1\", \"0:0::1\"]\n", "t.toml:2: sip.listen has ::1 and ::1"},
      {"listen = [\"0.0.0.0\", \"127.0.0.1\"]\nadvertised_address = \"192.0.2.1\"\n",
       "t.toml:2: sip.listen has 0.0.0.0 and 127.0.0.1"},
      {"listen = \"0.0.0.0\"\n",
       "t.toml:2: sip.listen has 0.0.0.0, every address: set advertised_address to the IPv4"},
      {"listen = [\"127.0.0.1\", \"::\"]\n",
       "t.toml:2: sip.listen has ::, every address: set advertised_address to the IPv6"},
      {"listen = \"::1\"\nadvertised_address = [\"::1\", \"::2\"]\n",
       "t.toml:3: sip.advertised_address has more than one"},
      {"advertised_address = \"::\"\n", "t.toml:2: sip.advertised_address has ::, which no"},
      {"advertised_address = \"a b\"\n",
       "t.toml:2: sip.advertised_address has \"a b\", neither a host name"},
  };
  for (const auto& c : cases) {
    auto config = Sip(c.lines);
    ASSERT_FALSE(config.ok()) << c.lines;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.error)) << c.lines;
  }
}

}  // namespace
}  // namespace tutti
