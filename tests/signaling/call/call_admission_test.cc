// Admission by media load in call control (issue 20): what the media
// workers refuse (faked here) is answered 503 with Retry-After and counted;
// calls already in are never asked; a caller leaving the IVR for a room on
// a full worker hears "room full" and is hung up on.
#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHoldOffer[] =
    "v=0\r\no=c 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n";

class CallAdmissionTest : public fakes::ControllerBase {
 protected:
  CallAdmissionTest() {
    rooms_ = OpenAndPinRooms();
    CallControllerOptions options = Options();
    options.ivr_number = "800";
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
  }
  ~CallAdmissionTest() override { controller_.reset(); }

  // A new call from caller `n` to `room`: the final status.
  int Invite(std::string_view room, int n) {
    Send(fakes::CallerRequest("INVITE", room, n, 1, {}, fakes::kPcmuOffer));
    return signaling_.Statuses().back();
  }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
};

TEST_F(CallAdmissionTest, NoWorkerWithRoomIs503WithRetryAfter) {
  workers_.admit_new = mixer::Admission::kNoCapacity;
  EXPECT_EQ(Invite("1000", 1), 503);
  const std::string& refused = signaling_.responses.back().bytes;
  EXPECT_THAT(refused, HasSubstr("SIP/2.0 503 Media Capacity Reached\r\n"));
  EXPECT_THAT(refused, HasSubstr("\r\nRetry-After: "));
  EXPECT_THAT(workers_.admit_new_asked, ElementsAre(rooms_->ConferenceId("1000")));
  EXPECT_TRUE(workers_.SentOf<mixer::AddParticipant>().empty());
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_EQ(overload_.refused(Refusal::kMediaLoad), 1u);
  EXPECT_EQ(RefusalName(Refusal::kMediaLoad), "media_load");
  // The IVR too: its caller would take a place on a worker (its lobby).
  EXPECT_EQ(Invite("800", 2), 503);
  EXPECT_EQ(overload_.refused(Refusal::kMediaLoad), 2u);
  ASSERT_EQ(workers_.admit_new_asked.size(), 2u);
  EXPECT_NE(workers_.admit_new_asked[1], rooms_->ConferenceId("1000"));
  // Room back: the next caller is in.
  workers_.admit_new = mixer::Admission::kAdmit;
  EXPECT_EQ(Invite("1000", 3), 200);
  EXPECT_EQ(controller_->active_calls(), 1);
}

TEST_F(CallAdmissionTest, RoomOnAFullWorkerIsRefusedOrOverCommittedAsDecided) {
  workers_.admit_new = mixer::Admission::kWorkerFull;
  EXPECT_EQ(Invite("1000", 1), 503);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("503 Room Media Worker Full\r\n"));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nRetry-After: "));
  EXPECT_EQ(overload_.refused(Refusal::kWorkerFull), 1u);
  EXPECT_EQ(overload_.refused(Refusal::kMediaLoad), 0u);
  workers_.admit_new = mixer::Admission::kOverCommit;
  EXPECT_EQ(Invite("1000", 2), 200);
}

TEST_F(CallAdmissionTest, CallsAlreadyInAreNeverAsked) {
  const std::string tag = ConnectCaller("1000", 1, "caller");
  ASSERT_EQ(workers_.admit_new_asked.size(), 1u);
  workers_.admit_new = mixer::Admission::kNoCapacity;
  workers_.admit_move = mixer::Admission::kWorkerFull;
  // Hold (a re-INVITE), then BYE: both answered 200, no question asked.
  Send(fakes::CallerRequest("INVITE", "1000", 1, 2, tag, kHoldOffer));
  Send(fakes::CallerRequest("BYE", "1000", 1, 3, tag));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(200, 200, 200));
  EXPECT_EQ(workers_.admit_new_asked.size(), 1u);
  EXPECT_TRUE(workers_.admit_move_asked.empty());
  EXPECT_EQ(overload_.refused(Refusal::kMediaLoad), 0u);
}

TEST_F(CallAdmissionTest, IvrCallerBoundForAFullWorkerIsToldAndHungUpOn) {
  ConnectCaller("2000", 1, "caller");  // a PIN room: the IVR answers
  const uint64_t id = workers_.SentOf<mixer::AddParticipant>().at(0)->participant->id();
  const uint32_t lobby = workers_.sent.at(0).conference_id;
  workers_.admit_move = mixer::Admission::kWorkerFull;
  for (char key : std::string_view("4321#")) workers_.events.push_back(mixer::Dtmf{id, key});
  DeliverEvents();
  EXPECT_THAT(workers_.admit_move_asked,
              ElementsAre(std::pair{lobby, rooms_->ConferenceId("2000")}));
  EXPECT_TRUE(workers_.SentOf<mixer::DetachParticipant>().empty());  // stays in the lobby
  EXPECT_TRUE(controller_->Participants("2000").empty());
  EXPECT_EQ(overload_.refused(Refusal::kWorkerFull), 1u);
  // The goodbye (no prompts loaded here) ends the call on its timer.
  for (int waits = 0; waits < 20 && controller_->active_calls() > 0; ++waits) {
    timers_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_EQ(controller_->dial_in_counters().failed, 1u);
  ASSERT_EQ(fakes::SentOf(signaling_, "BYE").size(), 1u);
}

TEST_F(CallAdmissionTest, IvrCallerOverCommittedEntersTheRoom) {
  ConnectCaller("2000", 1, "caller");
  const uint64_t id = workers_.SentOf<mixer::AddParticipant>().at(0)->participant->id();
  workers_.admit_move = mixer::Admission::kOverCommit;
  for (char key : std::string_view("4321#")) workers_.events.push_back(mixer::Dtmf{id, key});
  DeliverEvents();
  EXPECT_EQ(workers_.SentOf<mixer::DetachParticipant>().size(), 1u);
  EXPECT_EQ(overload_.refused(Refusal::kWorkerFull), 0u);
}

}  // namespace
}  // namespace tutti
