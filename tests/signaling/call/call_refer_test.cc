// REFER from a participant (call_refer.cc): a blind transfer into another
// room, RFC 4579's add-a-participant as a dial-out with NOTIFY sipfrag
// progress, and the refusals (strangers, PIN rooms, Replaces, the
// toll-fraud guard).
#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "tests/signaling/call/dial_out_fixture.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class CallReferTest : public fakes::DialOutFixture {
 protected:
  CallReferTest() { MakeController(); }

  // Caller 1 in room 1000: its participant id; its dialog's To tag kept.
  uint64_t Join() {
    Send(fakes::CallerRequest("INVITE", "1000", 1, 1, {}, fakes::kPcmuOffer));
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    to_tag_ = fakes::ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(fakes::Parse(fakes::CallerRequest("ACK", "1000", 1, 1, to_tag_)), source_);
    const auto in_room = controller_->Participants("1000");
    EXPECT_THAT(in_room, SizeIs(1));
    return in_room.empty() ? 0 : in_room[0].id;
  }
  // A REFER in caller 1's dialog (`to_tag` empty: out of any dialog).
  sip::TransactionId Refer(std::string_view refer_to, int cseq, std::string_view to_tag,
                           std::string_view extra = {}) {
    return Send(fakes::CallerRequest("REFER", "1000", 1, cseq, to_tag, {}, "caller",
                                     "application/sdp",
                                     StrCat("Refer-To: ", refer_to, "\r\n", extra)));
  }
  // The NOTIFYs sent so far: their sipfrag bodies, with their Subscription-State.
  std::vector<std::string> Notifies() {
    std::vector<std::string> out;
    for (fakes::FakeSignaling::Sent* sent : SentOf("NOTIFY")) {
      const sip::SipMessage notify = fakes::Parse(sent->bytes);
      EXPECT_EQ(notify.HeaderValue(sip::HeaderId::kEvent), "refer;id=2");
      EXPECT_EQ(notify.content_type(), "message/sipfrag;version=2.0");
      EXPECT_EQ(notify.to().tag, "c1");  // caller 1's dialog
      out.push_back(StrCat(notify.body(), notify.HeaderValue(sip::HeaderId::kSubscriptionState)));
    }
    return out;
  }

  std::string to_tag_;
};

TEST_F(CallReferTest, ReferToAnotherRoomMovesTheCallThere) {
  const uint64_t id = Join();
  Refer("<sip:2000@198.51.100.1>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 202);
  EXPECT_THAT(Notifies(), ElementsAre("SIP/2.0 200 OK\r\nterminated;reason=noresource"));
  // The first room's worker is asked to hand the participant over ...
  const auto detach = workers_.SentOf<mixer::DetachParticipant>();
  ASSERT_THAT(detach, SizeIs(1));
  EXPECT_EQ(detach[0]->to_conference_id, rooms_->ConferenceId("2000"));
  EXPECT_THAT(controller_->Participants("1000"), IsEmpty());
  // ... and, handed back, it is in room 2000.
  HandBack("2000");
  const auto moved = controller_->Participants("2000");
  ASSERT_THAT(moved, SizeIs(1));
  EXPECT_EQ(moved[0].id, id);
  EXPECT_EQ(controller_->dial_out_counters().refers, 1u);
}

TEST_F(CallReferTest, ReferToAPinRoomIsRefused) {
  Join();
  Refer("<sip:3000@198.51.100.1>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  EXPECT_THAT(workers_.SentOf<mixer::DetachParticipant>(), IsEmpty());
}

TEST_F(CallReferTest, ReferToANumberAddsItByDialOutWithNotifyProgress) {
  Join();
  Refer("<sip:+442079460123@198.51.100.1;user=phone>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 202);
  ASSERT_THAT(SentOf("INVITE"), SizeIs(1));
  EXPECT_EQ(fakes::Parse(SentOf("INVITE")[0]->bytes).request_uri_text(),
            "sip:+442079460123@carrier.example;user=phone");
  CalleeAnswers(180);
  CalleePicksUp();
  EXPECT_THAT(Notifies(), ElementsAre("SIP/2.0 100 Trying\r\nactive;expires=60",
                                      "SIP/2.0 180 Ringing\r\nactive;expires=60",
                                      "SIP/2.0 200 OK\r\nterminated;reason=noresource"));
  EXPECT_THAT(controller_->Participants("1000"), SizeIs(2));
  EXPECT_THAT(EventsOf("dial_out").front(), HasSubstr("\"requested_by\":\"refer:caller-1\""));
}

TEST_F(CallReferTest, AFailedAddIsToldInTheLastNotify) {
  Join();
  Refer("<tel:+442079460123>", 2, to_tag_);
  CalleeAnswers(486);
  EXPECT_THAT(Notifies(), ElementsAre("SIP/2.0 100 Trying\r\nactive;expires=60",
                                      "SIP/2.0 486 Busy Here\r\nterminated;reason=noresource"));
}

TEST_F(CallReferTest, ReferToARoomOnAFullMediaWorkerIs503) {
  Join();
  workers_.admit_move = mixer::Admission::kWorkerFull;  // [media] full_worker = "refuse"
  Refer("<sip:2000@198.51.100.1>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 503);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("503 Room Media Worker Full\r\n"));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nRetry-After: "));
  EXPECT_THAT(workers_.admit_move_asked, SizeIs(1));
  EXPECT_THAT(workers_.SentOf<mixer::DetachParticipant>(), IsEmpty());
  EXPECT_THAT(controller_->Participants("1000"), SizeIs(1));  // still where it was
  EXPECT_EQ(overload_.refused(Refusal::kWorkerFull), 1u);
}

TEST_F(CallReferTest, NoMediaCapacityRefusesADialOutBeforeItsInvite) {
  Join();
  workers_.admit_new = mixer::Admission::kNoCapacity;
  Refer("<sip:+442079460123@198.51.100.1;user=phone>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 503);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("media capacity reached"));
  // The API's dial-out the same way (503 there too).
  EXPECT_EQ(DialOut("+442079460123").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(SentOf("INVITE"), IsEmpty());
  EXPECT_EQ(overload_.refused(Refusal::kMediaLoad), 2u);
  // Capacity back: the add goes ahead.
  workers_.admit_new = mixer::Admission::kAdmit;
  EXPECT_TRUE(DialOut("+442079460123").ok());
  EXPECT_THAT(SentOf("INVITE"), SizeIs(1));
}

TEST_F(CallReferTest, TheTollFraudGuardRefusesTheReferBeforeAnyInvite) {
  Join();
  Refer("<tel:+12125550100>", 2, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  EXPECT_THAT(SentOf("INVITE"), IsEmpty());
  EXPECT_THAT(SentOf("NOTIFY"), IsEmpty());
}

TEST_F(CallReferTest, StrangersAndUnsupportedRefersAreRefused) {
  Join();
  Refer("<sip:2000@198.51.100.1>", 2, {});  // out of any dialog
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  Refer("<sip:2000@198.51.100.1>", 2, "no-such-tag");
  EXPECT_EQ(signaling_.Statuses().back(), 481);
  Refer("<sip:2000@198.51.100.1?Replaces=abc%3Bto-tag%3Dx%3Bfrom-tag%3Dy>", 3, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 501);
  Refer("<sip:2000@198.51.100.1;method=BYE>", 4, to_tag_);
  EXPECT_EQ(signaling_.Statuses().back(), 501);
  EXPECT_THAT(workers_.SentOf<mixer::DetachParticipant>(), IsEmpty());
  EXPECT_EQ(controller_->dial_out_counters().refers, 0u);
}

TEST_F(CallReferTest, ReferSubFalseIsAcceptedWithoutNotifies) {
  Join();
  Refer("<tel:+442079460123>", 2, to_tag_, "Refer-Sub: false\r\nSupported: norefersub\r\n");
  EXPECT_EQ(signaling_.Statuses().back(), 202);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nRefer-Sub: false\r\n"));
  CalleeAnswers(180);
  EXPECT_THAT(SentOf("NOTIFY"), IsEmpty());
}

}  // namespace
}  // namespace tutti
