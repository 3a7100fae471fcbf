// CallController::Reconfigure (issue 19's live reload): a reloaded
// configuration's settings reach the calls already up and the next callers,
// none of the calls ends, and what is fixed at start stays as it was. Fake
// workers and transactions, a manual clock.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A request of caller `n` (its own Call-ID, tags and branch).
std::string Request(std::string_view method, std::string_view room, int n, int cseq,
                    std::string_view to_tag = {}, std::string_view body = {},
                    std::string_view extra = {}) {
  return fakes::CallerRequest(method, room, n, cseq, to_tag, body, "reload", "application/sdp",
                              extra);
}

// A SUBSCRIBE to `room`'s roster by subscriber `n` of the caller's address.
std::string Subscribe(std::string_view room, int n) {
  return fakes::CallerRequest("SUBSCRIBE", room, n, 1, {}, {}, "sub", {},
                              "Event: conference\r\nExpires: 600\r\n");
}

class CallReconfigureTest : public fakes::ControllerBase {
 protected:
  CallReconfigureTest() {
    rooms_ = OpenAndPinRooms();  // 1000 open, 2000 with PIN 4321
    CallControllerOptions options = Started();
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
  }
  ~CallReconfigureTest() override { controller_.reset(); }

  // The options the controller started with: what a reload changes from.
  static CallControllerOptions Started() {
    CallControllerOptions options = Options();
    options.user_agent = "tutti/19.0";  // the daemon's, added after CallControllerOptionsFrom
    options.ivr_number = "800";
    options.participant_controls = {{"*1", "toggle_mute"}};
    options.subscriptions.max_per_source = 1;
    options.messaging.history = 5;
    return options;
  }

  // Caller `n` answered (INVITE, 200, ACK): its participant id.
  uint64_t Connect(std::string_view room, int n) {
    tags_[n] = ConnectCaller(room, n, "reload");
    return workers_.SentOf<mixer::AddParticipant>().back()->participant->id();
  }
  void Keys(uint64_t id, std::string_view keys) {
    for (char key : keys) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
  }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }
  // Lets the IVR's goodbyes (no prompts loaded here) end their calls.
  void LetGoodbyesEnd() { timers_.Advance(absl::Seconds(3)); }
  bool Muted(uint64_t id) const { return controller_->Participant(id)->muted; }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  std::map<int, std::string> tags_;
};

TEST_F(CallReconfigureTest, ACallAlreadyUpDoesTheNewActionOfARemappedKey) {
  const uint64_t id = Connect("1000", 1);
  Keys(id, "*1");
  ASSERT_TRUE(Muted(id));
  Keys(id, "*1");
  ASSERT_FALSE(Muted(id));

  CallControllerOptions next = Started();
  next.participant_controls = {{"*5", "toggle_mute"}, {"*1", "participant_count"}};
  controller_->Reconfigure(next);
  Keys(id, "*1");
  EXPECT_FALSE(Muted(id));
  Keys(id, "*5");
  EXPECT_TRUE(Muted(id));
  EXPECT_EQ(controller_->active_calls(), 1);
}

// A caller in the IVR when the reload comes keeps the tries it was given;
// the next caller has the new number of tries.
TEST_F(CallReconfigureTest, NewIvrAttemptsApplyToTheNextCaller) {
  const uint64_t first = Connect("800", 1);
  CallControllerOptions next = Started();
  next.dial_in.max_attempts = 1;
  controller_->Reconfigure(next);
  const uint64_t second = Connect("800", 2);
  Keys(first, "7777#");
  Keys(second, "7777#");
  LetGoodbyesEnd();
  EXPECT_EQ(controller_->active_calls(), 1);
  EXPECT_EQ(controller_->in_ivr(), 1);
  ASSERT_EQ(fakes::SentOf(signaling_, "BYE").size(), 1u);
  EXPECT_THAT(fakes::SentOf(signaling_, "BYE")[0]->bytes, HasSubstr("Call-ID: reload-2"));
  // The first caller still has two tries; the right room lets it in.
  Keys(first, "1000#");
  EXPECT_EQ(controller_->in_ivr(), 0);
  EXPECT_EQ(controller_->dial_in_counters().failed, 1u);
}

// The wrong PINs counted before the reload count toward the new limit.
TEST_F(CallReconfigureTest, ALowerPinLimitCountsTheWrongPinsAlreadyTyped) {
  const uint64_t id = Connect("2000", 1);  // the PIN room: asked for its PIN
  Keys(id, "1#");
  Keys(id, "2#");
  CallControllerOptions next = Started();
  next.pin_guard.max_failures_per_source = 3;  // 5 before
  controller_->Reconfigure(next);
  Keys(id, "3#");
  EXPECT_EQ(controller_->dial_in_counters().pin_lockouts, 1u);
  LetGoodbyesEnd();
  // The address is locked out: the next caller from it is told goodbye at once.
  const uint64_t again = Connect("2000", 2);
  Keys(again, "4321#");
  LetGoodbyesEnd();
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_EQ(controller_->dial_in_counters().joined, 0u);
}

TEST_F(CallReconfigureTest, TheIvrNumberMoves) {
  CallControllerOptions next = Started();
  next.ivr_number = "900";
  controller_->Reconfigure(next);
  Connect("900", 1);
  EXPECT_EQ(controller_->in_ivr(), 1);
  Send(Request("INVITE", "800", 2, 1, {}, fakes::kPcmuOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 404);
}

// A shorter history keeps each room's newest messages; ids go on.
TEST_F(CallReconfigureTest, MessagingLimitsAndAShorterHistory) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(controller_->PostMessage("1000", {}, "text/plain", StrCat("m", i)).ok());
  }
  CallControllerOptions next = Started();
  next.messaging.history = 2;
  next.messaging.max_message_bytes = 4;
  next.messaging.enabled = false;  // fixed at start: ignored
  controller_->Reconfigure(next);
  std::vector<uint64_t> ids;
  for (const msrp::ChatMessage& kept : controller_->Messages("1000", 0, 100)) {
    ids.push_back(kept.id);
  }
  EXPECT_THAT(ids, ElementsAre(4, 5));
  EXPECT_EQ(controller_->PostMessage("1000", {}, "text/plain", "too long").status().code(),
            absl::StatusCode::kOutOfRange);
  absl::StatusOr<msrp::ChatMessage> posted =
      controller_->PostMessage("1000", {}, "text/plain", "m6");
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_EQ(posted->id, 6u);
  EXPECT_EQ(controller_->Messages("1000", 0, 100).size(), 2u);
}

TEST_F(CallReconfigureTest, SubscriptionBoundsAndRetryAfter) {
  Send(Subscribe("1000", 1));
  Send(Subscribe("1000", 2));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200, 503));
  CallControllerOptions next = Started();
  next.subscriptions.max_per_source = 2;
  next.retry_after_s = 42;
  controller_->Reconfigure(next);
  Send(Subscribe("1000", 3));
  Send(Subscribe("1000", 4));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200, 503, 200, 503));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: 42\r\n"));
  EXPECT_EQ(controller_->conference_subscriptions(), 2);
  // Open rooms' rosters closed to strangers.
  next.roster_open_rooms = false;
  next.subscriptions.max_per_source = 5;
  controller_->Reconfigure(next);
  Send(Subscribe("1000", 5));
  EXPECT_EQ(signaling_.Statuses().back(), 403);
}

TEST_F(CallReconfigureTest, AnAnswerDelayAndSessionTimersForTheNextInvite) {
  CallControllerOptions next = Started();
  next.answer_delay = absl::Seconds(2);
  next.session_timers.min_se_s = 1000;
  controller_->Reconfigure(next);
  Send(Request("INVITE", "1000", 1, 1, {}, fakes::kPcmuOffer,
               "Supported: timer\r\nSession-Expires: 600\r\n"));
  ASSERT_EQ(signaling_.Statuses().back(), 422);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Min-SE: 1000\r\n"));
  Send(Request("INVITE", "1000", 2, 1, {}, fakes::kPcmuOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 180);
  timers_.Advance(absl::Seconds(2));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
}

// A call up: its refreshes are decided by the new session timer policy
// (one below a raised Min-SE turns its timer off, it is not refused) and
// its in-dialog refusals carry the new Retry-After.
TEST_F(CallReconfigureTest, ACallUpTakesTheNewPolicyAtItsNextRefresh) {
  constexpr std::string_view kTimer = "Supported: timer\r\nSession-Expires: 1200\r\n";
  const uint64_t id = Connect("1000", 1);
  CallControllerOptions next = Started();
  next.session_timers.min_se_s = 1500;
  next.retry_after_s = 42;
  controller_->Reconfigure(next);
  Send(Request("INVITE", "1000", 1, 2, tags_[1], fakes::kPcmuOffer, kTimer));
  ASSERT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_THAT(signaling_.responses.back().bytes, Not(HasSubstr("Session-Expires")));
  // Its ACK not come yet: another re-INVITE is asked to wait.
  Send(Request("INVITE", "1000", 1, 3, tags_[1], fakes::kPcmuOffer, kTimer));
  ASSERT_EQ(signaling_.Statuses().back(), 500);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: 42\r\n"));
  EXPECT_TRUE(controller_->Participant(id).has_value());
}

// What the daemon fills in after CallControllerOptionsFrom (the user agent)
// and what needs a restart (addresses, media) is not taken from a reload.
TEST_F(CallReconfigureTest, WhatIsFixedAtStartStaysAsItWas) {
  const uint64_t id = Connect("1000", 1);
  CallControllerOptions next;  // defaults: no addresses, user agent "tutti"
  next.participant_controls = {{"*1", "toggle_mute"}};
  controller_->Reconfigure(next);
  Connect("1000", 2);
  const std::string& ok = signaling_.responses.back().bytes;
  EXPECT_THAT(ok, HasSubstr("Server: tutti/19.0\r\n"));
  EXPECT_THAT(ok, HasSubstr("c=IN IP4 198.51.100.1\r\n"));
  EXPECT_THAT(ok, HasSubstr("Contact: <sip:tutti@198.51.100.1:5060>"));
  EXPECT_EQ(controller_->active_calls(), 2);
  Keys(id, "*1");
  EXPECT_TRUE(Muted(id));
  EXPECT_THAT(signaling_.Statuses(), Not(::testing::Contains(488)));
}

}  // namespace
}  // namespace tutti
