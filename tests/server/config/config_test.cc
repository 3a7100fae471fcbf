#include "server/config/config.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/default_config.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, EmbeddedDefaultIsTheDocumentedOne) {
  auto config = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sip.listen_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(config->sip.port, 5060);
  EXPECT_TRUE(config->sip.udp);
  EXPECT_TRUE(config->sip.tcp);
  EXPECT_EQ(config->sip.advertised_ipv4, "127.0.0.1");
  EXPECT_EQ(config->sip.advertised_ipv6, "");
  EXPECT_EQ(config->media.backend, "kernel");
  EXPECT_TRUE(config->media.share_encoding);
  ASSERT_EQ(config->rooms.size(), 2u);
  EXPECT_EQ(config->rooms[0].name, "1000");  // open
  EXPECT_TRUE(config->rooms[0].pin.empty() && config->rooms[0].moderator_pin.empty());
  EXPECT_EQ(config->rooms[1].name, "2000");  // with PINs, as the README's example
  EXPECT_EQ(config->rooms[1].pin, "4321");
  EXPECT_EQ(config->rooms[1].moderator_pin, "8765");
  EXPECT_EQ(config->ivr.number, "conference");
  EXPECT_EQ(config->store.path, "tutti-rooms.db");  // API rooms kept, beside the call records
}

TEST(ConfigTest, StorePathOrNone) {
  auto config = ParseConfig("[store]\npath = \"/var/lib/tutti/rooms.db\"\n", "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->store.path, "/var/lib/tutti/rooms.db");
  EXPECT_EQ(ParseConfig("", "t.toml")->store.path, "");  // a config without [store] keeps none
  EXPECT_EQ(ParseConfig("[store]\nfile = \"x\"\n", "t.toml").status().message(),
            "t.toml:2: store.file is not a known setting");
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  auto config = ParseConfig("", "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sip.port, 5060);
  EXPECT_TRUE(config->rooms.empty());
}

TEST(ConfigTest, UnknownKeyNamesKeyAndLine) {
  auto config = ParseConfig("[sip]\nport = 5070\nprot = 1\n", "t.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "t.toml:3: sip.prot is not a known setting");
}

TEST(ConfigTest, UnknownSection) {
  auto config = ParseConfig("\n[sipp]\nport = 1\n", "t.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("t.toml:2: sipp is not a known section"));
}

TEST(ConfigTest, WrongTypeAndRange) {
  auto wrong_type = ParseConfig("[sip]\nport = \"5060\"\n", "t.toml");
  EXPECT_EQ(wrong_type.status().message(), "t.toml:2: sip.port must be an integer");
  auto out_of_range = ParseConfig("[sip]\n\nport = 70000\n", "t.toml");
  EXPECT_EQ(out_of_range.status().message(),
            "t.toml:3: sip.port must be from 1 to 65535, not 70000");
}

TEST(ConfigTest, MediaSendLimits) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->media.unverified_send_s, 5);
  EXPECT_EQ(defaults->media.consent_timeout_s, 10);
  auto set = ParseConfig("[media]\nunverified_send_s = 0\nconsent_timeout_s = 30\n", "t.toml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->media.unverified_send_s, 0);
  EXPECT_EQ(set->media.consent_timeout_s, 30);
  auto bad = ParseConfig("[media]\nconsent_timeout_s = -1\n", "t.toml");
  EXPECT_EQ(bad.status().message(),
            "t.toml:2: media.consent_timeout_s must be from 0 to 3600, not -1");
}

TEST(ConfigTest, AudioCodecsOfTheServerAndOfARoom) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const std::vector<std::string> all = {"opus", "G722", "PCMU", "PCMA", "G729"};
  EXPECT_EQ(defaults->media.audio_codecs, all);
  EXPECT_EQ(defaults->rooms.at(0).codecs, all);
  // A room that names none takes [media] audio_codecs; one that does keeps its own.
  auto set = ParseConfig(
      "[media]\naudio_codecs = [\"G729\", \"PCMA\"]\n"
      "[[room]]\nname = \"a\"\n[[room]]\nname = \"b\"\ncodecs = [\"G722\"]\n",
      "t.toml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->media.audio_codecs, (std::vector<std::string>{"G729", "PCMA"}));
  EXPECT_EQ(set->rooms.at(0).codecs, (std::vector<std::string>{"G729", "PCMA"}));
  EXPECT_EQ(set->rooms.at(1).codecs, std::vector<std::string>{"G722"});
  EXPECT_EQ(ParseConfig("[media]\naudio_codecs = [\"G723\"]\n", "t.toml").status().message(),
            "t.toml:2: media.audio_codecs has \"G723\"; known are opus, G722, PCMU, PCMA, G729");
  EXPECT_EQ(ParseConfig("[media]\naudio_codecs = []\n", "t.toml").status().message(),
            "t.toml:2: media.audio_codecs must name at least one codec");
}

TEST(ConfigTest, VideoCodecsOfTheServerAndOfARoom) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->media.video_codecs, (std::vector<std::string>{"VP8", "H264", "VP9"}));
  EXPECT_EQ(defaults->media.video_max_kbps, 0);
  EXPECT_TRUE(defaults->rooms.at(0).video_codecs.empty());  // the server's
  auto set = ParseConfig(
      "[media]\nvideo_codecs = [\"H264\"]\nvideo_max_kbps = 1500\n"
      "[[room]]\nname = \"a\"\nvideo_codecs = [\"VP9\", \"VP8\"]\n",
      "t.toml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->media.video_codecs, std::vector<std::string>{"H264"});
  EXPECT_EQ(set->media.video_max_kbps, 1500);
  EXPECT_EQ(set->rooms.at(0).video_codecs, (std::vector<std::string>{"VP9", "VP8"}));
  EXPECT_EQ(ParseConfig("[media]\nvideo_codecs = []\n", "t.toml").status().message(),
            "t.toml:2: media.video_codecs must name at least one of VP8, VP9, H264");
  EXPECT_EQ(ParseConfig("[[room]]\nname = \"a\"\nvideo_codecs = [\"H263\"]\n", "t.toml")
                .status()
                .message(),
            "t.toml:3: room.video_codecs has \"H263\"; known are VP8, VP9, H264");
  EXPECT_THAT(
      std::string(
          ParseConfig("[media]\nvideo_codecs = [\"VP8\", \"VP8\"]\n", "t.toml").status().message()),
      HasSubstr("names \"VP8\" twice"));
}

TEST(ConfigTest, SyntaxErrorHasLine) {
  auto config = ParseConfig("[sip]\nport = = 1\n", "t.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("t.toml:2:"));
}

TEST(ConfigTest, RoomsAreCheckedOneByOne) {
  auto ok = ParseConfig("[[room]]\nname = \"a\"\ncodecs = [\"PCMU\"]\n[[room]]\nname = \"b\"\n",
                        "t.toml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->rooms.size(), 2u);
  EXPECT_EQ(ok->rooms[0].codecs, std::vector<std::string>{"PCMU"});

  auto duplicate = ParseConfig("[[room]]\nname = \"a\"\n[[room]]\nname = \"a\"\n", "t.toml");
  EXPECT_THAT(std::string(duplicate.status().message()),
              HasSubstr("t.toml:3: room.name \"a\" is used twice"));
  auto bad_codec = ParseConfig("[[room]]\nname = \"a\"\ncodecs = [\"G723\"]\n", "t.toml");
  EXPECT_THAT(std::string(bad_codec.status().message()), HasSubstr("room.codecs has \"G723\""));
  auto no_name = ParseConfig("[[room]]\ncodecs = [\"PCMU\"]\n", "t.toml");
  EXPECT_THAT(std::string(no_name.status().message()), HasSubstr("room.name is missing"));
  auto unknown = ParseConfig("[[room]]\nname = \"a\"\npinn = \"1\"\n", "t.toml");
  EXPECT_EQ(unknown.status().message(), "t.toml:3: room.pinn is not a known setting");
}

// A room's name starts its recordings' file names: no name may reach outside
// the recordings folder, or be a URI user part that needs escaping.
TEST(ConfigTest, RoomNamesCannotNamePaths) {
  for (const char* bad : {"../etc", "a/b", "..", ".", "a b", "r\u00e9union"}) {
    auto parsed = ParseConfig(absl::StrCat("[[room]]\nname = \"", bad, "\"\n"), "t.toml");
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr("must be 1-64 characters of A-Z a-z 0-9 - _ ."))
        << bad;
  }
  EXPECT_TRUE(ParseConfig("[[room]]\nname = \"team-1.sales_2\"\n", "t.toml").ok());
}

// [media] address6: IPv6 media for IPv6 callers (issue 15); "::1" by default.
TEST(ConfigTest, MediaAddress6IsOneIpv6AddressOrNone) {
  auto defaults = ParseConfig("", "t.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->media.address6, "::1");
  auto none = ParseConfig("[media]\naddress6 = \"\"\n", "t.toml");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->media.address6, "");
  auto global = ParseConfig("[media]\naddress6 = \"2001:db8::5\"\n", "t.toml");
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_EQ(global->media.address6, "2001:db8::5");
  for (const char* bad : {"127.0.0.1", "::ffff:127.0.0.1", "::", "ff02::1", "localhost"}) {
    auto refused = ParseConfig(
        absl::StrCat("[media]\nrtp_port_min = 20000\naddress6 = \"", bad, "\"\n"), "t.toml");
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("t.toml:3: media.address6 "))
        << bad;
  }
  // IPv6 goes in address6; address is the IPv4 one.
  auto v6_in_address = ParseConfig("[media]\naddress = \"::1\"\n", "t.toml");
  EXPECT_THAT(
      std::string(v6_in_address.status().message()),
      HasSubstr("t.toml:2: media.address must be an IPv4 address (IPv6 media: media.address6)"));
}

TEST(ConfigTest, CrossKeyChecks) {
  auto ports = ParseConfig("[media]\nrtp_port_min = 30000\nrtp_port_max = 20000\n", "t.toml");
  EXPECT_EQ(ports.status().message(),
            "t.toml:2: media.rtp_port_min must be below media.rtp_port_max");
  auto transports = ParseConfig("[sip]\ntransports = []\n", "t.toml");
  EXPECT_EQ(transports.status().message(), "t.toml:2: sip.transports names no transport");
  auto bad_transport = ParseConfig("[sip]\ntransports = [\"sctp\"]\n", "t.toml");
  EXPECT_THAT(std::string(bad_transport.status().message()),
              HasSubstr("sip.transports has \"sctp\""));
  auto backend = ParseConfig("[media]\nbackend = \"netmap\"\n", "t.toml");
  EXPECT_THAT(std::string(backend.status().message()),
              HasSubstr("t.toml:2: media.backend must be \"kernel\" or \"dpdk\""));
  auto dpdk_address = ParseConfig("[media]\nbackend = \"dpdk\"\naddress = \"::1\"\n", "t.toml");
  EXPECT_THAT(std::string(dpdk_address.status().message()),
              HasSubstr("media.address must be an IPv4 address with the DPDK backend"));
  auto dpdk = ParseConfig(R"([media]
backend = "dpdk"
address = "10.77.0.2"
[dpdk]
eal_args = ["--no-huge", "--no-pci"]
port = "net_af_packet0"
prefix_length = 24
gateway = "10.77.0.1"
vlan = 12
idle_sleep_us = 50
)",
                          "t.toml");
  ASSERT_TRUE(dpdk.ok()) << dpdk.status();
  auto baseline = ParseConfig("[media]\nshare_encoding = false\n", "t.toml");
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  EXPECT_FALSE(baseline->media.share_encoding);
  EXPECT_EQ(dpdk->dpdk.eal_args.size(), 2u);
  EXPECT_EQ(dpdk->dpdk.port, "net_af_packet0");
  EXPECT_EQ(dpdk->dpdk.vlan, 12);
  EXPECT_EQ(dpdk->dpdk.idle_sleep_us, 50);
  auto busy_polling = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(busy_polling.ok()) << busy_polling.status();
  EXPECT_EQ(busy_polling->dpdk.idle_sleep_us, 0);  // the core is the worker's
  auto sleep = ParseConfig("[dpdk]\nidle_sleep_us = -1\n", "t.toml");
  EXPECT_THAT(std::string(sleep.status().message()), HasSubstr("dpdk.idle_sleep_us"));
  auto level = ParseConfig("[log]\nlevel = \"loud\"\n", "t.toml");
  EXPECT_THAT(std::string(level.status().message()), HasSubstr("log.level must be one of"));
}

TEST(ConfigTest, StreamDeadlinesAndTls) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->sip.tcp_message_timeout_s, 5);
  EXPECT_FALSE(defaults->sip.tls);  // needs a certificate: off unless asked for
  EXPECT_EQ(defaults->sip.tls_port, 5061);
  EXPECT_EQ(defaults->sip.tls_certificate, "ops/tls/generated/tutti-cert.pem");
  EXPECT_EQ(defaults->sip.tls_min_version, "1.2");
  EXPECT_EQ(defaults->sip.tls_handshake_timeout_s, 5);

  auto tls = ParseConfig(R"([sip]
transports = ["udp", "tls"]
tls_port = 5071
tls_certificate = "c.pem"
tls_private_key = "k.pem"
tls_ca_file = "ca.pem"
tls_verify_client = true
tls_min_version = "1.3"
tcp_message_timeout_s = 3
)",
                         "t.toml");
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->sip.udp && tls->sip.tls && !tls->sip.tcp);
  EXPECT_EQ(tls->sip.tls_port, 5071);
  EXPECT_TRUE(tls->sip.tls_verify_client);
  EXPECT_EQ(tls->sip.tcp_message_timeout_s, 3);

  EXPECT_EQ(ParseConfig("[sip]\ntls_min_version = \"1.1\"\n", "t.toml").status().message(),
            "t.toml:2: sip.tls_min_version must be \"1.2\" or \"1.3\"");
  EXPECT_EQ(ParseConfig("[sip]\ntcp_message_timeout_s = 0\n", "t.toml").status().message(),
            "t.toml:2: sip.tcp_message_timeout_s must be from 1 to 300, not 0");
  EXPECT_EQ(ParseConfig("[sip]\ntls_verify_client = true\n", "t.toml").status().message(),
            "t.toml:2: sip.tls_verify_client needs sip.tls_ca_file (the CAs that sign clients)");
  EXPECT_EQ(ParseConfig("[sip]\ntransports = [\"tcp\", \"tls\"]\ntls_port = 5060\n", "t.toml")
                .status()
                .message(),
            "t.toml:3: sip.tls_port must differ from sip.port while TCP is on");
  EXPECT_EQ(ParseConfig("[sip]\ntransports = [\"tls\"]\ntls_certificate = \"\"\n", "t.toml")
                .status()
                .message(),
            "t.toml:3: sip.tls_certificate and sip.tls_private_key are needed for \"tls\"");
}

TEST(ConfigTest, LoadFileReportsMissingFile) {
  auto config = LoadConfigFile("/nonexistent/tutti.toml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
}

TEST(ConfigTest, LoadFileNamesThePathInErrors) {
  const std::string path = tutti::testing_support::UniqueTempPath("bad.toml");
  std::ofstream(path) << "[limits]\nmax_calls = 0\n";
  auto config = LoadConfigFile(path);
  EXPECT_EQ(config.status().message(),
            path + ":2: limits.max_calls must be from 1 to 10000000, not 0");
}

}  // namespace
}  // namespace tutti

namespace tutti {
namespace {

TEST(ControlsConfigTest, DefaultsAndReplacement) {
  auto defaults = ParseConfig("", "x.toml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->controls.participant.size(), 8u);
  EXPECT_EQ(defaults->controls.moderator.size(), 7u);  // #3, #4: presenter, content; #5 dial_out
  EXPECT_EQ(defaults->controls.moderator.back(),
            std::make_pair(std::string("#5"), std::string("dial_out")));

  auto custom =
      ParseConfig("[controls.participant]\n\"#1\" = \"mute\"\n\"#2\" = \"unmute\"\n", "x.toml");
  ASSERT_TRUE(custom.ok()) << custom.status();
  ASSERT_EQ(custom->controls.participant.size(), 2u);
  EXPECT_EQ(custom->controls.participant[0].second, "mute");
}

TEST(ControlsConfigTest, BadKeysAndActionsNameTheLine) {
  auto bad_action = ParseConfig("[controls.participant]\n\"*1\" = \"explode\"\n", "x.toml");
  ASSERT_FALSE(bad_action.ok());
  EXPECT_NE(std::string(bad_action.status().message()).find("x.toml:2:"), std::string::npos);
  EXPECT_NE(std::string(bad_action.status().message()).find("not a known action"),
            std::string::npos);
  auto bad_keys = ParseConfig("[controls.participant]\n\"*12345\" = \"mute\"\n", "x.toml");
  ASSERT_FALSE(bad_keys.ok());
  auto bad_role = ParseConfig("[controls.wizard]\n\"*1\" = \"mute\"\n", "x.toml");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(std::string(bad_role.status().message()).find("not a known role"), std::string::npos);
  // Moderator actions belong in the moderator's map only.
  auto misplaced = ParseConfig("[controls.participant]\n\"*2\" = \"toggle_lock\"\n", "x.toml");
  ASSERT_FALSE(misplaced.ok());
  auto moderator = ParseConfig(
      "[controls.moderator]\n\"*2\" = \"toggle_lock\"\n\"*1\" = \"toggle_mute\"\n", "x.toml");
  ASSERT_TRUE(moderator.ok()) << moderator.status();
  EXPECT_EQ(moderator->controls.moderator.size(), 2u);
}

TEST(RoomConfigTest, PinsModeratorsAndIvr) {
  auto config = ParseConfig(R"([ivr]
number = "dialin"
max_attempts = 2
digit_timeout_s = 4
max_pin_failures_per_source = 3

[[room]]
name = "7000"
pin = "1234"
moderator_pin = "999"
max_talkers = 2
wait_for_moderator = true
end_when_moderator_leaves = true
announce_count = true
music_when_alone = true
)",
                            "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ivr.number, "dialin");
  EXPECT_EQ(config->ivr.max_attempts, 2);
  EXPECT_EQ(config->ivr.max_pin_failures_per_source, 3);
  const RoomConfig& room = config->rooms.at(0);
  EXPECT_EQ(room.pin, "1234");
  EXPECT_EQ(room.moderator_pin, "999");
  EXPECT_EQ(room.max_talkers, 2);
  EXPECT_TRUE(room.wait_for_moderator && room.end_when_moderator_leaves && room.announce_count &&
              room.music_when_alone);

  auto letters = ParseConfig("[[room]]\nname = \"a\"\npin = \"12ab\"\n", "x.toml");
  ASSERT_FALSE(letters.ok());
  EXPECT_EQ(letters.status().message(),
            "x.toml:3: room.pin must be 1-16 digits (0-9), or empty for none");
  auto same = ParseConfig("[[room]]\nname = \"a\"\npin = \"1\"\nmoderator_pin = \"1\"\n", "x.toml");
  ASSERT_FALSE(same.ok());
  auto clash = ParseConfig("[[room]]\nname = \"conference\"\n", "x.toml");
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(std::string(clash.status().message()).find("also the name of a room"),
            std::string::npos);
}

// Issue 20: noise suppression and AGC per room, off unless asked for.
TEST(RoomConfigTest, NoiseSuppressionAndAgc) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  for (const RoomConfig& room : defaults->rooms) {
    EXPECT_FALSE(room.noise_suppression || room.agc) << room.name;
    EXPECT_EQ(room.noise_suppression_db, 30) << room.name;
  }
  auto config = ParseConfig(
      "[[room]]\nname = \"a\"\nnoise_suppression = true\nagc = true\nnoise_suppression_db = 20\n",
      "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const RoomConfig& room = config->rooms.at(0);
  EXPECT_TRUE(room.noise_suppression && room.agc);
  EXPECT_EQ(room.noise_suppression_db, 20);
  auto weak = ParseConfig("[[room]]\nname = \"a\"\nnoise_suppression_db = 3\n", "x.toml");
  ASSERT_FALSE(weak.ok());
  EXPECT_EQ(weak.status().message(),
            "x.toml:3: room.noise_suppression_db must be from 6 to 60, not 3");
}

// Issue 13: who may call, and the room's answers to PIN guessing.
TEST(ConfigTest, SipAccessKeys) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->sip.auth, "none");
  EXPECT_EQ(defaults->sip.realm, "tutti");
  EXPECT_EQ(defaults->sip.auth_algorithms, (std::vector<std::string>{"SHA-256", "MD5"}));
  EXPECT_EQ(defaults->sip.nonce_lifetime_s, 300);
  EXPECT_TRUE(defaults->sip.allow.empty() && defaults->sip.deny.empty());
  EXPECT_TRUE(defaults->users.empty());
  EXPECT_FALSE(defaults->rooms[0].auth.has_value());
  EXPECT_EQ(defaults->ivr.pin_room_delay_ms, 1000);
  EXPECT_EQ(defaults->ivr.pin_room_max_delay_s, 30);

  auto ok = ParseConfig(R"([sip]
auth = "all"
realm = "bridge.example.com"
auth_algorithms = ["MD5"]
nonce_lifetime_s = 60
allow = ["10.0.0.0/8", "2001:db8::/32"]
deny = ["10.1.0.0/16"]
[ivr]
pin_room_delay_ms = 250
pin_room_max_delay_s = 5
[[room]]
name = "open"
auth = false
[[user]]
name = "alice"
password = "wonderland"
[[user]]
name = "bob"
ha1 = "0123456789abcdef0123456789ABCDEF"
)",
                        "t.toml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->sip.auth, "all");
  EXPECT_EQ(ok->sip.realm, "bridge.example.com");
  EXPECT_EQ(ok->sip.allow.size(), 2u);
  EXPECT_EQ(ok->sip.deny, std::vector<std::string>{"10.1.0.0/16"});
  ASSERT_EQ(ok->users.size(), 2u);
  EXPECT_EQ(ok->users[1].ha1, "0123456789abcdef0123456789ABCDEF");
  EXPECT_EQ(ok->rooms[0].auth, std::optional<bool>(false));
  EXPECT_EQ(ok->ivr.pin_room_delay_ms, 250);

  auto mode = ParseConfig("[sip]\nauth = \"some\"\n", "t.toml");
  EXPECT_EQ(mode.status().message(), "t.toml:2: sip.auth must be \"none\" or \"all\"");
  auto algorithm = ParseConfig("[sip]\nauth_algorithms = [\"SHA-512\"]\n", "t.toml");
  EXPECT_THAT(std::string(algorithm.status().message()),
              HasSubstr("sip.auth_algorithms has \"SHA-512\""));
  auto cidr = ParseConfig("[sip]\ndeny = [\"10.0.0.0/40\"]\n", "t.toml");
  EXPECT_THAT(std::string(cidr.status().message()),
              HasSubstr("t.toml:2: sip.deny \"10.0.0.0/40\" is not an address or CIDR block"));
  auto nobody = ParseConfig("[sip]\nauth = \"all\"\n", "t.toml");
  EXPECT_THAT(std::string(nobody.status().message()),
              HasSubstr("t.toml:2: digest authentication is asked for"));
  auto room_nobody = ParseConfig("[[room]]\nname = \"a\"\nauth = true\n", "t.toml");
  EXPECT_THAT(std::string(room_nobody.status().message()), HasSubstr("no [[user]]"));
  auto no_secret = ParseConfig("[[user]]\nname = \"a\"\n", "t.toml");
  EXPECT_THAT(std::string(no_secret.status().message()),
              HasSubstr("user.name needs a password, ha1 or ha1_sha256"));
  // A malformed HA1 is reported without echoing it.
  auto bad_ha1 = ParseConfig("[[user]]\nname = \"a\"\nha1 = \"s3cret\"\n", "t.toml");
  EXPECT_THAT(std::string(bad_ha1.status().message()), HasSubstr("user.ha1 must be 32 hex"));
  EXPECT_THAT(std::string(bad_ha1.status().message()), ::testing::Not(HasSubstr("s3cret")));
  auto md5_only_user =
      ParseConfig("[[user]]\nname = \"a\"\nha1 = \"0123456789abcdef0123456789abcdef\"\n", "t.toml");
  EXPECT_THAT(std::string(md5_only_user.status().message()),
              HasSubstr("user \"a\" has no password and no ha1_sha256 but sip.auth_algorithms "
                        "offers SHA-256"));
  auto twice = ParseConfig(
      "[[user]]\nname = \"a\"\npassword = \"p\"\n[[user]]\nname = \"a\"\n"
      "password = \"q\"\n",
      "t.toml");
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("user.name \"a\" is used twice"));
}

}  // namespace
}  // namespace tutti

namespace tutti {
namespace {

TEST(SrtpConfigTest, DefaultsPolicyPerRoomAndBadValues) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->media.srtp, "optional");
  EXPECT_FALSE(defaults->media.sdes_over_plain_sip);
  EXPECT_EQ(defaults->rooms[0].srtp, "");

  auto config = ParseConfig(
      "[media]\nsrtp = \"off\"\nsdes_over_plain_sip = true\n"
      "[[room]]\nname = \"1\"\nsrtp = \"required\"\n[[room]]\nname = \"2\"\n",
      "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->media.srtp, "off");
  EXPECT_TRUE(config->media.sdes_over_plain_sip);
  EXPECT_EQ(config->rooms[0].srtp, "required");
  EXPECT_EQ(config->rooms[1].srtp, "");

  auto bad_media = ParseConfig("[media]\nsrtp = \"mandatory\"\n", "x.toml");
  ASSERT_FALSE(bad_media.ok());
  EXPECT_THAT(std::string(bad_media.status().message()), HasSubstr("x.toml:2: media.srtp must be"));
  EXPECT_FALSE(ParseConfig("[media]\nsrtp = \"\"\n", "x.toml").ok());
  auto bad_room = ParseConfig("[[room]]\nname = \"1\"\nsrtp = \"yes\"\n", "x.toml");
  ASSERT_FALSE(bad_room.ok());
  EXPECT_THAT(std::string(bad_room.status().message()), HasSubstr("srtp"));
  EXPECT_FALSE(ParseConfig("[media]\nsdes_over_plain_sip = \"yes\"\n", "x.toml").ok());
}

TEST(DtlsConfigTest, HandshakeTimeoutDefaultAndBounds) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->media.dtls_handshake_timeout_s, 10);
  auto config = ParseConfig("[media]\ndtls_handshake_timeout_s = 3\n", "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->media.dtls_handshake_timeout_s, 3);
  EXPECT_FALSE(ParseConfig("[media]\ndtls_handshake_timeout_s = 0\n", "x.toml").ok());
  EXPECT_FALSE(ParseConfig("[media]\ndtls_handshake_timeout_s = 61\n", "x.toml").ok());
}

TEST(ConferenceEventsConfigTest, DefaultsKeysAndBadValues) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->conference_events.roster, "open_rooms");
  EXPECT_EQ(defaults->conference_events.max_subscriptions_per_source, 20);
  EXPECT_EQ(defaults->conference_events.max_expires_s, 3600);
  auto config = ParseConfig(
      "[conference_events]\nroster = \"participants\"\nmax_subscriptions = 5\n"
      "max_subscriptions_per_room = 4\nmax_subscriptions_per_source = 0\nmin_expires_s = 10\n"
      "max_expires_s = 20\ntalking_interval_ms = 250\n",
      "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->conference_events.roster, "participants");
  EXPECT_EQ(config->conference_events.max_subscriptions, 5);
  EXPECT_EQ(config->conference_events.max_subscriptions_per_room, 4);
  EXPECT_EQ(config->conference_events.max_subscriptions_per_source, 0);
  EXPECT_EQ(config->conference_events.min_expires_s, 10);
  EXPECT_EQ(config->conference_events.talking_interval_ms, 250);
  auto bad = ParseConfig("[conference_events]\nroster = \"everyone\"\n", "x.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("x.toml:2:"));
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("conference_events.roster"));
  EXPECT_FALSE(
      ParseConfig("[conference_events]\nmin_expires_s = 600\nmax_expires_s = 60\n", "x.toml").ok());
  EXPECT_FALSE(ParseConfig("[conference_events]\nmax_expires = 60\n", "x.toml").ok());
}

}  // namespace
}  // namespace tutti

// [api]: the token's source and the limits against slow clients (issue 13).
namespace tutti {
namespace {

TEST(ConfigApiTest, ShippedDefaultReadsAGeneratedTokenFile) {
  auto config = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->api.enabled);
  EXPECT_EQ(config->api.listen, "127.0.0.1");
  EXPECT_EQ(config->api.token_file, "tutti-api-token");
  EXPECT_EQ(config->api.token, "");  // never the old well-known one
  EXPECT_EQ(config->api.max_connections, 128);
  EXPECT_EQ(config->api.max_connections_per_client, 16);
  EXPECT_EQ(config->api.max_event_streams, 32);
  EXPECT_EQ(config->api.request_timeout_s, 5);
}

TEST(ConfigApiTest, OneTokenSourceWhileEnabled) {
  auto none = ParseConfig("[api]\nenabled = true\n", "t.toml");
  EXPECT_EQ(none.status().message(),
            "t.toml:1: api.token_file (or api.token) must be set while the API is enabled");
  auto both = ParseConfig(
      "[api]\nenabled = true\ntoken = \"0123456789abcdef\"\ntoken_file = \"t\"\n", "t.toml");
  EXPECT_EQ(both.status().message(),
            "t.toml:4: api.token_file and api.token are both set: keep one");
  auto short_inline = ParseConfig("[api]\nenabled = true\ntoken = \"1234567\"\n", "t.toml");
  EXPECT_EQ(short_inline.status().message(),
            "t.toml:3: api.token must be at least 8 characters while the API is enabled");
  auto file =
      ParseConfig("[api]\nenabled = true\ntoken_file = \"/etc/tutti/api-token\"\n", "t.toml");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->api.token_file, "/etc/tutti/api-token");
  auto off = ParseConfig("[api]\nenabled = false\n", "t.toml");
  EXPECT_TRUE(off.ok()) << off.status();
}

TEST(ConfigApiTest, ConnectionLimitsAreCheckedTogether) {
  auto set = ParseConfig(
      "[api]\ntoken = \"0123456789abcdef\"\nmax_connections = 40\n"
      "max_connections_per_client = 4\nmax_event_streams = 8\nrequest_timeout_s = 2\n",
      "t.toml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->api.max_connections, 40);
  EXPECT_EQ(set->api.max_connections_per_client, 4);
  EXPECT_EQ(set->api.max_event_streams, 8);
  EXPECT_EQ(set->api.request_timeout_s, 2);
  auto per_client =
      ParseConfig("[api]\nmax_connections = 4\nmax_connections_per_client = 5\n", "t.toml");
  EXPECT_EQ(per_client.status().message(),
            "t.toml:3: api.max_connections_per_client must not exceed api.max_connections");
  auto streams = ParseConfig(
      "[api]\nmax_connections = 4\nmax_connections_per_client = 4\nmax_event_streams = 4\n",
      "t.toml");
  EXPECT_THAT(std::string(streams.status().message()),
              HasSubstr("t.toml:4: api.max_event_streams must be below api.max_connections"));
  auto timeout = ParseConfig("[api]\nrequest_timeout_s = 0\n", "t.toml");
  EXPECT_EQ(timeout.status().message(),
            "t.toml:2: api.request_timeout_s must be from 1 to 300, not 0");
}

// [limits] per source and the transaction caps (issue 13).
TEST(ConfigTest, PerSourceLimitsAndTransactionCaps) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->limits.max_calls_per_source, 100);
  EXPECT_EQ(defaults->limits.max_requests_per_source_per_second, 20);
  EXPECT_EQ(defaults->limits.burst_requests_per_source, 50);
  EXPECT_EQ(defaults->limits.max_dialog_requests_per_second, 20);
  EXPECT_EQ(defaults->limits.burst_dialog_requests_per_source, 400);
  EXPECT_TRUE(defaults->limits.unlimited_sources.empty());
  EXPECT_EQ(defaults->limits.max_transactions, 65536);
  EXPECT_EQ(defaults->limits.max_transaction_bytes, int64_t{32} << 20);

  auto config = ParseConfig(R"([limits]
max_calls_per_source = 0
max_dialog_requests_per_second = 5
unlimited_sources = ["10.0.0.0/8", "2001:db8::7"]
max_transaction_bytes = 4294967296
)",
                            "x.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_calls_per_source, 0);  // off
  EXPECT_EQ(config->limits.max_dialog_requests_per_second, 5);
  EXPECT_EQ(config->limits.unlimited_sources.size(), 2u);
  EXPECT_EQ(config->limits.max_transaction_bytes, int64_t{4} << 30);

  auto bad_block = ParseConfig("[limits]\nunlimited_sources = [\"10.0.0.0/40\"]\n", "x.toml");
  ASSERT_FALSE(bad_block.ok());
  EXPECT_EQ(bad_block.status().message(),
            "x.toml:2: limits.unlimited_sources \"10.0.0.0/40\" has a bad prefix length (0-32)");
  auto name = ParseConfig("[limits]\nunlimited_sources = [\"sbc.example.com\"]\n", "x.toml");
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.status().message(),
            "x.toml:2: limits.unlimited_sources \"sbc.example.com\" is not an IP address");
  auto negative = ParseConfig("[limits]\nmax_calls_per_source = -1\n", "x.toml");
  EXPECT_FALSE(negative.ok());
}

}  // namespace
}  // namespace tutti
