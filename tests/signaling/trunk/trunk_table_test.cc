#include "signaling/trunk/trunk_table.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::trunk {
namespace {

TrunkConfig Trunk(const char* name, const char* host) {
  TrunkConfig trunk;
  trunk.name = name;
  trunk.host = host;
  return trunk;
}

sip::SocketAddress At(const char* ip, uint16_t port = 5060) {
  return *sip::SocketAddress::FromIpPort(ip, port);
}

TEST(TrunkTableTest, RecognisesCallsByTheTrunksAddresses) {
  TrunkConfig carrier = Trunk("carrier", "192.0.2.1");
  carrier.addresses = {"198.51.100.0/24", "2001:db8::/32"};
  TrunkConfig pbx = Trunk("pbx", "203.0.113.7:5080");  // no addresses: its host's
  absl::StatusOr<TrunkTable> table = TrunkTable::Make({carrier, pbx});
  ASSERT_TRUE(table.ok()) << table.status();

  EXPECT_EQ(table->FromSource(At("198.51.100.9")), table->Named("carrier"));
  EXPECT_EQ(table->FromSource(At("2001:db8::5", 5999)), table->Named("carrier"));
  EXPECT_EQ(table->FromSource(At("192.0.2.1")), nullptr);  // carrier's host is not in its list
  EXPECT_EQ(table->FromSource(At("203.0.113.7", 40000)), table->Named("pbx"));
  EXPECT_EQ(table->FromSource(At("203.0.113.8")), nullptr);
  EXPECT_EQ(table->Named("nobody"), nullptr);
  EXPECT_FALSE(table->empty());
}

TEST(TrunkTableTest, NextHopIsTheOutboundProxyElseTheHostOnPort5060ByDefault) {
  TrunkConfig direct = Trunk("direct", "192.0.2.1");
  TrunkConfig proxied = Trunk("proxied", "carrier.invalid.example");
  proxied.host = "localhost:5070";
  proxied.outbound_proxy = "[::1]:5090";
  proxied.transport = "tcp";
  TrunkConfig v6 = Trunk("v6", "2001:db8::1");
  absl::StatusOr<TrunkTable> table = TrunkTable::Make({direct, proxied, v6});
  ASSERT_TRUE(table.ok()) << table.status();

  sip::Destination hop = table->NextHop(*table->Named("direct"));
  EXPECT_EQ(hop.transport, sip::TransportKind::kUdp);
  EXPECT_EQ(hop.address.ToString(), "192.0.2.1:5060");
  hop = table->NextHop(*table->Named("proxied"));
  EXPECT_EQ(hop.transport, sip::TransportKind::kTcp);
  EXPECT_EQ(hop.address.ToString(), "[::1]:5090");
  EXPECT_EQ(table->NextHop(*table->Named("v6")).address.ToString(), "[2001:db8::1]:5060");
  // The domain of the URIs sent defaults to the host as written.
  EXPECT_EQ(table->Named("direct")->domain, "192.0.2.1");
  EXPECT_EQ(table->Named("proxied")->domain, "localhost:5070");
}

TEST(TrunkTableTest, OutboundForTakesTheFirstAllowedTrunkNotSkipped) {
  TrunkConfig uk = Trunk("uk", "192.0.2.1");
  uk.dial_out_patterns = {"44[1-3]XXXXXXXXX", "447XXXXXXXXX"};
  TrunkConfig world = Trunk("world", "192.0.2.2");
  world.dial_out_patterns = {"X."};
  TrunkConfig inbound_only = Trunk("inbound", "192.0.2.3");
  absl::StatusOr<TrunkTable> table = TrunkTable::Make({inbound_only, uk, world});
  ASSERT_TRUE(table.ok()) << table.status();

  EXPECT_EQ(table->OutboundFor("442079460000"), table->Named("uk"));
  EXPECT_EQ(table->OutboundFor("447700900123"), table->Named("uk"));
  EXPECT_EQ(table->OutboundFor("12125550100"), table->Named("world"));
  EXPECT_EQ(table->OutboundFor("442079460000", {"uk"}), table->Named("world"));
  EXPECT_EQ(table->OutboundFor("442079460000", {"uk", "world"}), nullptr);
}

TEST(TrunkTableTest, ForHostNamesTheTrunkByItsDomainOrHostWithoutThePort) {
  TrunkConfig carrier = Trunk("carrier", "192.0.2.1:5080");
  carrier.domain = "Sip.Carrier.example";
  TrunkConfig v6 = Trunk("v6", "[2001:db8::1]:5070");
  absl::StatusOr<TrunkTable> table = TrunkTable::Make({carrier, v6});
  ASSERT_TRUE(table.ok()) << table.status();

  EXPECT_EQ(table->ForHost("sip.carrier.example"), table->Named("carrier"));
  EXPECT_EQ(table->ForHost("192.0.2.1"), table->Named("carrier"));
  EXPECT_EQ(table->ForHost("2001:db8::1"), table->Named("v6"));
  EXPECT_EQ(table->ForHost("192.0.2.1:5080"), nullptr);  // a host, not host:port
  EXPECT_EQ(table->ForHost("evil.example"), nullptr);
}

TEST(TrunkTableTest, MakeNamesTheTrunkAndWhatIsWrong) {
  struct Case {
    TrunkConfig trunk;
    const char* error;
  };
  std::vector<Case> cases;
  auto add = [&](auto change, const char* error) {
    TrunkConfig trunk = Trunk("t", "192.0.2.1");
    change(trunk);
    cases.push_back({trunk, error});
  };
  add([](TrunkConfig& t) { t.host = ""; }, "[[trunk]] \"t\": host is required");
  add([](TrunkConfig& t) { t.name = "a b"; },
      "[[trunk]] \"a b\": a name is 1-64 of A-Z a-z 0-9 - _ .");
  add([](TrunkConfig& t) { t.transport = "tls"; },
      "[[trunk]] \"t\": transport is \"udp\" or \"tcp\"");
  add([](TrunkConfig& t) { t.host = "192.0.2.1:99999"; },
      "[[trunk]] \"t\": host \"192.0.2.1:99999\" is not host, host:port or [ipv6]:port");
  add([](TrunkConfig& t) { t.outbound_proxy = "[::1"; }, nullptr);
  add([](TrunkConfig& t) { t.addresses = {"10.0.0.0/40"}; },
      "[[trunk]] \"t\": addresses: \"10.0.0.0/40\" has a bad prefix length (0-32)");
  add([](TrunkConfig& t) { t.dial_out_patterns = {"44a"}; }, nullptr);
  add([](TrunkConfig& t) { t.register_ = true; },
      "[[trunk]] \"t\": register = true needs a username");
  add([](TrunkConfig& t) { t.numbers.country_code = "+44"; }, nullptr);
  add([](TrunkConfig& t) { t.numbers.format = "local"; }, nullptr);
  add([](TrunkConfig& t) { t.numbers.format = "national"; },
      "[[trunk]] \"t\": number_format = \"national\" needs country_code and international_prefix");
  add([](TrunkConfig& t) { t.caller_id = "reception"; },
      "[[trunk]] \"t\": caller_id \"reception\" is not a number");
  add([](TrunkConfig& t) { t.register_expires_s = 10; }, nullptr);
  add([](TrunkConfig& t) { t.options_interval_s = 1; }, nullptr);
  add([](TrunkConfig& t) { t.max_calls = -1; }, nullptr);
  add([](TrunkConfig& t) { t.max_dial_outs_per_hour = 1000000; }, nullptr);
  add([](TrunkConfig& t) { t.prack = "yes"; }, nullptr);
  add([](TrunkConfig& t) { t.codecs = {"G729", "bad codec"}; }, nullptr);
  for (const Case& c : cases) {
    absl::StatusOr<TrunkTable> table = TrunkTable::Make({c.trunk});
    ASSERT_FALSE(table.ok()) << c.trunk.name << " " << c.trunk.host;
    EXPECT_EQ(std::string(table.status().message()).rfind("[[trunk]] \"", 0), 0u) << table.status();
    if (c.error != nullptr) {
      EXPECT_EQ(table.status().message(), c.error);
    }
  }
  EXPECT_EQ(TrunkTable::Make({Trunk("t", "192.0.2.1"), Trunk("t", "192.0.2.2")}).status().message(),
            "[[trunk]] \"t\": a second trunk of that name");
  EXPECT_TRUE(TrunkTable::Make({})->empty());
}

}  // namespace
}  // namespace tutti::trunk
