// The API's JSON of a room and a participant: the video fields.
#include "server/api/api_json.h"

#include "gtest/gtest.h"
#include "server/api/room_fields.h"

namespace tutti::api {
namespace {

using nlohmann::json;

TEST(ApiJsonTest, AParticipantsCameraIsAVideoObjectAndAudioOnlyHasNone) {
  ParticipantInfo audio_only;
  audio_only.id = 4;
  EXPECT_FALSE(ParticipantJson(audio_only).contains("video"));

  ParticipantInfo with_camera;
  with_camera.id = 5;
  // codec, width, height, kb/s in and out, sees, packets in and out
  with_camera.video = VideoInfo{"VP8", 1280, 720, 1500, 1450, 7, 9000, 8800};
  EXPECT_EQ(ParticipantJson(with_camera)["video"],
            json::parse(R"({"codec":"VP8","width":1280,"height":720,"kbps_in":1500,
                            "kbps_out":1450,"sees":7,"packets_in":9000,"packets_out":8800})"));
  with_camera.video->sees = 0;  // nobody's picture yet
  EXPECT_TRUE(ParticipantJson(with_camera)["video"]["sees"].is_null());
}

TEST(ApiJsonTest, ARoomShowsItsVideoModeAndThisMeetingsPresenters) {
  RoomConfig room;
  room.name = "1000";
  json body = RoomJson(room, 0);
  EXPECT_EQ(body["video_mode"], "default");
  EXPECT_EQ(body["video_hold_ms"], 0);
  EXPECT_TRUE(body["presenter"].is_null());
  EXPECT_TRUE(body["slides_presenter"].is_null());
  room.video_mode = mixer::VideoMode::kPresenter;
  room.video_hold_ms = 1500;
  room.presenter_id = 3;
  room.slides_presenter_id = 9;
  body = RoomJson(room, 2);
  EXPECT_EQ(body["video_mode"], "presenter");
  EXPECT_EQ(body["video_hold_ms"], 1500);
  EXPECT_EQ(body["presenter"], 3);
  EXPECT_EQ(body["slides_presenter"], 9);
}

// Issue 20: noise suppression and AGC, off by default, set and shown like
// the other room settings (the rooms handler and the room store use these).
TEST(ApiJsonTest, NoiseSuppressionAndAgcRoundTrip) {
  RoomConfig room;
  room.name = "1000";
  json body = RoomJson(room, 0);
  EXPECT_EQ(body["noise_suppression"], false);
  EXPECT_EQ(body["agc"], false);
  EXPECT_EQ(body["noise_suppression_db"], 30);
  EXPECT_EQ(
      ApplyRoomFields(
          json{{"noise_suppression", true}, {"agc", true}, {"noise_suppression_db", 45}}, &room),
      std::nullopt);
  body = RoomJson(room, 0);
  EXPECT_EQ(body["noise_suppression"], true);
  EXPECT_EQ(body["agc"], true);
  EXPECT_EQ(body["noise_suppression_db"], 45);
  RoomConfig copy;
  EXPECT_EQ(ApplyRoomFields(RoomFieldsJson(room), &copy), std::nullopt);
  EXPECT_TRUE(copy.noise_suppression && copy.agc);
  EXPECT_EQ(copy.noise_suppression_db, 45);

  EXPECT_EQ(ApplyRoomFields(json{{"agc", 1}}, &room), "agc must be true or false");
  EXPECT_EQ(ApplyRoomFields(json{{"noise_suppression", "on"}}, &room),
            "noise_suppression must be true or false");
  EXPECT_EQ(ApplyRoomFields(json{{"noise_suppression_db", 61}}, &room),
            "noise_suppression_db must be an integer from 6 to 60");
  EXPECT_EQ(ApplyRoomFields(json{{"noise_suppression_db", 5}}, &room),
            "noise_suppression_db must be an integer from 6 to 60");
}

}  // namespace
}  // namespace tutti::api
