// Dial-outs (call_dial_out.cc): tutti's INVITEs to a trunk through the fake
// transaction layer, answered by the test as the carrier would; the
// toll-fraud guard, digest, 100rel, the answer timeout and the callee as a
// participant.
#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "tests/signaling/call/dial_out_fixture.h"

namespace tutti {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

class CallDialOutTest : public fakes::DialOutFixture {
 protected:
  CallDialOutTest() { MakeController(); }
};

TEST_F(CallDialOutTest, ANumberNoTrunkMayCallIsRefusedWithNothingSent) {
  absl::StatusOr<uint64_t> refused = DialOut("+1 212 555 0100");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  // No open relay: a sip: URI of another domain goes nowhere either.
  EXPECT_EQ(DialOut("sip:+442079460123@evil.example").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DialOut("not a number").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DialOut("02079460123", "nowhere").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(signaling_.sent, IsEmpty());
  EXPECT_EQ(controller_->dial_out_counters().refused, 4u);
  EXPECT_EQ(controller_->dial_out_counters().started, 0u);
  const auto events = EventsOf("dial_out");
  ASSERT_THAT(events, SizeIs(4));
  EXPECT_THAT(events[0], AllOf(HasSubstr("\"state\":\"refused\""), HasSubstr("dial_out_patterns")));
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
}

TEST_F(CallDialOutTest, TheGuardsRoomLimitRefusesBeforeAnyInvite) {
  trunk::DialOutConfig one_per_room;
  one_per_room.max_per_room = 1;
  guard_ = trunk::TrunkGuard(one_per_room);
  ASSERT_TRUE(DialOut("02079460123").ok());
  EXPECT_EQ(DialOut("02079460124").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(SentOf("INVITE"), SizeIs(1));
}

TEST_F(CallDialOutTest, TheInviteNamesTheNumberAndOurCallerIdInTheTrunksFormat) {
  ASSERT_TRUE(DialOut("020 7946 0123").ok());
  ASSERT_THAT(signaling_.sent, SizeIs(1));
  const fakes::FakeSignaling::Sent& sent = signaling_.sent[0];
  EXPECT_EQ(sent.next_hop.address.ToString(), "203.0.113.5:5060");
  const sip::SipMessage invite = fakes::Parse(sent.bytes);
  EXPECT_EQ(invite.request_uri_text(), "sip:+442079460123@carrier.example;user=phone");
  EXPECT_EQ(invite.to().uri_text, "sip:+442079460123@carrier.example;user=phone");
  EXPECT_TRUE(invite.to().tag.empty());
  EXPECT_EQ(invite.from().uri_text, "sip:+442079460000@carrier.example;user=phone");
  EXPECT_FALSE(invite.from().tag.empty());
  ASSERT_NE(invite.FindHeader("P-Asserted-Identity"), nullptr);
  EXPECT_EQ(invite.FindHeader("P-Asserted-Identity")->value,
            "<sip:+442079460000@carrier.example;user=phone>");
  EXPECT_THAT(sent.bytes, HasSubstr("\r\nSupported: 100rel\r\n"));
  EXPECT_THAT(invite.body(), HasSubstr("m=audio "));
  EXPECT_THAT(invite.body(), HasSubstr("c=IN IP4 198.51.100.1"));
  EXPECT_EQ(controller_->dial_out_counters().started, 1u);
  EXPECT_THAT(EventsOf("dial_out"),
              ElementsAre(AllOf(
                  HasSubstr("\"number\":\"442079460123\""), HasSubstr("\"trunk\":\"carrier\""),
                  HasSubstr("\"requested_by\":\"api\""), HasSubstr("\"state\":\"calling\""))));
}

TEST_F(CallDialOutTest, TheTrunksCodecOrderAndOutboundProxyShapeTheInvite) {
  trunk::TrunkConfig trunk = fakes::CarrierTrunk();
  trunk.codecs = {"PCMA", "PCMU"};
  trunk.outbound_proxy = "203.0.113.7:5080";
  MakeController(trunk);
  ASSERT_TRUE(DialOut("02079460123").ok());
  ASSERT_THAT(signaling_.sent, SizeIs(1));
  EXPECT_EQ(signaling_.sent[0].next_hop.address.ToString(), "203.0.113.7:5080");
  const sip::SipMessage invite = fakes::Parse(signaling_.sent[0].bytes);
  EXPECT_EQ(invite.HeaderValue(sip::HeaderId::kRoute), "<sip:203.0.113.7:5080;lr>");
  EXPECT_EQ(invite.request_uri_text(), "sip:+442079460123@carrier.example;user=phone");
  EXPECT_THAT(invite.body(), HasSubstr("m=audio 4000"));
  EXPECT_THAT(invite.body(), HasSubstr(" RTP/AVP 8 0"));
}

TEST_F(CallDialOutTest, AProxyChallengeIsAnsweredOnceWithTheNextCSeq) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  const sip::SipMessage first = fakes::Parse(SentOf("INVITE")[0]->bytes);
  CalleeAnswers(407,
                "Proxy-Authenticate: Digest realm=\"carrier.example\", nonce=\"n1\", "
                "algorithm=MD5, qop=\"auth\"\r\n");
  ASSERT_THAT(SentOf("INVITE"), SizeIs(2));
  const std::string& again = SentOf("INVITE")[1]->bytes;
  const sip::SipMessage second = fakes::Parse(again);
  EXPECT_EQ(second.call_id(), first.call_id());
  EXPECT_EQ(second.from().tag, first.from().tag);
  EXPECT_EQ(second.cseq().number, first.cseq().number + 1);
  EXPECT_THAT(again,
              AllOf(HasSubstr("\r\nProxy-Authorization: Digest "), HasSubstr("username=\"tutti\""),
                    HasSubstr("nonce=\"n1\""), Not(HasSubstr("secret"))));
  // The same challenge again: the credentials were wrong; no third INVITE.
  CalleeAnswers(407,
                "Proxy-Authenticate: Digest realm=\"carrier.example\", nonce=\"n2\", "
                "algorithm=MD5, qop=\"auth\"\r\n");
  EXPECT_THAT(SentOf("INVITE"), SizeIs(2));
  const auto events = EventsOf("dial_out");
  EXPECT_THAT(events.back(), AllOf(HasSubstr("\"state\":\"failed\""), HasSubstr("\"status\":407")));
}

// A reload replaces the carrier (another name, another account) while our
// INVITE rings: the dial-out answers its challenge with the settings it
// began with, joins its room and is released when it ends.
TEST_F(CallDialOutTest, ARingingDialOutOutlivesAReloadOfItsTrunk) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  trunk::TrunkConfig other = fakes::CarrierTrunk();
  other.name = "other";
  other.username = "someone-else";
  other.password = "changed";
  auto reloaded = trunk::TrunkTable::Make({other});
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  table_ = std::make_shared<const trunk::TrunkTable>(*std::move(reloaded));
  controller_->set_trunks(table_, nullptr, &guard_, nullptr);  // the old table is gone

  CalleeAnswers(407,
                "Proxy-Authenticate: Digest realm=\"carrier.example\", nonce=\"n1\", "
                "algorithm=MD5, qop=\"auth\"\r\n");
  ASSERT_THAT(SentOf("INVITE"), SizeIs(2));
  EXPECT_THAT(SentOf("INVITE")[1]->bytes, AllOf(HasSubstr("\r\nProxy-Authorization: Digest "),
                                                HasSubstr("username=\"tutti\"")));
  CalleePicksUp();
  EXPECT_THAT(controller_->Participants("1000"), SizeIs(1));
  EXPECT_EQ(guard_.calls("carrier"), 1);
  SendFrom(CalleeRequest("BYE", 1), Carrier());
  EXPECT_EQ(guard_.calls("carrier"), 0);
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
  EXPECT_THAT(EventsOf("dial_out").back(),
              AllOf(HasSubstr("\"state\":\"ended\""), HasSubstr("\"trunk\":\"carrier\"")));
}

TEST_F(CallDialOutTest, RingingAndProgressAreEventsEachOnce) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  CalleeAnswers(100);
  CalleeAnswers(180);
  CalleeAnswers(180);
  CalleeAnswers(183, {}, fakes::kCalleeAnswer);  // early media, passed to nobody
  const auto events = EventsOf("dial_out");
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_THAT(events[1], HasSubstr("\"state\":\"ringing\""));
  EXPECT_THAT(events[2], HasSubstr("\"state\":\"progress\""));
  EXPECT_THAT(workers_.sent, IsEmpty());
  EXPECT_THAT(controller_->Participants("1000"), IsEmpty());
}

TEST_F(CallDialOutTest, AReliableProvisionalIsPrackedOnce) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  const uint32_t invite_cseq = fakes::Parse(SentOf("INVITE")[0]->bytes).cseq().number;
  const std::string reliable =
      "Require: 100rel\r\nRSeq: 7\r\nContact: <sip:callee@203.0.113.9:5060>\r\n";
  CalleeAnswers(183, reliable, fakes::kCalleeAnswer);
  ASSERT_THAT(SentOf("PRACK"), SizeIs(1));
  const std::string& prack = SentOf("PRACK")[0]->bytes;
  EXPECT_THAT(prack, StartsWith("PRACK sip:callee@203.0.113.9:5060 SIP/2.0\r\n"));
  EXPECT_THAT(prack, HasSubstr(StrCat("\r\nRAck: 7 ", invite_cseq, " INVITE\r\n")));
  EXPECT_THAT(prack, HasSubstr(";tag=callee-tag\r\n"));  // inside the early dialog
  CalleeAnswers(183, reliable, fakes::kCalleeAnswer);    // a retransmission
  EXPECT_THAT(SentOf("PRACK"), SizeIs(1));
}

TEST_F(CallDialOutTest, NoAnswerByTheTimeoutIsCancelledAndRecorded) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  CalleeAnswers(180);
  timers_.Advance(absl::Seconds(44));
  EXPECT_THAT(SentOf("CANCEL"), IsEmpty());
  timers_.Advance(absl::Seconds(1));  // [dial_out] answer_timeout_s = 45
  ASSERT_THAT(SentOf("CANCEL"), SizeIs(1));
  EXPECT_EQ(fakes::Parse(SentOf("CANCEL")[0]->bytes).cseq().number,
            fakes::Parse(SentOf("INVITE")[0]->bytes).cseq().number);
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 1);  // until the INVITE is over
  CalleeAnswers(487);
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
  EXPECT_EQ(guard_.calls("carrier"), 0);
  EXPECT_THAT(EventsOf("dial_out").back(),
              AllOf(HasSubstr("\"state\":\"failed\""), HasSubstr("\"status\":487")));
  const auto records = Records();
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0]["direction"], "out");
  EXPECT_EQ(records[0]["why"], "timeout");
  EXPECT_EQ(records[0]["final_status"], 487);
  EXPECT_EQ(records[0]["trunk"], "carrier");
  EXPECT_EQ(records[0]["called_number"], "442079460123");
  EXPECT_EQ(records[0]["requested_by"], "api");
  EXPECT_EQ(controller_->dial_out_counters().failed, 1u);
}

TEST_F(CallDialOutTest, BusyIsAnEventAndARecordWithItsCode) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  CalleeAnswers(486);
  EXPECT_THAT(EventsOf("dial_out").back(),
              AllOf(HasSubstr("\"state\":\"failed\""), HasSubstr("\"status\":486"),
                    HasSubstr("\"reason\":\"Busy Here\"")));
  const auto records = Records();
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0]["final_status"], 486);
  EXPECT_TRUE(records[0]["answered"].is_null());
  EXPECT_THAT(SentOf("CANCEL"), IsEmpty());
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
}

TEST_F(CallDialOutTest, AnAnsweredCalleeIsAckedAndJoinsTheRoom) {
  absl::StatusOr<uint64_t> id = DialOut("02079460123");
  ASSERT_TRUE(id.ok());
  CalleePicksUp();
  ASSERT_THAT(signaling_.stateless, SizeIs(1));
  const sip::SipMessage ack = fakes::Parse(signaling_.stateless[0]);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.request_uri_text(), "sip:callee@203.0.113.9:5060");
  EXPECT_EQ(ack.to().tag, "callee-tag");
  EXPECT_EQ(ack.cseq().number, fakes::Parse(SentOf("INVITE")[0]->bytes).cseq().number);
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_THAT(added, SizeIs(1));
  EXPECT_EQ(added[0]->participant->id(), *id);
  const auto in_room = controller_->Participants("1000");
  ASSERT_THAT(in_room, SizeIs(1));
  EXPECT_EQ(in_room[0].id, *id);
  EXPECT_EQ(controller_->dial_out_counters().answered, 1u);
  EXPECT_THAT(EventsOf("dial_out").back(), HasSubstr("\"state\":\"answered\""));
  // A retransmitted 2xx: our ACK was lost; sent again.
  CalleePicksUp();
  EXPECT_THAT(signaling_.stateless, SizeIs(2));
}

TEST_F(CallDialOutTest, TheCalleesByeEndsItsCall) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  CalleePicksUp();
  SendFrom(CalleeRequest("BYE", 1), Carrier());
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_THAT(controller_->Participants("1000"), IsEmpty());
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
  EXPECT_EQ(guard_.calls("carrier"), 0);
  EXPECT_THAT(EventsOf("dial_out").back(), HasSubstr("\"state\":\"ended\""));
}

TEST_F(CallDialOutTest, AKickSendsByeInsideTheCalleesDialog) {
  absl::StatusOr<uint64_t> id = DialOut("02079460123");
  ASSERT_TRUE(id.ok());
  CalleePicksUp();
  ASSERT_TRUE(controller_->Kick(*id, "kicked"));
  ASSERT_THAT(SentOf("BYE"), SizeIs(1));
  const sip::SipMessage bye = fakes::Parse(SentOf("BYE")[0]->bytes);
  EXPECT_EQ(bye.request_uri_text(), "sip:callee@203.0.113.9:5060");
  EXPECT_EQ(bye.to().tag, "callee-tag");
  EXPECT_GT(bye.cseq().number, fakes::Parse(SentOf("INVITE")[0]->bytes).cseq().number);
  EXPECT_EQ(guard_.dial_outs_in_room("1000"), 0);
}

TEST_F(CallDialOutTest, ShutdownCancelsRingingDialOutsAndWaitsForThem) {
  ASSERT_TRUE(DialOut("02079460123").ok());
  CalleeAnswers(180);
  bool done = false;
  controller_->Shutdown([&done] { done = true; });
  ASSERT_THAT(SentOf("CANCEL"), SizeIs(1));
  EXPECT_FALSE(done);
  CalleeAnswers(487);
  EXPECT_TRUE(done);
  EXPECT_EQ(DialOut("02079460124").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CallDialOutTest, AModeratorsKeyDialsTheNumberTypedThenHash) {
  // A moderator of room 4000, through the PIN prompt.
  Send(fakes::CallerRequest("INVITE", "4000", 1, 1, {}, fakes::kPcmuOffer));
  const std::string tag = fakes::ToTag(signaling_.responses.back().bytes);
  controller_->OnAck(fakes::Parse(fakes::CallerRequest("ACK", "4000", 1, 1, tag)), source_);
  const uint64_t id = workers_.SentOf<mixer::AddParticipant>()[0]->participant->id();
  Press(id, "8765#");
  HandBack("4000");
  ASSERT_THAT(controller_->Participants("4000"), SizeIs(1));
  ASSERT_TRUE(controller_->Participants("4000")[0].moderator);
  Press(id, "#50207946*");  // * gives up: what follows is no number
  Press(id, "0123#");
  EXPECT_THAT(SentOf("INVITE"), IsEmpty());
  Press(id, "#502079460123#");
  ASSERT_THAT(SentOf("INVITE"), SizeIs(1));
  EXPECT_EQ(fakes::Parse(SentOf("INVITE")[0]->bytes).request_uri_text(),
            "sip:+442079460123@carrier.example;user=phone");
  EXPECT_THAT(EventsOf("dial_out").back(), AllOf(HasSubstr("\"room\":\"4000\""),
                                                 HasSubstr("\"requested_by\":\"key:caller-1\"")));
  // A pause gives up too.
  Press(id, "#50207");
  timers_.Advance(absl::Seconds(9));
  Press(id, "9460124#");
  EXPECT_THAT(SentOf("INVITE"), SizeIs(1));
}

}  // namespace
}  // namespace tutti
