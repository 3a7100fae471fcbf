// [video] and a room's video keys: defaults, values, the messages a wrong one
// gets, and how they reach the media workers and call control.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/component_options.h"
#include "server/config/config.h"
#include "server/default_config.h"

namespace tutti {
namespace {

// A config the test expects to be accepted (a failure names why it was not).
Config Accepted(std::string_view text) {
  absl::StatusOr<Config> config = ParseConfig(text, "v.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : Config{};
}

std::string ErrorOf(std::string_view text) {
  auto config = ParseConfig(text, "v.toml");
  return config.ok() ? "(accepted)" : std::string(config.status().message());
}

TEST(VideoConfigTest, ShippedDefaults) {
  auto config = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(config.ok()) << config.status();
  // mode, hold_ms, unwatched_kbps, keyframe_request_interval_ms
  EXPECT_THAT(config->video, ::testing::FieldsAre("follow_talker", 2000, 100, 250));
  for (const RoomConfig& room : config->rooms) {
    EXPECT_EQ(room.video_mode, mixer::VideoMode::kDefault) << room.name;
    EXPECT_EQ(room.video_hold_ms, 0) << room.name;
  }
  // The same without a [video] section.
  EXPECT_THAT(Accepted("").video, ::testing::FieldsAre("follow_talker", 2000, 100, 250));
}

TEST(VideoConfigTest, KeysReachTheWorkersAndCallControl) {
  const Config config = Accepted(
      "[video]\nmode = \"presenter\"\nhold_ms = 3500\nunwatched_kbps = 0\n"
      "keyframe_request_interval_ms = 500\n");
  // mode, hold_ms, unwatched_bps (0: off), keyframe_request_interval_ms
  EXPECT_THAT(WorkerPoolOptionsFrom(config).conference.video,
              ::testing::FieldsAre(mixer::VideoMode::kPresenter, 3500, 0u, 500));
  EXPECT_EQ(CallControllerOptionsFrom(config).video_mode, mixer::VideoMode::kPresenter);

  const Config kbps = Accepted("[video]\nunwatched_kbps = 150\nmode = \"audio_only\"\n");
  EXPECT_EQ(WorkerPoolOptionsFrom(kbps).conference.video.unwatched_bps, 150'000u);
  EXPECT_EQ(WorkerPoolOptionsFrom(kbps).conference.video.mode, mixer::VideoMode::kAudioOnly);
}

TEST(VideoConfigTest, WrongValuesNameKeyAndLine) {
  EXPECT_EQ(ErrorOf("[video]\nmode = \"gallery\"\n"),
            "v.toml:2: video.mode must be one of follow_talker, presenter, audio_only");
  // "default" is a room's word for the server's mode, not a mode of its own.
  EXPECT_EQ(ErrorOf("[video]\n\nmode = \"default\"\n"),
            "v.toml:3: video.mode must be one of follow_talker, presenter, audio_only");
  EXPECT_EQ(ErrorOf("[video]\nhold_ms = -1\n"),
            "v.toml:2: video.hold_ms must be from 0 to 60000, not -1");
  EXPECT_EQ(ErrorOf("[video]\nhold_ms = 60001\n"),
            "v.toml:2: video.hold_ms must be from 0 to 60000, not 60001");
  EXPECT_EQ(ErrorOf("[video]\nunwatched_kbps = 100001\n"),
            "v.toml:2: video.unwatched_kbps must be from 0 to 100000, not 100001");
  // 0 would let receivers' requests turn a camera into a stream of keyframes.
  EXPECT_EQ(ErrorOf("[video]\nkeyframe_request_interval_ms = 0\n"),
            "v.toml:2: video.keyframe_request_interval_ms must be from 20 to 10000, not 0");
  EXPECT_EQ(ErrorOf("[video]\nhold = 5\n"), "v.toml:2: video.hold is not a known setting");
  EXPECT_EQ(ErrorOf("video = 5\n"), "v.toml:1: video must be a table");
  EXPECT_EQ(ErrorOf("[video]\nmode = 1\n"), "v.toml:2: video.mode must be a string");
}

TEST(VideoConfigTest, RoomModeAndHold) {
  const Config config = Accepted(
      "[[room]]\nname = \"a\"\nvideo_mode = \"presenter\"\nvideo_hold_ms = 1500\n"
      "[[room]]\nname = \"b\"\nvideo_mode = \"audio_only\"\n"
      "[[room]]\nname = \"c\"\nvideo_mode = \"follow_talker\"\n"
      "[[room]]\nname = \"d\"\nvideo_mode = \"default\"\n");
  ASSERT_EQ(config.rooms.size(), 4u);
  EXPECT_EQ(config.rooms[0].video_mode, mixer::VideoMode::kPresenter);
  EXPECT_EQ(config.rooms[0].video_hold_ms, 1500);
  EXPECT_EQ(config.rooms[1].video_mode, mixer::VideoMode::kAudioOnly);
  EXPECT_EQ(config.rooms[2].video_mode, mixer::VideoMode::kFollowTalker);
  EXPECT_EQ(config.rooms[3].video_mode, mixer::VideoMode::kDefault);

  EXPECT_EQ(ErrorOf("[[room]]\nname = \"a\"\nvideo_mode = \"speaker\"\n"),
            "v.toml:3: room.video_mode must be one of follow_talker, presenter, audio_only or "
            "\"default\" ([video] mode)");
  EXPECT_EQ(ErrorOf("[[room]]\nname = \"a\"\nvideo_hold_ms = 70000\n"),
            "v.toml:3: room.video_hold_ms must be from 0 to 60000, not 70000");
}

TEST(VideoConfigTest, ModeratorKeysForPresenterAndContent) {
  auto defaults = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  using Entry = std::pair<std::string, std::string>;
  EXPECT_THAT(
      defaults->controls.moderator,
      ::testing::IsSupersetOf({Entry{"#3", "toggle_presenter"}, Entry{"#4", "toggle_content"}}));
  // Moderators' actions, not everyone's.
  EXPECT_THAT(ErrorOf("[controls.participant]\n\"#3\" = \"toggle_presenter\"\n"),
              ::testing::HasSubstr("v.toml:2: controls.participant.\"#3\" is not a known action"));
  const Config remapped = Accepted(
      "[controls.moderator]\n\"*5\" = \"toggle_presenter\"\n\"*6\" = \"toggle_content\"\n");
  EXPECT_THAT(remapped.controls.moderator, ::testing::ElementsAre(Entry{"*5", "toggle_presenter"},
                                                                  Entry{"*6", "toggle_content"}));
}

}  // namespace
}  // namespace tutti
