// [[trunk]], [[dial_plan]], [dial_out] and [trunks]: defaults, every key,
// the messages a wrong one gets, and what reaches call control.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/component_options.h"
#include "server/config/config.h"
#include "server/default_config.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

Config Accepted(std::string_view text) {
  absl::StatusOr<Config> config = ParseConfig(text, "t.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : Config{};
}

std::string ErrorOf(std::string_view text) {
  auto config = ParseConfig(text, "t.toml");
  return config.ok() ? "(accepted)" : std::string(config.status().message());
}

TEST(TrunksConfigTest, TheShippedConfigHasNoTrunksAndTheDefaults) {
  auto shipped = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  for (const Config& config : {*shipped, Accepted("")}) {
    EXPECT_TRUE(config.trunks.empty());
    EXPECT_TRUE(config.dial_plan.empty());
    const CallControllerOptions options = CallControllerOptionsFrom(config);
    EXPECT_TRUE(options.trunk_policy.allow_room_calls_from_anywhere);
    EXPECT_EQ(options.dial_out.max_per_room, 5);
    EXPECT_EQ(options.dial_out.max_per_room_per_hour, 30);
    EXPECT_EQ(options.dial_out.answer_timeout_s, 45);
  }
}

// ops/tutti.toml's commented-out example trunk and dial plan, taken in
// (their "# key = value" and "# [[...]]" lines), are a valid config.
TEST(TrunksConfigTest, TheShippedExampleTrunkIsValid) {
  const std::string shipped(DefaultConfigText());
  const size_t start = shipped.find("# [[trunk]]");
  // The section itself, after the example (comments above name it too).
  const size_t end = shipped.find("\n[dial_out]", start);
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string example;
  std::istringstream lines(shipped.substr(start, end - start));
  for (std::string line; std::getline(lines, line);) {
    const bool setting = line.rfind("# [[", 0) == 0 ||
                         (line.rfind("# ", 0) == 0 && line.size() > 2 && line[2] >= 'a' &&
                          line[2] <= 'z' && line.find(" = ") != std::string::npos);
    if (setting) example += line.substr(2) + "\n";
  }
  const Config config = Accepted(example);
  ASSERT_EQ(config.trunks.size(), 1u) << example;
  EXPECT_EQ(config.trunks[0].name, "carrier");
  EXPECT_TRUE(config.trunks[0].register_);
  EXPECT_EQ(config.trunks[0].password, "the trunk's secret");
  EXPECT_EQ(config.trunks[0].dial_out_patterns.size(), 2u);
  ASSERT_EQ(config.dial_plan.size(), 2u);
  EXPECT_EQ(config.dial_plan[1].ivr_room_digits, 4);
}

TEST(TrunksConfigTest, EveryTrunkKeyIsRead) {
  const Config config = Accepted(R"(
[[trunk]]
name = "carrier"
addresses = ["198.51.100.0/24", "2001:db8::/32"]
host = "192.0.2.1:5080"
domain = "sip.carrier.example"
outbound_proxy = "192.0.2.2"
transport = "tcp"
username = "tutti"
auth_username = "acct-7"
password = "s3cret"
register = true
register_expires_s = 300
options_interval_s = 0
country_code = "44"
national_prefix = "0"
international_prefix = "00"
number_format = "national"
user_phone = false
caller_id = "+44 20 7946 0000"
codecs = ["g729", "PCMA"]
max_calls = 30
max_calls_per_second = 2.5
dial_out_patterns = ["44[1-3]XXXXXXXXX", "447XXXXXXXXX"]
max_dial_outs = 4
max_dial_outs_per_hour = 40
early_media = true
prack = "required"

[[trunk]]
name = "pbx"
host = "localhost"
addresses = "10.0.0.7"
max_calls_per_second = 3
)");
  ASSERT_EQ(config.trunks.size(), 2u);
  const trunk::TrunkConfig& t = config.trunks[0];
  EXPECT_EQ(t.name, "carrier");
  EXPECT_THAT(t.addresses, ::testing::ElementsAre("198.51.100.0/24", "2001:db8::/32"));
  EXPECT_EQ(t.host, "192.0.2.1:5080");
  EXPECT_EQ(t.domain, "sip.carrier.example");
  EXPECT_EQ(t.outbound_proxy, "192.0.2.2");
  EXPECT_EQ(t.transport, "tcp");
  EXPECT_EQ(t.username, "tutti");
  EXPECT_EQ(t.auth_username, "acct-7");
  EXPECT_EQ(t.password, "s3cret");
  EXPECT_TRUE(t.register_);
  EXPECT_EQ(t.register_expires_s, 300);
  EXPECT_EQ(t.options_interval_s, 0);
  EXPECT_EQ(t.numbers.country_code, "44");
  EXPECT_EQ(t.numbers.national_prefix, "0");
  EXPECT_EQ(t.numbers.international_prefix, "00");
  EXPECT_EQ(t.numbers.format, "national");
  EXPECT_FALSE(t.numbers.user_phone);
  EXPECT_EQ(t.caller_id, "+44 20 7946 0000");
  EXPECT_THAT(t.codecs, ::testing::ElementsAre("G729", "PCMA"));  // as room.codecs writes them
  EXPECT_EQ(t.max_calls, 30);
  EXPECT_DOUBLE_EQ(t.max_calls_per_second, 2.5);
  EXPECT_THAT(t.dial_out_patterns, ::testing::ElementsAre("44[1-3]XXXXXXXXX", "447XXXXXXXXX"));
  EXPECT_EQ(t.max_dial_outs, 4);
  EXPECT_EQ(t.max_dial_outs_per_hour, 40);
  EXPECT_TRUE(t.early_media);
  EXPECT_EQ(t.prack, "required");

  const trunk::TrunkConfig& pbx = config.trunks[1];
  EXPECT_THAT(pbx.addresses, ::testing::ElementsAre("10.0.0.7"));
  EXPECT_DOUBLE_EQ(pbx.max_calls_per_second, 3);
  // Defaults as trunk_config.h documents them.
  EXPECT_EQ(pbx.transport, "udp");
  EXPECT_FALSE(pbx.register_);
  EXPECT_EQ(pbx.register_expires_s, 600);
  EXPECT_EQ(pbx.options_interval_s, 30);
  EXPECT_EQ(pbx.numbers.format, "+e164");
  EXPECT_TRUE(pbx.numbers.user_phone);
  EXPECT_EQ(pbx.max_dial_outs, 10);
  EXPECT_EQ(pbx.max_dial_outs_per_hour, 100);
  EXPECT_TRUE(pbx.dial_out_patterns.empty());
  EXPECT_EQ(pbx.prack, "supported");
}

TEST(TrunksConfigTest, DialPlanDialOutAndPolicyReachCallControl) {
  const Config config = Accepted(R"(
[[trunk]]
name = "carrier"
host = "192.0.2.1"

[[dial_plan]]
match = "442079460001"
room = "board"

[[dial_plan]]
match = "4420794600XX"
trunk = "carrier"
ivr = true
ivr_room_digits = 2

[dial_out]
max_per_room = 2
max_per_room_per_hour = 8
answer_timeout_s = 30

[trunks]
allow_room_calls_from_anywhere = false
)");
  ASSERT_EQ(config.dial_plan.size(), 2u);
  EXPECT_EQ(config.dial_plan[0].match, "442079460001");
  EXPECT_EQ(config.dial_plan[0].room, "board");
  EXPECT_FALSE(config.dial_plan[0].ivr);
  EXPECT_EQ(config.dial_plan[1].trunk, "carrier");
  EXPECT_TRUE(config.dial_plan[1].ivr);
  EXPECT_EQ(config.dial_plan[1].ivr_room_digits, 2);
  const CallControllerOptions options = CallControllerOptionsFrom(config);
  EXPECT_FALSE(options.trunk_policy.allow_room_calls_from_anywhere);
  EXPECT_EQ(options.dial_out.max_per_room, 2);
  EXPECT_EQ(options.dial_out.max_per_room_per_hour, 8);
  EXPECT_EQ(options.dial_out.answer_timeout_s, 30);
}

TEST(TrunksConfigTest, MistakesAreNamedWithTheirLine) {
  const std::string trunk = "[[trunk]]\nname = \"c\"\nhost = \"192.0.2.1\"\n";
  EXPECT_EQ(ErrorOf(trunk + "pasword = \"x\"\n"), "t.toml:4: trunk.pasword is not a known setting");
  EXPECT_EQ(ErrorOf(trunk + "max_calls = -1\n"),
            "t.toml:4: trunk.max_calls must be from 0 to 1000000, not -1");
  EXPECT_EQ(ErrorOf(trunk + "max_calls_per_second = \"2\"\n"),
            "t.toml:4: trunk.max_calls_per_second must be a number");
  EXPECT_EQ(ErrorOf(trunk + "codecs = [\"G723\"]\n"),
            "t.toml:4: trunk.codecs has \"G723\"; known are PCMU, PCMA, G722, G729, opus");
  EXPECT_EQ(ErrorOf(trunk + "codecs = [\"PCMA\", \"pcma\"]\n"),
            "t.toml:4: trunk.codecs names \"PCMA\" twice");
  EXPECT_EQ(ErrorOf(trunk + "transport = \"tls\"\n"),
            "t.toml:1: [[trunk]] \"c\": transport is \"udp\" or \"tcp\"");
  EXPECT_EQ(ErrorOf(trunk + "dial_out_patterns = [\"44.1\"]\n"),
            "t.toml:1: [[trunk]] \"c\": dial_out_patterns: '.' (any digits) may only end a "
            "pattern, in \"44.1\"");
  EXPECT_EQ(ErrorOf(trunk + "addresses = [\"10.0.0.0/33\"]\n"),
            "t.toml:1: [[trunk]] \"c\": addresses: \"10.0.0.0/33\" has a bad prefix length (0-32)");
  EXPECT_EQ(ErrorOf("[[trunk]]\nname = \"c\"\n"), "t.toml:1: [[trunk]] \"c\": host is required");
  EXPECT_EQ(ErrorOf("[[trunk]]\nhost = \"192.0.2.1\"\n"), "t.toml:1: trunk.name is missing");
  EXPECT_EQ(ErrorOf(trunk + trunk), "t.toml:4: trunk.name \"c\" is used twice");
  EXPECT_EQ(ErrorOf("[trunk]\nname = \"c\"\n"),
            "t.toml:1: trunk must be an array of tables ([[trunk]])");
  EXPECT_EQ(ErrorOf("[[dial_plan]]\nmatch = \"44X\"\n"),
            "t.toml:1: [[dial_plan]] #1 (match = \"44X\"): give exactly one of room = \"...\" "
            "or ivr = true");
  EXPECT_EQ(ErrorOf("[[dial_plan]]\nroom = \"demo\"\n"),
            "t.toml:1: [[dial_plan]] #1: match is missing");
  EXPECT_EQ(ErrorOf(trunk + "[[dial_plan]]\nmatch = \"1\"\nroom = \"a\"\ntrunk = \"x\"\n"),
            "t.toml:4: [[dial_plan]] #1: trunk \"x\" is no [[trunk]]'s name");
  EXPECT_EQ(ErrorOf("[[dial_plan]]\nmatch = \"1\"\nroom = \"a\"\nroom_name = \"b\"\n"),
            "t.toml:4: dial_plan.room_name is not a known setting");
  EXPECT_EQ(ErrorOf("[dial_out]\nanswer_timeout_s = 1\n"),
            "t.toml:2: dial_out.answer_timeout_s must be from 5 to 600, not 1");
  EXPECT_EQ(ErrorOf("[trunks]\nallow_room_calls = true\n"),
            "t.toml:2: trunks.allow_room_calls is not a known setting");
  EXPECT_EQ(ErrorOf("trunks = 1\n"), "t.toml:1: trunks must be a table");
}

TEST(TrunksConfigTest, APasswordMayComeFromAFile) {
  const std::string path = testing_support::UniqueTempPath("password");
  std::ofstream(path) << "from-file\n";
  const std::string trunk = "[[trunk]]\nname = \"c\"\nhost = \"192.0.2.1\"\n";
  Config config = Accepted(trunk + "password_file = \"" + path + "\"\n");
  ASSERT_EQ(config.trunks.size(), 1u);
  EXPECT_EQ(config.trunks[0].password, "from-file");
  EXPECT_EQ(ErrorOf(trunk + "password = \"x\"\npassword_file = \"" + path + "\"\n"),
            "t.toml:5: trunk.password_file and password are both set: give one");
  std::remove(path.c_str());
  EXPECT_EQ(ErrorOf(trunk + "password_file = \"" + path + "\"\n"),
            "t.toml:4: trunk.password_file \"" + path + "\" cannot be read");
}

}  // namespace
}  // namespace tutti
