#include "server/config/config_change.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Config WithRoom() {
  Config config;
  config.rooms.push_back({.name = "4000", .pin = "1234"});
  config.users.push_back({.name = "alice", .password = "secret"});
  return config;
}

TEST(ConfigChangeTest, TheSameConfigurationChangesNothing) {
  EXPECT_TRUE(CompareConfigs(WithRoom(), WithRoom()).empty());
}

TEST(ConfigChangeTest, KeysOnlyARestartTakesAreNamedEachOnce) {
  Config next = WithRoom();
  next.media.workers = 4;
  next.sip.port = 5070;
  next.sip.udp = false;  // both are "transports" in the file
  next.sip.tcp = false;
  next.sip.max_message_bytes = 1000;  // the UDP buffer's size, set at start
  next.api.token = "another-token-of-enough-length";
  next.log.format = "json";
  next.messaging.enabled = false;
  next.msrp.port = 2856;
  next.dpdk.vlan = 7;
  const ConfigChange change = CompareConfigs(WithRoom(), next);
  EXPECT_THAT(change.needs_restart,
              UnorderedElementsAre("[sip] port", "[sip] transports", "[sip] max_message_bytes",
                                   "[media] workers", "[dpdk] vlan", "[api] token", "[log] format",
                                   "[messaging] enabled", "[msrp] port"));
  EXPECT_THAT(change.live, IsEmpty());
}

TEST(ConfigChangeTest, LiveKeysAreNamedWithoutTheirValues) {
  Config next = WithRoom();
  next.ivr.max_attempts = 5;
  next.limits.max_calls = 10;
  next.sip.allow = {"10.0.0.0/8"};
  next.sip.answer_delay_ms = 500;
  next.sip.max_tcp_connections = 10;
  next.log.level = "debug";
  next.messaging.history = 10;
  next.records.path = "/var/log/tutti/calls.jsonl";
  next.controls.participant.push_back({"*#", "leave"});
  next.conference_events.max_subscriptions = 5;
  next.rooms[0].pin = "5678";
  next.users[0].password = "changed";
  const ConfigChange change = CompareConfigs(WithRoom(), next);
  EXPECT_THAT(change.needs_restart, IsEmpty());
  EXPECT_THAT(change.live,
              UnorderedElementsAre(
                  "[ivr] max_attempts", "[limits] max_calls", "[sip] allow",
                  "[sip] answer_delay_ms", "[sip] max_tcp_connections", "[log] level",
                  "[messaging] history", "[records] path", "[controls] participant",
                  "[conference_events] max_subscriptions", "[[room]] 4000 pin", "[[user]] alice"));
}

TEST(ConfigChangeTest, RoomsUsersAndTrunksAddedOrRemovedAreNamed) {
  Config next = WithRoom();
  next.rooms.clear();
  next.rooms.push_back({.name = "5000"});
  next.users.push_back({.name = "bob", .password = "x"});
  next.trunks.push_back({.name = "carrier", .host = "192.0.2.1"});
  next.dial_plan.push_back({.match = "1", .room = "5000"});
  next.dial_out.max_per_room = 1;
  const ConfigChange change = CompareConfigs(WithRoom(), next);
  EXPECT_THAT(change.needs_restart, IsEmpty());
  EXPECT_THAT(change.live, UnorderedElementsAre("[[room]] 4000 (removed)", "[[room]] 5000 (added)",
                                                "[[user]] bob", "[[trunk]] carrier",
                                                "[[dial_plan]]", "[dial_out] max_per_room"));
}

TEST(ConfigChangeTest, TheSameUsersInAnotherOrderAreAChangeOfTheTable) {
  Config running = WithRoom();
  running.users.push_back({.name = "bob", .password = "x"});
  Config next = running;
  std::swap(next.users[0], next.users[1]);
  EXPECT_THAT(CompareConfigs(running, next).live, ElementsAre("[[user]]"));
}

TEST(ConfigChangeTest, APresenterIsNoSettingOfTheRoom) {
  RoomConfig before{.name = "4000"};
  RoomConfig after = before;
  after.presenter_id = 7;
  EXPECT_THAT(ChangedRoomFields(before, after), IsEmpty());
  after.moderator_pin = "99";
  after.auth = true;
  EXPECT_THAT(ChangedRoomFields(before, after), ElementsAre("moderator_pin", "auth"));
}

TEST(ConfigChangeTest, NoiseSuppressionAndAgcAreRoomSettings) {
  RoomConfig before{.name = "4000"};
  RoomConfig after = before;
  after.noise_suppression = true;
  after.agc = true;
  after.noise_suppression_db = 20;
  EXPECT_THAT(ChangedRoomFields(before, after),
              ElementsAre("noise_suppression", "agc", "noise_suppression_db"));
}

// What a moderator did in the meeting (a lock by key, a presenter) and what
// the API changed stay; only what the file changed is taken.
TEST(ConfigChangeTest, ApplyRoomChangesTakesOnlyWhatTheFileChanged) {
  RoomConfig before{.name = "4000", .pin = "1234"};
  RoomConfig after = before;
  after.pin = "5678";
  after.max_participants = 10;
  RoomConfig live = before;
  live.locked = true;     // a moderator's key
  live.presenter_id = 3;  // the meeting's presenter
  live.max_talkers = 2;   // an API change
  ApplyRoomChanges(before, after, &live);
  EXPECT_EQ(live.pin, "5678");
  EXPECT_EQ(live.max_participants, 10);
  EXPECT_TRUE(live.locked);
  EXPECT_EQ(live.presenter_id, 3u);
  EXPECT_EQ(live.max_talkers, 2);
}

}  // namespace
}  // namespace tutti
