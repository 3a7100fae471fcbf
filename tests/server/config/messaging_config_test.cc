// [messaging], [msrp] and [files]: defaults, values, the messages a wrong
// one gets, and how they reach call control, the MSRP service and the file
// store.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/component_options.h"
#include "server/config/config.h"
#include "server/default_config.h"

namespace tutti {
namespace {

Config Accepted(std::string_view text) {
  absl::StatusOr<Config> config = ParseConfig(text, "m.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : Config{};
}

std::string ErrorOf(std::string_view text) {
  auto config = ParseConfig(text, "m.toml");
  return config.ok() ? "(accepted)" : std::string(config.status().message());
}

// The shipped file and no sections at all give the same, documented values.
TEST(MessagingConfigTest, ShippedDefaults) {
  auto shipped = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  for (const Config& config : {*shipped, Accepted("")}) {
    const MessagingOptions messaging = CallControllerOptionsFrom(config).messaging;
    EXPECT_TRUE(messaging.enabled);
    EXPECT_EQ(messaging.max_message_bytes, 16384u);
    EXPECT_THAT(messaging.content_types, ::testing::ElementsAre("text/plain", "message/cpim"));
    EXPECT_FALSE(messaging.relay_other_types);
    EXPECT_EQ(messaging.history, 200u);
    EXPECT_EQ(messaging.replay_on_join, 0u);
    EXPECT_EQ(messaging.max_in_flight_per_room, 2000u);

    const msrp::MsrpOptions msrp = MsrpOptionsFrom(config);
    EXPECT_EQ(msrp.listen_address, "127.0.0.1");  // [sip] listen's
    EXPECT_EQ(msrp.advertised_host, "127.0.0.1");
    EXPECT_EQ(msrp.port, 2855);
    EXPECT_EQ(msrp.limits.max_body_bytes, 65536u);
    EXPECT_EQ(msrp.max_message_bytes, 65536u);
    EXPECT_EQ(msrp.chunk_bytes, 16384u);
    EXPECT_EQ(msrp.max_connections, 1000);
    EXPECT_EQ(msrp.max_connections_per_source, 16);
    EXPECT_EQ(msrp.max_queued_bytes, size_t{4} << 20);
    EXPECT_EQ(msrp.connect_timeout, absl::Seconds(30));

    const msrp::FileStoreOptions files = FileStoreOptionsFrom(config);
    EXPECT_EQ(files.directory, "files");
    EXPECT_EQ(files.max_file_bytes, uint64_t{100} << 20);
    EXPECT_EQ(files.max_files_per_room, 100);
    EXPECT_EQ(files.max_bytes_per_room, uint64_t{1} << 30);
  }
}

TEST(MessagingConfigTest, KeysReachCallControlTheServiceAndTheStore) {
  const Config config = Accepted(
      "[messaging]\nenabled = false\nmax_message_bytes = 1000\n"
      "content_types = [\"Text/Plain\", \"application/json\"]\nrelay_other_types = true\n"
      "history = 50\nreplay_on_join = 10\nmax_in_flight_per_room = 7\n"
      "[msrp]\nlisten = \"0.0.0.0\"\nport = 3000\nadvertised_host = \"chat.example.com\"\n"
      "max_chunk_bytes = 2048\nmax_message_bytes = 4096\nchunk_bytes = 512\n"
      "max_connections = 20\nmax_connections_per_source = 3\nmax_queued_kb = 128\n"
      "connect_timeout_s = 5\n"
      "[files]\ndir = \"/var/lib/tutti/files\"\nmax_file_mb = 5\nmax_files_per_room = 9\n"
      "max_room_mb = 20\n");
  const MessagingOptions messaging = CallControllerOptionsFrom(config).messaging;
  EXPECT_FALSE(messaging.enabled);
  EXPECT_EQ(messaging.max_message_bytes, 1000u);
  // Compared without case: kept lower-case.
  EXPECT_THAT(messaging.content_types, ::testing::ElementsAre("text/plain", "application/json"));
  EXPECT_TRUE(messaging.relay_other_types);
  EXPECT_EQ(messaging.history, 50u);
  EXPECT_EQ(messaging.replay_on_join, 10u);
  EXPECT_EQ(messaging.max_in_flight_per_room, 7u);

  const msrp::MsrpOptions msrp = MsrpOptionsFrom(config);
  EXPECT_EQ(msrp.listen_address, "0.0.0.0");
  EXPECT_EQ(msrp.port, 3000);
  EXPECT_EQ(msrp.advertised_host, "chat.example.com");
  EXPECT_EQ(msrp.limits.max_body_bytes, 2048u);
  EXPECT_EQ(msrp.max_message_bytes, 4096u);
  EXPECT_EQ(msrp.chunk_bytes, 512u);
  EXPECT_EQ(msrp.max_connections, 20);
  EXPECT_EQ(msrp.max_connections_per_source, 3);
  EXPECT_EQ(msrp.max_queued_bytes, 128u * 1024);
  EXPECT_EQ(msrp.connect_timeout, absl::Seconds(5));

  const msrp::FileStoreOptions files = FileStoreOptionsFrom(config);
  EXPECT_EQ(files.directory, "/var/lib/tutti/files");
  EXPECT_EQ(files.max_file_bytes, uint64_t{5} << 20);
  EXPECT_EQ(files.max_files_per_room, 9);
  EXPECT_EQ(files.max_bytes_per_room, uint64_t{20} << 20);
}

// Left empty, [msrp] follows [sip]: its first listen address, and for a
// wildcard the advertised address of that family.
TEST(MessagingConfigTest, MsrpAddressesFollowSip) {
  const Config v6 = Accepted("[sip]\nlisten = [\"::1\", \"127.0.0.1\"]\n");
  EXPECT_EQ(MsrpOptionsFrom(v6).listen_address, "::1");
  EXPECT_EQ(MsrpOptionsFrom(v6).advertised_host, "::1");

  const Config wildcard =
      Accepted("[sip]\nlisten = \"0.0.0.0\"\nadvertised_address = \"192.0.2.7\"\n");
  EXPECT_EQ(MsrpOptionsFrom(wildcard).listen_address, "0.0.0.0");
  EXPECT_EQ(MsrpOptionsFrom(wildcard).advertised_host, "192.0.2.7");

  const Config own = Accepted("[msrp]\nlisten = \"127.0.0.2\"\n");
  EXPECT_EQ(MsrpOptionsFrom(own).advertised_host, "127.0.0.2");

  // A wildcard MSRP listen with [sip] naming no address of that family.
  EXPECT_EQ(ErrorOf("[msrp]\nlisten = \"::\"\n"),
            "m.toml:2: msrp.listen is ::, every address: set msrp.advertised_host to the "
            "address members reach");
}

TEST(MessagingConfigTest, WrongValuesNameKeyAndLine) {
  EXPECT_EQ(ErrorOf("[messaging]\nmax_message_bytes = 0\n"),
            "m.toml:2: messaging.max_message_bytes must be from 1 to 1048576, not 0");
  EXPECT_EQ(ErrorOf("[messaging]\ncontent_types = [\"text\"]\n"),
            "m.toml:2: messaging.content_types has \"text\", not a type/subtype such as "
            "text/plain");
  EXPECT_EQ(ErrorOf("[messaging]\ncontent_types = [\"text/plain; charset=utf-8\"]\n"),
            "m.toml:2: messaging.content_types has \"text/plain; charset=utf-8\", not a "
            "type/subtype such as text/plain");
  EXPECT_EQ(ErrorOf("[messaging]\ncontent_types = []\n"),
            "m.toml:2: messaging.content_types must name a type (e.g. \"text/plain\") unless "
            "relay_other_types is true");
  EXPECT_EQ(ErrorOf("[messaging]\nhistory = 5\nreplay_on_join = 6\n"),
            "m.toml:3: messaging.replay_on_join must not exceed messaging.history (what is "
            "kept)");
  EXPECT_EQ(ErrorOf("[messaging]\nmax_in_flight_per_room = 0\n"),
            "m.toml:2: messaging.max_in_flight_per_room must be from 1 to 1000000, not 0");
  EXPECT_EQ(ErrorOf("[messaging]\nrelay = true\n"),
            "m.toml:2: messaging.relay is not a known setting");

  EXPECT_EQ(ErrorOf("[msrp]\nlisten = \"chat.example.com\"\n"),
            "m.toml:2: msrp.listen must be an IPv4 or IPv6 address, or \"\" for [sip] "
            "listen's first");
  EXPECT_EQ(ErrorOf("[msrp]\nport = 65536\n"),
            "m.toml:2: msrp.port must be from 0 to 65535, not 65536");
  EXPECT_EQ(ErrorOf("[msrp]\nadvertised_host = \"a/b\"\n"),
            "m.toml:2: msrp.advertised_host must be a host name or an IP address");
  EXPECT_EQ(ErrorOf("[msrp]\nmax_chunk_bytes = 100\n"),
            "m.toml:2: msrp.max_chunk_bytes must be from 1024 to 16777216, not 100");
  EXPECT_EQ(ErrorOf("[msrp]\nchunk_bytes = 0\n"),
            "m.toml:2: msrp.chunk_bytes must be from 256 to 1048576, not 0");
  EXPECT_EQ(ErrorOf("[msrp]\nmax_connections = 4\nmax_connections_per_source = 5\n"),
            "m.toml:3: msrp.max_connections_per_source must not exceed msrp.max_connections");
  EXPECT_EQ(ErrorOf("[msrp]\nmax_queued_kb = 1\n"),
            "m.toml:2: msrp.max_queued_kb must be from 64 to 1048576, not 1");
  EXPECT_EQ(ErrorOf("[msrp]\nconnect_timeout_s = 0\n"),
            "m.toml:2: msrp.connect_timeout_s must be from 1 to 600, not 0");
  EXPECT_EQ(ErrorOf("[sip]\nport = 5070\n[msrp]\nport = 5070\n"),
            "m.toml:4: msrp.port 5070 is also a SIP TCP/TLS or API port: give MSRP a port of "
            "its own");
  // UDP alone leaves the SIP port free for MSRP's TCP; with messaging off no port opens.
  Accepted("[sip]\nport = 5070\ntransports = [\"udp\"]\n[msrp]\nport = 5070\n");
  Accepted("[messaging]\nenabled = false\n[msrp]\nport = 5060\n");

  EXPECT_EQ(ErrorOf("[files]\ndir = \"\"\n"), "m.toml:2: files.dir must name a directory");
  EXPECT_EQ(ErrorOf("[files]\nmax_file_mb = 0\n"),
            "m.toml:2: files.max_file_mb must be from 1 to 1048576, not 0");
  EXPECT_EQ(ErrorOf("[files]\nmax_files_per_room = 0\n"),
            "m.toml:2: files.max_files_per_room must be from 1 to 100000, not 0");
  EXPECT_EQ(ErrorOf("[files]\nmax_file_mb = 30\nmax_room_mb = 20\n"),
            "m.toml:2: files.max_file_mb must not exceed files.max_room_mb");
  EXPECT_EQ(ErrorOf("files = 1\n"), "m.toml:1: files must be a table");
}

}  // namespace
}  // namespace tutti
