// Call control's video side: a room's presenters set by a moderator's keys
// and the control API's checks, cleared when the presenter leaves, what
// reaches the room's worker (ConfigureConference) and the event stream, and
// whom the worker says a participant sees. Fake workers and transactions, a
// manual clock.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_media_settings.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A request of caller `n` (its own Call-ID, tags and branch).
std::string Request(std::string_view method, std::string_view room, int n, int cseq,
                    std::string_view to_tag = {}, std::string_view body = {}) {
  return fakes::CallerRequest(method, room, n, cseq, to_tag, body, "video");
}

class CallVideoTest : public fakes::ControllerBase {
 protected:
  CallVideoTest() {
    RoomConfig open;
    open.name = "1000";
    RoomConfig moderated;  // a bare # joins as participant, 99# as moderator
    moderated.name = "3000";
    moderated.moderator_pin = "99";
    RoomConfig quiet;
    quiet.name = "4000";
    quiet.moderator_pin = "99";
    quiet.video_mode = mixer::VideoMode::kAudioOnly;
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{open, moderated, quiet});
    WatchRoomMediaSettings(rooms_.get(), &workers_);
    CallControllerOptions options = Options();
    // As [controls] has them by default (server/config).
    options.participant_controls = {{"*1", "toggle_mute"}};
    options.moderator_controls = {{"#3", "toggle_presenter"}, {"#4", "toggle_content"}};
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    controller_->set_event_hub(&events_);
    subscription_ = events_.Subscribe();
  }
  ~CallVideoTest() override {
    controller_.reset();
    rooms_->Watch(nullptr);
  }

  // Caller `n` answered (INVITE, 200, ACK): its participant id.
  uint64_t Connect(std::string_view room, int n) {
    tags_[n] = ConnectCaller(room, n, "video");
    return workers_.SentOf<mixer::AddParticipant>().back()->participant->id();
  }
  // Caller `n` through its PIN prompt into `room` (`keys`: "99#" for a
  // moderator, "#" for a participant), its participant handed back by the lobby.
  uint64_t Enter(std::string_view room, int n, std::string_view keys) {
    const uint64_t id = Connect(room, n);
    mixer::Participant* lobby = nullptr;
    for (fakes::FakeWorkers::Sent& sent : workers_.sent) {
      auto* add = std::get_if<mixer::AddParticipant>(&sent.command);
      if (add != nullptr && add->participant != nullptr && add->participant->id() == id) {
        lobby = add->participant.get();
      }
    }
    for (char key : keys) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
    std::unique_ptr<mixer::Participant> handed_back;
    for (fakes::FakeWorkers::Sent& sent : workers_.sent) {
      auto* add = std::get_if<mixer::AddParticipant>(&sent.command);
      if (add != nullptr && add->participant.get() == lobby)
        handed_back = std::move(add->participant);
    }
    handed_back->set_conference_id(rooms_->ConferenceId(room));
    workers_.events.push_back(mixer::Detached{std::move(handed_back)});
    DeliverEvents();
    return id;
  }
  void Keys(uint64_t id, std::string_view keys) {
    for (char key : keys) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
  }
  void Bye(std::string_view room, int n) { Send(Request("BYE", room, n, 2, tags_[n])); }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }
  // The settings last sent to `room`'s worker.
  mixer::ConferenceSettings LastSettings(std::string_view room) const {
    mixer::ConferenceSettings last;
    for (const fakes::FakeWorkers::Sent& sent : workers_.sent) {
      const auto* configure = std::get_if<mixer::ConfigureConference>(&sent.command);
      if (configure != nullptr && configure->conference_id == rooms_->ConferenceId(room)) {
        last = configure->settings;
      }
    }
    return last;
  }
  // The events published since the last call, as SSE text.
  std::string Events() {
    std::string out;
    while (std::optional<std::string> event = subscription_->Next(0)) out += *event;
    return out;
  }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  std::map<int, std::string> tags_;
};

// Issue 20: a room's noise suppression and AGC (an API or reload change)
// reach its worker with the room's other media settings, and go off again.
TEST_F(CallVideoTest, NoiseSuppressionAndAgcReachTheRoomsWorker) {
  RoomConfig room = *rooms_->Find("1000");
  room.noise_suppression = true;
  room.agc = true;
  room.noise_suppression_db = 40;
  ASSERT_TRUE(rooms_->Update(room));
  mixer::PreprocessSettings sent = LastSettings("1000").preprocess;
  EXPECT_TRUE(sent.noise_suppression && sent.agc);
  EXPECT_EQ(sent.noise_suppression_db, 40);
  room.noise_suppression = false;
  room.agc = false;
  ASSERT_TRUE(rooms_->Update(room));
  EXPECT_FALSE(LastSettings("1000").preprocess.on());
}

TEST_F(CallVideoTest, AModeratorTakesTheFloorByKeyAndGivesItBack) {
  const uint64_t moderator = Enter("3000", 1, "99#");
  Enter("3000", 2, "#");
  Events();
  Keys(moderator, "#3");
  // The room shows the moderator's camera to everyone: presenter mode for this meeting.
  mixer::ConferenceSettings settings = LastSettings("3000");
  EXPECT_EQ(settings.video_mode, mixer::VideoMode::kPresenter);
  EXPECT_EQ(settings.presenter_id, moderator);
  EXPECT_EQ(rooms_->Find("3000")->presenter_id, moderator);
  std::string events = Events();
  EXPECT_THAT(events, HasSubstr("event: video_mode_changed\ndata: {\"room\":\"3000\","
                                "\"video_mode\":\"presenter\",\"by\":\"key\"}"));
  EXPECT_THAT(events, HasSubstr(StrCat("event: presenter_changed\ndata: {\"room\":\"3000\","
                                       "\"presenter\":",
                                       moderator, ",\"slides\":false,\"by\":\"key\"}")));

  Keys(moderator, "#3");  // the floor back: nobody presents, the talker is seen
  settings = LastSettings("3000");
  EXPECT_EQ(settings.video_mode, mixer::VideoMode::kPresenter);
  EXPECT_EQ(settings.presenter_id, 0u);
  EXPECT_THAT(Events(), HasSubstr("event: presenter_changed\ndata: {\"room\":\"3000\","
                                  "\"presenter\":null,\"slides\":false,\"by\":\"key\"}"));
}

TEST_F(CallVideoTest, ParticipantsHaveNoPresenterKeys) {
  Enter("3000", 1, "99#");
  const uint64_t participant = Enter("3000", 2, "#");
  Keys(participant, "#3");
  Keys(participant, "#4");
  EXPECT_EQ(rooms_->Find("3000")->presenter_id, 0u);
  EXPECT_EQ(rooms_->Find("3000")->slides_presenter_id, 0u);
  EXPECT_THAT(Events(), Not(HasSubstr("presenter_changed")));
}

TEST_F(CallVideoTest, ContentKeyAndLeavingClearBothPresenters) {
  const uint64_t moderator = Enter("3000", 1, "99#");
  Enter("3000", 2, "#");
  Keys(moderator, "#4");
  EXPECT_EQ(LastSettings("3000").slides_presenter_id, moderator);
  // Content needs no presenter mode.
  EXPECT_EQ(LastSettings("3000").video_mode, mixer::VideoMode::kDefault);
  Keys(moderator, "#3");
  Events();

  Bye("3000", 1);
  const mixer::ConferenceSettings settings = LastSettings("3000");
  EXPECT_EQ(settings.presenter_id, 0u);
  EXPECT_EQ(settings.slides_presenter_id, 0u);
  const std::string events = Events();
  EXPECT_THAT(events, HasSubstr("\"presenter\":null,\"slides\":false,\"by\":\"left\""));
  EXPECT_THAT(events, HasSubstr("\"presenter\":null,\"slides\":true,\"by\":\"left\""));
}

TEST_F(CallVideoTest, AnAudioOnlyRoomTakesNoPresenterByKey) {
  const uint64_t moderator = Enter("4000", 1, "99#");
  Keys(moderator, "#3");
  EXPECT_EQ(rooms_->Find("4000")->video_mode, mixer::VideoMode::kAudioOnly);
  EXPECT_EQ(rooms_->Find("4000")->presenter_id, 0u);
  EXPECT_THAT(Events(), Not(HasSubstr("presenter_changed")));
}

TEST_F(CallVideoTest, APresenterMustBeInTheRoomAndACameraPresenterNeedsPresenterMode) {
  const uint64_t in_1000 = Connect("1000", 1);
  const uint64_t in_lobby = Connect("3000", 2);  // still asked for its PIN
  RoomConfig room = *rooms_->Find("1000");
  EXPECT_EQ(controller_->CheckPresenter(room, 999, true).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(controller_->CheckPresenter(room, in_lobby, true).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(controller_->CheckPresenter(*rooms_->Find("3000"), in_1000, true).code(),
            absl::StatusCode::kNotFound);
  // Content in any mode; a camera presenter only where the room shows one.
  EXPECT_TRUE(controller_->CheckPresenter(room, in_1000, /*slides=*/true).ok());
  const absl::Status follow = controller_->CheckPresenter(room, in_1000, /*slides=*/false);
  EXPECT_EQ(follow.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      follow.message(),
      "room \"1000\" shows video as follow_talker: a presenter needs video_mode \"presenter\"");
  room.video_mode = mixer::VideoMode::kPresenter;
  EXPECT_TRUE(controller_->CheckPresenter(room, in_1000, /*slides=*/false).ok());
}

TEST_F(CallVideoTest, LeavingPresenterModeEndsThePresentation) {
  const uint64_t id = Connect("1000", 1);
  RoomConfig room = *rooms_->Find("1000");
  room.video_mode = mixer::VideoMode::kPresenter;
  rooms_->Update(room);
  controller_->SetPresenter("1000", id, /*slides=*/false, "api");
  controller_->SetPresenter("1000", id, /*slides=*/true, "api");
  EXPECT_EQ(LastSettings("1000").presenter_id, id);
  Events();

  room = *rooms_->Find("1000");
  room.video_mode = mixer::VideoMode::kFollowTalker;
  rooms_->Update(room);
  controller_->VideoModeChanged("1000", "api");
  EXPECT_EQ(LastSettings("1000").presenter_id, 0u);
  EXPECT_EQ(LastSettings("1000").slides_presenter_id, id);  // content is no mode's
  const std::string events = Events();
  EXPECT_THAT(events, HasSubstr("\"video_mode\":\"follow_talker\",\"by\":\"api\""));
  EXPECT_THAT(events, HasSubstr("\"presenter\":null,\"slides\":false,\"by\":\"video_mode\""));
}

TEST_F(CallVideoTest, WhomAParticipantSeesIsPublished) {
  const uint64_t viewer = Connect("1000", 1);
  const uint64_t talker = Connect("1000", 2);
  Events();
  workers_.events.push_back(mixer::VideoSourceChanged{viewer, talker, false});
  workers_.events.push_back(mixer::VideoSourceChanged{viewer, 0, true});
  DeliverEvents();
  const std::string events = Events();
  EXPECT_THAT(events,
              HasSubstr(StrCat("event: video_source_changed\ndata: {\"room\":\"1000\","
                               "\"participant\":",
                               viewer, ",\"call_id\":\"video-1\",\"source\":", talker, "}")));
  EXPECT_THAT(events, HasSubstr(StrCat("event: slides_source_changed\ndata: {\"room\":\"1000\","
                                       "\"participant\":",
                                       viewer, ",\"call_id\":\"video-1\",\"source\":null}")));
  // An audio-only participant shows no video in the API.
  EXPECT_FALSE(controller_->Participant(viewer)->video.has_value());
}

}  // namespace
}  // namespace tutti
