// Calls from trunks through a fake transaction layer and fake workers:
// recognised by source address, routed by the dial plan, held to the
// trunk's limits, named by the caller's number; early media and RFC 3262
// reliable provisionals. Nothing waits on wall time.
#include <cstdio>
#include <string>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A request of the carrier's (Call-ID "trunk-<n>") to `uri`, from
// +447700900123 unless `extra` says more (PAI, Privacy, Require...).
std::string TrunkRequest(std::string_view method, std::string_view uri, int n, int cseq,
                         std::string_view to_tag = {}, std::string_view body = {},
                         std::string_view extra = {}) {
  return StrCat(method, " ", uri, " SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-t", n, method, cseq, "\r\n",
                "From: \"Alice Smith\" <sip:+447700900123@carrier.example>;tag=t", n, "\r\n",
                "To: <", uri, ">", to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: trunk-", n, "\r\n", "CSeq: ", cseq, " ", method, "\r\n",
                "Contact: <sip:gw@203.0.113.5:5060>\r\nMax-Forwards: 70\r\n", extra,
                body.empty() ? std::string() : "Content-Type: application/sdp\r\n",
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

std::string Did(std::string_view number) {
  return StrCat("sip:+", number, "@198.51.100.1;user=phone");
}

// A carrier's offer: its media gateway is not its SIP address.
constexpr char kCarrierOffer[] =
    "v=0\r\no=gw 1 1 IN IP4 203.0.113.50\r\ns=-\r\nc=IN IP4 203.0.113.50\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=sendrecv\r\n";

class CallTrunkCallsTest : public fakes::ControllerBase {
 protected:
  CallTrunkCallsTest() {
    rooms_ = OpenAndPinRooms();
    carrier_.name = "carrier";
    carrier_.addresses = {"203.0.113.5"};
    carrier_.host = "203.0.113.5";
    carrier_.numbers.country_code = "44";
    records_path_ = tutti::testing_support::UniqueTempPath("trunk_call_records.jsonl");
    std::remove(records_path_.c_str());
  }
  ~CallTrunkCallsTest() override {
    controller_.reset();
    std::remove(records_path_.c_str());
  }

  // The controller's options with `policy_` as it is now.
  CallControllerOptions ControllerOptions() const {
    CallControllerOptions options = Options();
    options.ivr_number = "800";
    options.trunk_policy = policy_;
    options.digit_timeout = digit_timeout_;
    return options;
  }

  // The controller with `carrier_` as it is now and this dial plan.
  void Start() {
    auto table = trunk::TrunkTable::Make({carrier_});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_shared<const trunk::TrunkTable>(std::move(*table));
    trunk::DialPlanRule to_room{.match = "442079460001", .room = "1000"};
    trunk::DialPlanRule to_ivr{.match = "442079460002", .ivr = true};
    trunk::DialPlanRule prefilled{.match = "44207946[2-9]XXX", .ivr = true, .ivr_room_digits = 4};
    auto plan = trunk::DialPlan::Make({to_room, to_ivr, prefilled});
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = std::move(*plan);
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, ControllerOptions());
    controller_->set_trunks(table_, &plan_, &guard_, nullptr);
    records_ = std::move(*CallRecordWriter::Open(records_path_));
    controller_->set_call_records(records_.get());
    controller_->set_event_hub(&events_);
  }

  sip::TransactionId FromTrunk(const std::string& text) { return SendFrom(text, carrier_source_); }
  // The carrier calls `number` (canonical) with SDP; the status it got.
  int Call(std::string_view number, int n, std::string_view extra = {}) {
    FromTrunk(TrunkRequest("INVITE", Did(number), n, 1, {}, kCarrierOffer, extra));
    return signaling_.Statuses().back();
  }
  void Ack(std::string_view number, int n, const std::string& tag, int cseq = 1) {
    controller_->OnAck(fakes::Parse(TrunkRequest("ACK", Did(number), n, cseq, tag)),
                       carrier_source_);
  }
  void Keys(uint64_t id, std::string_view keys) {
    for (char key : keys) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
  }
  // The lobby's worker hands the participant (the n-th added) back, bound for `room`.
  void HandBack(size_t n, std::string_view room) {
    size_t seen = 0;
    for (fakes::FakeWorkers::Sent& sent : workers_.sent) {
      auto* add = std::get_if<mixer::AddParticipant>(&sent.command);
      if (add == nullptr || seen++ != n) continue;
      std::unique_ptr<mixer::Participant> back = std::move(add->participant);
      back->set_conference_id(rooms_->ConferenceId(room));
      workers_.events.push_back(mixer::Detached{std::move(back)});
      break;
    }
    DeliverEvents();
  }
  uint64_t LastAddedId() const {
    return workers_.SentOf<mixer::AddParticipant>().back()->participant->id();
  }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }
  // The events published so far, as "type {json}".
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    while (std::optional<std::string> next = subscription_->Next(0)) out.push_back(*next);
    return out;
  }
  int Count(int status) const {
    int count = 0;
    for (const fakes::FakeSignaling::Response& response : signaling_.responses) {
      count += response.status == status ? 1 : 0;
    }
    return count;
  }

  trunk::TrunkConfig carrier_;
  trunk::TrunkPolicy policy_;
  absl::Duration digit_timeout_ = absl::Seconds(8);
  std::shared_ptr<const trunk::TrunkTable> table_;
  trunk::DialPlan plan_;
  trunk::TrunkGuard guard_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_ = events_.Subscribe();
  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  std::string records_path_;
  std::unique_ptr<CallRecordWriter> records_;
  const sip::MessageSource carrier_source_{sip::TransportKind::kUdp,
                                           *sip::SocketAddress::FromIpPort("203.0.113.5", 5060), 0};
};

TEST_F(CallTrunkCallsTest, ADidLandsInItsRoomNamedByTheCallersNumber) {
  Start();
  ASSERT_EQ(Call("442079460001", 1), 200);
  Ack("442079460001", 1, fakes::ToTag(signaling_.responses.back().bytes));
  const std::vector<ParticipantInfo> in_room = controller_->Participants("1000");
  ASSERT_EQ(in_room.size(), 1u);
  EXPECT_EQ(in_room[0].caller_number, "447700900123");
  // The carrier's media gateway, not its SIP address, is where RTP goes.
  EXPECT_EQ(workers_.SentOf<mixer::AddParticipant>()[0]->participant->spec().remote_rtp.port,
            30000);
  EXPECT_EQ(controller_->inbound_trunk_counters().calls, 1u);
  EXPECT_EQ(guard_.calls("carrier"), 1);
  const std::vector<std::string> events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_THAT(events.back(), HasSubstr("participant_joined"));
  EXPECT_THAT(events.back(), HasSubstr("\"caller_number\":\"447700900123\""));

  controller_->Kick(in_room[0].id, "done");
  EXPECT_EQ(guard_.calls("carrier"), 0);  // CallEnded
  workers_.events.push_back(mixer::Left{in_room[0].id, {}});
  DeliverEvents();
  const std::vector<nlohmann::json> records = fakes::JsonLines(records_path_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["trunk"], "carrier");
  EXPECT_EQ(records[0]["called_number"], "442079460001");
  EXPECT_EQ(records[0]["caller_number"], "447700900123");
  EXPECT_EQ(records[0]["room"], "1000");
}

TEST_F(CallTrunkCallsTest, APatternsPrefilledRoomAsksOnlyForItsPin) {
  Start();
  ASSERT_EQ(Call("442079462000", 1), 200);  // room 2000, which has a PIN
  EXPECT_EQ(controller_->in_ivr(), 1);
  Keys(LastAddedId(), "4321#");  // the PIN at once: no conference number asked
  HandBack(0, "2000");
  EXPECT_EQ(controller_->Participants("2000").size(), 1u);
}

TEST_F(CallTrunkCallsTest, APrefilledRoomThatDoesNotExistLeavesTheIvrToAsk) {
  Start();
  ASSERT_EQ(Call("442079463000", 1), 200);  // "3000": no such room
  EXPECT_EQ(controller_->in_ivr(), 1);
  Keys(LastAddedId(), "1000#");
  HandBack(0, "1000");
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);
}

TEST_F(CallTrunkCallsTest, ANumberNoRuleHasIs404) {
  Start();
  EXPECT_EQ(Call("441632960000", 1), 404);
  // A trunk's call to a room's name is a number like any: the dial plan decides.
  FromTrunk(TrunkRequest("INVITE", "sip:1000@198.51.100.1", 2, 1, {}, kCarrierOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 404);
  EXPECT_EQ(controller_->inbound_trunk_counters().refused_no_route, 2u);
  EXPECT_EQ(controller_->active_calls(), 0);
}

TEST_F(CallTrunkCallsTest, StrangersMayCallRoomsByNameButNoNumber) {
  Start();
  for (const std::string& uri : {Did("442079460001"), std::string("sip:442079460001@198.51.100.1"),
                                 std::string("tel:+442079460001")}) {
    SCOPED_TRACE(uri);
    Send(TrunkRequest("INVITE", uri, 1, 1, {}, kCarrierOffer));  // from 192.0.2.10
    EXPECT_EQ(signaling_.Statuses().back(), 403);
  }
  EXPECT_EQ(controller_->inbound_trunk_counters().refused_stranger, 3u);
  Send(TrunkRequest("INVITE", "sip:1000@198.51.100.1", 2, 1, {}, kCarrierOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  Send(TrunkRequest("INVITE", "sip:9999@198.51.100.1", 3, 1, {}, kCarrierOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 404);  // no such room, as before trunks
}

TEST_F(CallTrunkCallsTest, WithoutRoomCallsFromAnywhereAStrangerGets403ForARoomToo) {
  policy_.allow_room_calls_from_anywhere = false;
  Start();
  Send(TrunkRequest("INVITE", "sip:1000@198.51.100.1", 1, 1, {}, kCarrierOffer));
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  EXPECT_EQ(Call("442079460001", 2), 200);  // the trunk still may
}

TEST_F(CallTrunkCallsTest, ATrunkAtItsLimitGets503UntilACallEnds) {
  carrier_.max_calls = 1;
  Start();
  ASSERT_EQ(Call("442079460001", 1), 200);
  const std::string tag = fakes::ToTag(signaling_.responses.back().bytes);
  Ack("442079460001", 1, tag);
  EXPECT_EQ(Call("442079460001", 2), 503);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: "));
  EXPECT_EQ(controller_->inbound_trunk_counters().refused_busy, 1u);
  EXPECT_EQ(controller_->active_calls(), 1);
  FromTrunk(TrunkRequest("BYE", Did("442079460001"), 1, 2, tag));
  EXPECT_EQ(Call("442079460001", 3), 200);
}

// A reload removes the carrier while its call is up: its address is no
// trunk's for the next INVITE, and the call goes on with the settings it
// came with (the old table gone) and ends as any other.
TEST_F(CallTrunkCallsTest, ACallOutlivesAReloadThatRemovesItsTrunk) {
  Start();
  ASSERT_EQ(Call("442079460001", 1), 200);
  const std::string tag = fakes::ToTag(signaling_.responses.back().bytes);
  Ack("442079460001", 1, tag);
  const uint64_t id = controller_->Participants("1000").at(0).id;

  auto pbx = trunk::TrunkTable::Make(
      {trunk::TrunkConfig{.name = "pbx", .addresses = {"192.0.2.77"}, .host = "192.0.2.77"}});
  ASSERT_TRUE(pbx.ok()) << pbx.status();
  table_ = std::make_shared<const trunk::TrunkTable>(*std::move(pbx));
  controller_->set_trunks(table_, &plan_, &guard_, nullptr);  // the carrier's table is gone
  policy_.allow_room_calls_from_anywhere = false;
  controller_->Reconfigure(ControllerOptions());  // the reload's [trunks]
  EXPECT_EQ(Call("442079460001", 2), 403);        // a stranger's call to a number now
  EXPECT_EQ(controller_->inbound_trunk_counters().refused_stranger, 1u);
  EXPECT_EQ(guard_.calls("carrier"), 1);

  FromTrunk(TrunkRequest("BYE", Did("442079460001"), 1, 2, tag));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_EQ(guard_.calls("carrier"), 0);  // released by its trunk's name
  workers_.events.push_back(mixer::Left{id, {}});
  DeliverEvents();
  const std::vector<nlohmann::json> records = fakes::JsonLines(records_path_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["trunk"], "carrier");
  EXPECT_EQ(records[0]["caller_number"], "447700900123");
}

TEST_F(CallTrunkCallsTest, TheCallerIsWhomPaiNamesAndAWithheldOneIsAnonymous) {
  Start();
  ASSERT_EQ(Call("442079460001", 1, "P-Asserted-Identity: <sip:+441632960123@carrier.example>\r\n"),
            200);
  ASSERT_EQ(Call("442079460001", 2,
                 "P-Asserted-Identity: <sip:+441632960999@carrier.example>\r\nPrivacy: id\r\n"),
            200);
  const std::vector<ParticipantInfo> in_room = controller_->Participants("1000");
  ASSERT_EQ(in_room.size(), 2u);
  EXPECT_EQ(in_room[0].caller_number, "441632960123");
  EXPECT_EQ(in_room[1].caller_number, "anonymous");
  for (const std::string& event : Events())
    EXPECT_THAT(event, ::testing::Not(HasSubstr("441632960999")));
  // The operator's record keeps it, marked withheld.
  controller_->Kick(in_room[1].id, "done");
  workers_.events.push_back(mixer::Left{in_room[1].id, {}});
  DeliverEvents();
  const std::vector<nlohmann::json> records = fakes::JsonLines(records_path_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["caller_number"], "441632960999");
  EXPECT_EQ(records[0]["caller_withheld"], true);
}

TEST_F(CallTrunkCallsTest, EarlyMediaLetsTheIvrSpeakThenTheRoomAnswers) {
  carrier_.early_media = true;
  Start();
  ASSERT_EQ(Call("442079460002", 1), 183);
  const std::string progress = signaling_.responses.back().bytes;
  EXPECT_THAT(progress, HasSubstr("SIP/2.0 183 Session Progress"));
  EXPECT_THAT(progress, HasSubstr("m=audio "));
  EXPECT_THAT(progress, ::testing::Not(HasSubstr("Require: 100rel")));  // the carrier did not ask
  EXPECT_EQ(controller_->calls_answered(), 0u);
  EXPECT_EQ(controller_->inbound_trunk_counters().early_media, 1u);
  ASSERT_EQ(workers_.SentOf<mixer::AddParticipant>().size(), 1u);  // the IVR's lobby hears it
  EXPECT_EQ(controller_->in_ivr(), 1);

  Keys(LastAddedId(), "1000#");
  ASSERT_EQ(signaling_.Statuses().back(), 200);
  const std::string& ok = signaling_.responses.back().bytes;
  EXPECT_EQ(ok.substr(ok.find("\r\n\r\n")), progress.substr(progress.find("\r\n\r\n")));
  EXPECT_EQ(fakes::ToTag(ok), fakes::ToTag(progress));
  EXPECT_EQ(controller_->calls_answered(), 1u);
  Ack("442079460002", 1, fakes::ToTag(ok));
  HandBack(0, "1000");
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);
}

TEST_F(CallTrunkCallsTest, AnIvrGoodbyeInEarlyMediaRefusesTheInviteRatherThanBye) {
  carrier_.early_media = true;
  Start();
  ASSERT_EQ(Call("442079460002", 1), 183);
  Keys(LastAddedId(), "7#7#7#");  // no such conference, three times
  for (int waits = 0; waits < 20 && controller_->active_calls() > 0; ++waits) {
    timers_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_EQ(signaling_.Statuses().back(), 480);
  EXPECT_TRUE(signaling_.sent.empty());  // no BYE in an early dialog
  EXPECT_EQ(guard_.calls("carrier"), 0);
}

// RFC 3262: the carrier supports 100rel, so the 183 goes reliably.
TEST_F(CallTrunkCallsTest, AReliable183GoesAgainUntilItsPrackAndHoldsThe200) {
  carrier_.early_media = true;
  Start();
  ASSERT_EQ(Call("442079460002", 1, "Supported: 100rel\r\n"), 183);
  const std::string progress = signaling_.responses.back().bytes;
  EXPECT_THAT(progress, HasSubstr("Require: 100rel\r\n"));
  const size_t rseq_at = progress.find("RSeq: ");
  ASSERT_NE(rseq_at, std::string::npos);
  const std::string rseq =
      progress.substr(rseq_at + 6, progress.find("\r\n", rseq_at) - rseq_at - 6);
  const std::string tag = fakes::ToTag(progress);
  const absl::Duration t1 = signaling_.timers().t1;
  timers_.Advance(t1);
  EXPECT_EQ(Count(183), 2);
  timers_.Advance(2 * t1);
  EXPECT_EQ(Count(183), 3);
  timers_.Advance(2 * t1);  // the next is 4*T1 after the last
  EXPECT_EQ(Count(183), 3);

  // The caller enters the room before the PRACK: the 200 waits for it.
  Keys(LastAddedId(), "1000#");
  EXPECT_EQ(Count(200), 0);
  // A PRACK naming another RSeq acknowledges nothing.
  FromTrunk(TrunkRequest("PRACK", Did("442079460002"), 1, 2, tag, {}, "RAck: 1 1 INVITE\r\n"));
  EXPECT_EQ(signaling_.Statuses().back(), 481);
  FromTrunk(TrunkRequest("PRACK", Did("442079460002"), 1, 3, tag, {},
                         StrCat("RAck: ", rseq, " 1 INVITE\r\n")));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(183, 183, 183, 481, 200, 200));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("CSeq: 1 INVITE"));
  timers_.Advance(64 * t1);
  EXPECT_EQ(Count(183), 3);  // acknowledged: not sent again
}

TEST_F(CallTrunkCallsTest, NoPrackWithin64T1Refuses504AndEndsTheCall) {
  carrier_.early_media = true;
  digit_timeout_ = absl::Minutes(5);  // the IVR waits longer than 64*T1
  Start();
  ASSERT_EQ(Call("442079460002", 1, "Require: 100rel\r\n"), 183);
  timers_.Advance(64 * signaling_.timers().t1);
  EXPECT_EQ(signaling_.Statuses().back(), 504);
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_TRUE(signaling_.sent.empty());
}

// RFC 3262 §3: a PRACK that acknowledges no reliable 1xx of ours: 481.
TEST_F(CallTrunkCallsTest, APrackWithNothingToAcknowledgeIs481) {
  Start();
  ASSERT_EQ(Call("442079460001", 1), 200);
  const std::string tag = fakes::ToTag(signaling_.responses.back().bytes);
  Ack("442079460001", 1, tag);
  FromTrunk(TrunkRequest("PRACK", Did("442079460001"), 1, 2, tag, {}, "RAck: 1 1 INVITE\r\n"));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(200, 481));
}

TEST_F(CallTrunkCallsTest, RequiredReliableProvisionalsOnATrunkWithPrackOffAre420) {
  carrier_.prack = "off";
  Start();
  EXPECT_EQ(Call("442079460001", 1, "Require: 100rel\r\n"), 420);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Unsupported: 100rel\r\n"));
  // Supported alone: answered, unreliably.
  EXPECT_EQ(Call("442079460001", 2, "Supported: 100rel\r\n"), 200);
}

// Carriers move calls between codecs by re-INVITE: the participant follows.
TEST_F(CallTrunkCallsTest, AReInviteThatDropsTheCodecMovesTheParticipantToAnother) {
  Start();
  ASSERT_EQ(Call("442079460001", 1), 200);  // PCMA, the carrier's first choice
  const std::string tag = fakes::ToTag(signaling_.responses.back().bytes);
  Ack("442079460001", 1, tag);
  ASSERT_EQ(workers_.SentOf<mixer::AddParticipant>()[0]->participant->spec().codec.kind,
            media::CodecKind::kPcma);
  const std::string ulaw_only =
      "v=0\r\no=gw 1 2 IN IP4 203.0.113.50\r\ns=-\r\nc=IN IP4 203.0.113.50\r\nt=0 0\r\n"
      "m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
  FromTrunk(TrunkRequest("INVITE", Did("442079460001"), 1, 2, tag, ulaw_only));
  ASSERT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("a=rtpmap:0 PCMU/8000"));
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]->spec.codec.kind, media::CodecKind::kPcmu);
  EXPECT_EQ(controller_->Participants("1000").at(0).codec, "PCMU");
  Ack("442079460001", 1, tag, 2);
  // Offered again beside another, the codec in use stays.
  FromTrunk(TrunkRequest("INVITE", Did("442079460001"), 1, 3, tag, kCarrierOffer));
  ASSERT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_EQ(workers_.SentOf<mixer::UpdateParticipant>().back()->spec.codec.kind,
            media::CodecKind::kPcmu);
}

TEST_F(CallTrunkCallsTest, OptionsFromATrunkAre200WhateverItsUri) {
  Start();
  FromTrunk(TrunkRequest("OPTIONS", Did("442079460001"), 1, 1));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("PRACK"));  // in Allow
  Send(TrunkRequest("OPTIONS", "sip:442079460001@198.51.100.1", 2, 1));
  EXPECT_EQ(signaling_.Statuses().back(), 404);  // a stranger: as before
}

}  // namespace
}  // namespace tutti
