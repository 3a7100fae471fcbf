// The controller's routing through a fake transaction layer: no sockets,
// workers faked or none (signaling only), nothing waits on wall time.
#include "signaling/call/call_controller.h"

#include <cstdio>
#include <string>
#include <tuple>

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
using ::testing::Not;

constexpr char kOffer[] =
    "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
// The same caller putting us on hold (RFC 3264 §8.4).
constexpr char kHoldOffer[] =
    "v=0\r\no=alice 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n";
constexpr char kResumeOffer[] =
    "v=0\r\no=alice 1 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

std::string Request(std::string_view method, std::string_view room, int cseq,
                    std::string_view to_tag = {}, std::string_view body = {}) {
  return StrCat(method, " sip:", room, "@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", method, cseq, "\r\n",
                "From: <sip:alice@example.com>;tag=alice\r\n", "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: controller-1\r\n", "CSeq: ", cseq, " ", method, "\r\n",
                "Contact: <sip:alice@192.0.2.10:5062>\r\nMax-Forwards: 70\r\n",
                body.empty() ? std::string() : "Content-Type: application/sdp\r\n",
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

// A SUBSCRIBE to `room`'s conference state from `user`'s UA at `ip`.
std::string SubscribeRequest(std::string_view room, int cseq, std::string_view user,
                             std::string_view ip, std::string_view event = "conference",
                             std::string_view to_tag = {}, std::string_view expires = "600") {
  return StrCat("SUBSCRIBE sip:", room, "@198.51.100.1 SIP/2.0\r\n", "Via: SIP/2.0/UDP ", ip,
                ":5070;branch=z9hG4bK-sub", cseq, "\r\n", "From: <sip:", user,
                "@example.com>;tag=s-", user, "\r\n", "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: subscribe-", user, "\r\n", "CSeq: ", cseq, " SUBSCRIBE\r\n",
                "Contact: <sip:", user, "@", ip, ":5070>\r\nMax-Forwards: 70\r\n", "Event: ", event,
                "\r\nExpires: ", expires, "\r\nContent-Length: 0\r\n\r\n");
}

using fakes::ToTag;

// What both fixtures share (fakes::ControllerBase: the fake transaction
// layer, ports, limits, the caller's address, the controller) and a stranger.
class ControllerFixture : public fakes::ControllerBase {
 protected:
  // A SUBSCRIBE from someone who is in no call (at 192.0.2.99): its status.
  int SubscribeAsStranger(std::string_view room, std::string_view event = "conference") {
    SendFrom(SubscribeRequest(room, 1, "stranger", "192.0.2.99", event), stranger_);
    return signaling_.Statuses().back();
  }

  const sip::MessageSource stranger_{sip::TransportKind::kUdp,
                                     *sip::SocketAddress::FromIpPort("192.0.2.99", 5070), 0};
};

// Signaling only: no workers, the EventLoop's timers (never run).
class CallControllerTest : public ControllerFixture {
 protected:
  CallControllerTest() {
    RoomConfig room;
    room.name = "1000";
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{room});
    controller_ = std::make_unique<CallController>(&loop_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, nullptr, Options());
  }
  ~CallControllerTest() override { controller_.reset(); }

  EventLoop loop_;
};

TEST_F(CallControllerTest, InviteIsAnsweredConfirmedByAckAndEndedByBye) {
  const sip::TransactionId invite = Send(Request("INVITE", "1000", 1, {}, kOffer));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200));
  const std::string& ok = signaling_.responses[0].bytes;
  EXPECT_EQ(signaling_.responses[0].id, invite);
  EXPECT_THAT(ok, HasSubstr("m=audio 4000"));  // our port from the allocator
  EXPECT_THAT(ok, HasSubstr("PCMU/8000"));
  EXPECT_EQ(controller_->active_calls(), 1);
  EXPECT_EQ(controller_->calls_answered(), 1u);
  const std::string tag = ToTag(ok);

  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag)), source_);
  ASSERT_EQ(controller_->Participants("1000").size(), 1u);

  const sip::TransactionId bye = Send(Request("BYE", "1000", 2, tag));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(200, 200));
  EXPECT_EQ(signaling_.responses[1].id, bye);
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_TRUE(signaling_.stateless.empty());
}

TEST_F(CallControllerTest, UnknownRoomIs404AndUnknownDialog481) {
  Send(Request("INVITE", "9999", 1, {}, kOffer));
  Send(Request("BYE", "1000", 2, "nobody"));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(404, 481));
  EXPECT_EQ(controller_->active_calls(), 0);
}

TEST_F(CallControllerTest, KickSendsByeInsideTheDialog) {
  Send(Request("INVITE", "1000", 1, {}, kOffer));
  const std::string tag = ToTag(signaling_.responses[0].bytes);
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag)), source_);
  const uint64_t id = controller_->Participants("1000").at(0).id;
  EXPECT_TRUE(controller_->Kick(id, "removed"));
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("BYE sip:alice@192.0.2.10:5062"));
  EXPECT_THAT(signaling_.sent[0].bytes,
              HasSubstr(StrCat("From: <sip:1000@198.51.100.1>;tag=", tag)));
  EXPECT_EQ(controller_->active_calls(), 0);
}

// The same routing with media: fake workers keep the commands and hand back
// the events a test queues, drained every 20 ms of the manual clock.
class CallControllerMediaTest : public ControllerFixture {
 protected:
  CallControllerMediaTest() {
    rooms_ = OpenAndPinRooms();
    CallControllerOptions options = Options();
    options.ivr_number = "800";
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    records_path_ = tutti::testing_support::UniqueTempPath("call_controller_records.jsonl");
    std::remove(records_path_.c_str());
    records_ = std::move(*CallRecordWriter::Open(records_path_));
    controller_->set_call_records(records_.get());
  }
  ~CallControllerMediaTest() override {
    controller_.reset();
    std::remove(records_path_.c_str());
  }

  // INVITE, 200 and ACK: the dialog's To tag.
  std::string Connect(std::string_view room) {
    Send(Request("INVITE", room, 1, {}, kOffer));
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    const std::string tag = ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(fakes::Parse(Request("ACK", room, 1, tag)), source_);
    return tag;
  }
  // Through the IVR into the PIN room 2000 (as in the test below).
  void EnterPinRoom() {
    Connect("2000");
    const uint64_t id = workers_.SentOf<mixer::AddParticipant>()[0]->participant->id();
    for (char key : std::string_view("4321#")) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
    std::unique_ptr<mixer::Participant> handed_back =
        std::move(std::get<mixer::AddParticipant>(workers_.sent[0].command).participant);
    handed_back->set_conference_id(rooms_->ConferenceId("2000"));
    workers_.events.push_back(mixer::Detached{std::move(handed_back)});
    DeliverEvents();
    ASSERT_EQ(controller_->Participants("2000").size(), 1u);
  }
  // The NOTIFYs sent so far (BYEs left out), answering each 200.
  std::vector<std::string> Notifies() {
    std::vector<std::string> out;
    for (fakes::FakeSignaling::Sent& sent : signaling_.sent) {
      if (!sent.bytes.starts_with("NOTIFY ")) continue;
      out.push_back(sent.bytes);
      if (sent.callback) {
        const sip::SipMessage ok = fakes::Parse(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKn\r\n"
            "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: n\r\n"
            "CSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n");
        std::exchange(sent.callback, nullptr)(&ok);
      }
    }
    return out;
  }
  // The worker's events so far reach the controller.
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }
  std::vector<nlohmann::json> Records() const { return fakes::JsonLines(records_path_); }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  std::string records_path_;
  std::unique_ptr<CallRecordWriter> records_;
};

TEST_F(CallControllerMediaTest, AnsweredCallJoinsItsRoomsConferenceWithTheNegotiatedCodec) {
  Connect("1000");
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 1u);
  const mixer::ParticipantSpec& spec = added[0]->participant->spec();
  EXPECT_EQ(spec.conference_id, rooms_->ConferenceId("1000"));
  EXPECT_EQ(workers_.sent[0].conference_id, rooms_->ConferenceId("1000"));
  EXPECT_EQ(spec.codec.kind, media::CodecKind::kPcmu);
  EXPECT_EQ(spec.payload_type, 0);
  EXPECT_EQ(spec.remote_rtp.port, 40000);
  EXPECT_EQ(controller_->participants(), 1);
}

TEST_F(CallControllerMediaTest, HoldAndResumeUpdateTheParticipant) {
  const std::string tag = Connect("1000");
  Send(Request("INVITE", "1000", 2, tag, kHoldOffer));
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 2, tag)), source_);
  Send(Request("INVITE", "1000", 3, tag, kResumeOffer));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(200, 200, 200));
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_FALSE(updates[0]->spec.send);  // held: we send nothing
  EXPECT_TRUE(updates[0]->spec.receive);
  EXPECT_TRUE(updates[1]->spec.send);
  EXPECT_EQ(updates[1]->spec.conference_id, rooms_->ConferenceId("1000"));
}

TEST_F(CallControllerMediaTest, EnteringTheRoomFromTheLobbyDetachesThenAddsOnDetached) {
  Connect("2000");  // a PIN: the IVR answers in a lobby of the caller's own
  ASSERT_EQ(workers_.SentOf<mixer::AddParticipant>().size(), 1u);
  const uint32_t lobby = workers_.sent[0].conference_id;
  const uint32_t room = rooms_->ConferenceId("2000");
  EXPECT_NE(lobby, room);
  const uint64_t id = workers_.SentOf<mixer::AddParticipant>()[0]->participant->id();
  for (char key : std::string_view("4321#")) workers_.events.push_back(mixer::Dtmf{id, key});
  DeliverEvents();
  const auto detach = workers_.SentOf<mixer::DetachParticipant>();
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_EQ(detach[0]->key.conference_id, lobby);
  EXPECT_EQ(detach[0]->key.participant_id, id);
  EXPECT_EQ(detach[0]->to_conference_id, room);
  EXPECT_EQ(workers_.SentOf<mixer::AddParticipant>().size(), 1u);  // not before Detached

  // The lobby's worker hands the participant back, bound for the room.
  std::unique_ptr<mixer::Participant> handed_back =
      std::move(std::get<mixer::AddParticipant>(workers_.sent[0].command).participant);
  handed_back->set_conference_id(room);
  workers_.events.push_back(mixer::Detached{std::move(handed_back)});
  DeliverEvents();
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(workers_.sent.back().conference_id, room);
  EXPECT_EQ(added[1]->participant->id(), id);
  EXPECT_EQ(controller_->Participants("2000").size(), 1u);
}

TEST_F(CallControllerMediaTest, LeftEventWritesTheRecordWithTheFinalCounters) {
  const std::string tag = Connect("1000");
  const uint64_t id = controller_->Participants("1000").at(0).id;
  mixer::ParticipantStats periodic;
  periodic.packets_in = 10;
  workers_.events.push_back(mixer::Stats{id, periodic});
  DeliverEvents();
  Send(Request("BYE", "1000", 2, tag));
  const auto removed = workers_.SentOf<mixer::RemoveParticipant>();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0]->key.participant_id, id);
  EXPECT_TRUE(Records().empty());  // waits for the worker's final counters

  mixer::ParticipantStats final_stats;
  final_stats.packets_in = 777;
  final_stats.lost = 5;
  workers_.events.push_back(mixer::Left{id, final_stats});
  DeliverEvents();
  std::vector<nlohmann::json> records = Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["call_id"], "controller-1");
  EXPECT_EQ(records[0]["room"], "1000");
  EXPECT_EQ(records[0]["why"], "caller hung up");
  EXPECT_EQ(records[0]["packets_in"], 777);
  EXPECT_EQ(records[0]["lost"], 5);
  controller_.reset();  // nothing left to write at shutdown
  EXPECT_EQ(Records().size(), 1u);
}

TEST_F(CallControllerMediaTest, IvrCallerWhoTypesNothingIsAskedAgainThenHungUpOn) {
  Connect("800");
  EXPECT_EQ(controller_->in_ivr(), 1);
  // Each digit timeout asks again, until the tries are used up; the goodbye
  // (no prompts here) ends the call when its hang-up timer fires.
  for (int waits = 0; waits < 20 && controller_->active_calls() > 0; ++waits) {
    timers_.Advance(absl::Seconds(10));
  }
  EXPECT_EQ(controller_->active_calls(), 0);
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("BYE sip:alice@192.0.2.10:5062"));
  EXPECT_EQ(controller_->dial_in_counters().failed, 1u);
}

// The IVR hangs up on a caller who typed a room and then failed: its record
// names the room it asked for, not "" (issue 15).
TEST_F(CallControllerMediaTest, IvrFailureRecordKeepsTheRoomTheCallerTyped) {
  for (const auto& [keys, room, why] :
       {std::tuple{"2000#1#1#1#", "2000", "wrong PIN"},
        std::tuple{"7777#7777#7777#", "7777", "no such conference"}}) {
    SCOPED_TRACE(keys);
    std::remove(records_path_.c_str());
    records_ = std::move(*CallRecordWriter::Open(records_path_));
    controller_->set_call_records(records_.get());
    workers_.sent.clear();
    Connect("800");
    const uint64_t id = workers_.SentOf<mixer::AddParticipant>().at(0)->participant->id();
    for (char key : std::string_view(keys)) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
    // The goodbye (no prompts loaded here) ends the call on its timer.
    for (int waits = 0; waits < 20 && controller_->active_calls() > 0; ++waits) {
      timers_.Advance(absl::Seconds(1));
    }
    ASSERT_EQ(controller_->active_calls(), 0);
    workers_.events.push_back(mixer::Left{id, {}});
    DeliverEvents();
    std::vector<nlohmann::json> records = Records();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0]["room"], room);
    EXPECT_EQ(records[0]["why"], why);
  }
}

TEST_F(CallControllerMediaTest, ACallsOwnTimersEndWithIt) {
  const std::string tag = Connect("800");
  const size_t with_ivr = timers_.pending();  // the digit timeout among them
  Send(Request("BYE", "800", 2, tag));
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_LT(timers_.pending(), with_ivr);
  // Nothing of the call runs later: no BYE, no record of a second end.
  timers_.Advance(absl::Minutes(5));
  EXPECT_TRUE(signaling_.sent.empty());
  EXPECT_EQ(timers_.pending(), 1u);  // the worker event drain, and only it
}

// IPv6 media (issue 15): linphonec offered c=IN IP6 and got 200 OK with no
// audio. An IPv6 offer is answered in IPv6 where there is an IPv6 media
// address, and refused with 488 and Warning 301 where there is none.
constexpr char kOffer6[] =
    "v=0\r\no=alice 1 1 IN IP6 fd00::2\r\ns=-\r\nc=IN IP6 fd00::2\r\nt=0 0\r\n"
    "m=audio 7078 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
constexpr char kOffer6Moved[] =
    "v=0\r\no=alice 1 2 IN IP6 fd00::2\r\ns=-\r\nc=IN IP6 fd00::3\r\nt=0 0\r\n"
    "m=audio 7078 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
constexpr char kOffer4After6[] =
    "v=0\r\no=alice 1 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
constexpr char kHold6OldStyle[] =
    "v=0\r\no=alice 1 4 IN IP6 fd00::2\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 7078 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
constexpr char kOfferNamed[] =
    "v=0\r\no=alice 1 1 IN IP4 media.example.com\r\ns=-\r\nc=IN IP4 media.example.com\r\n"
    "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

class CallControllerIpv6Test : public ControllerFixture {
 protected:
  void Start(std::string address6, std::string no_ipv6_why = {}) {
    RoomConfig room;
    room.name = "1000";
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{room});
    ports6_.emplace("198.51.100.1", 40000, 40007, media::PortAllocator::Mode::kNumbersOnly,
                    address6);
    CallControllerOptions options = Options();
    options.media.ipv6 = address6;
    if (!no_ipv6_why.empty()) options.media.no_ipv6_why = no_ipv6_why;
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &*ports6_,
                                                   &overload_, &workers_, options);
  }
  ~CallControllerIpv6Test() override { controller_.reset(); }

  std::string Connect(std::string_view offer) {
    Send(Request("INVITE", "1000", 1, {}, offer));
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    const std::string tag = ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag)), source_);
    return tag;
  }

  std::optional<media::PortAllocator> ports6_;
  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
};

TEST_F(CallControllerIpv6Test, AnIpv6OfferIsAnsweredInIpv6AndJoinsTheRoom) {
  Start("2001:db8::5");
  Connect(kOffer6);
  const std::string& ok = signaling_.responses[0].bytes;
  EXPECT_THAT(ok, HasSubstr("\r\nc=IN IP6 2001:db8::5\r\n"));
  EXPECT_THAT(ok, HasSubstr(" IN IP6 2001:db8::5\r\ns="));  // o=
  EXPECT_THAT(ok, ::testing::Not(HasSubstr("198.51.100.1\r\ns=")));
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0]->participant->spec().remote_rtp, *media::ParseEndpoint("fd00::2", 7078));
}

// A dual-stack room: an IPv4 and an IPv6 caller in one conference, each
// answered in its own family.
TEST_F(CallControllerIpv6Test, Ipv4AndIpv6CallersShareARoom) {
  Start("2001:db8::5");
  Connect(kOffer6);
  std::string second = Request("INVITE", "1000", 1, {}, kOffer);
  second.replace(second.find("Call-ID: controller-1"), 21, "Call-ID: controller-2");
  Send(second);
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200, 200));
  EXPECT_THAT(signaling_.responses[1].bytes, HasSubstr("\r\nc=IN IP4 198.51.100.1\r\n"));
  EXPECT_EQ(controller_->active_calls(), 2);
}

TEST_F(CallControllerIpv6Test, WithoutAnIpv6AddressAnIpv6OfferGets488WithWarning301) {
  Start("");
  Send(Request("INVITE", "1000", 1, {}, kOffer6));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(488));
  EXPECT_THAT(signaling_.responses[0].bytes,
              HasSubstr("Warning: 301 tutti \"IPv6 media is not configured here\""));
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_TRUE(workers_.sent.empty());
  // No port was taken for it: all four pairs are still there.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ports6_->Allocate().ok());
}

TEST_F(CallControllerIpv6Test, TheDpdkBackendsReasonIsInTheWarning) {
  Start("", "IPv6 media is not available with this bridge's DPDK backend");
  Send(Request("INVITE", "1000", 1, {}, kOffer6));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(488));
  EXPECT_THAT(signaling_.responses[0].bytes, HasSubstr("Warning: 301 "));
  EXPECT_THAT(signaling_.responses[0].bytes, HasSubstr("DPDK backend\""));
}

TEST_F(CallControllerIpv6Test, AMediaAddressThatIsNoIpAddressGets488NotSilence) {
  Start("2001:db8::5");
  Send(Request("INVITE", "1000", 1, {}, kOfferNamed));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(488));
  EXPECT_THAT(signaling_.responses[0].bytes, HasSubstr("Warning: 301 "));
  EXPECT_EQ(controller_->active_calls(), 0);
}

// The call's ports are bound in IPv6: a re-INVITE may move within IPv6 or
// hold (0.0.0.0), not move to IPv4; refused, the call stays as it was.
TEST_F(CallControllerIpv6Test, AReInviteCannotMoveTheMediaToTheOtherFamily) {
  Start("2001:db8::5");
  const std::string tag = Connect(kOffer6);
  Send(Request("INVITE", "1000", 2, tag, kOffer4After6));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200, 488));
  EXPECT_THAT(signaling_.responses[1].bytes,
              HasSubstr("Warning: 301 tutti \"media cannot move from IPv6 to IPv4"));
  EXPECT_TRUE(workers_.SentOf<mixer::UpdateParticipant>().empty());
  EXPECT_EQ(controller_->active_calls(), 1);

  Send(Request("INVITE", "1000", 3, tag, kOffer6Moved));
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 3, tag)), source_);
  Send(Request("INVITE", "1000", 4, tag, kHold6OldStyle));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200, 488, 200, 200));
  EXPECT_THAT(signaling_.responses[2].bytes, HasSubstr("\r\nc=IN IP6 2001:db8::5\r\n"));
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]->spec.remote_rtp, *media::ParseEndpoint("fd00::3", 7078));
  EXPECT_FALSE(updates[1]->spec.send);  // held
}

// An INVITE without SDP: we offer in the family the caller reached us in,
// and an answer (in the ACK) in the other family ends the call with BYE.
TEST_F(CallControllerIpv6Test, WithoutAnOfferWeOfferInTheCallersFamily) {
  Start("2001:db8::5");
  const sip::MessageSource source6{sip::TransportKind::kUdp,
                                   *sip::SocketAddress::FromIpPort("2001:db8::10", 5062), 0};
  const sip::TransactionId id = signaling_.Receive(Request("INVITE", "1000", 1));
  controller_->OnRequest(id, *signaling_.Request(id), source6);
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200));
  EXPECT_THAT(signaling_.responses[0].bytes, HasSubstr("\r\nc=IN IP6 2001:db8::5\r\n"));
  const std::string tag = ToTag(signaling_.responses[0].bytes);
  const std::string answer4 =
      "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag, answer4)), source6);
  EXPECT_TRUE(workers_.SentOf<mixer::AddParticipant>().empty());
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("BYE "));
  EXPECT_EQ(controller_->active_calls(), 0);
}

TEST_F(CallControllerTest, SubscribeForAnotherPackageIs489AndToAnUnknownRoom404) {
  EXPECT_EQ(SubscribeAsStranger("1000", "presence"), 489);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nAllow-Events: conference\r\n"));
  EXPECT_EQ(SubscribeAsStranger("9999"), 404);
  // A SUBSCRIBE in no dialog of ours.
  SendFrom(SubscribeRequest("1000", 2, "stranger", "192.0.2.99", "conference", "nobody"),
           stranger_);
  EXPECT_EQ(signaling_.Statuses().back(), 481);
  // OPTIONS says what is served.
  Send(Request("OPTIONS", "1000", 1));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nAllow-Events: conference\r\n"));
  EXPECT_THAT(signaling_.responses.back().bytes,
              HasSubstr("UPDATE, PRACK, SUBSCRIBE, MESSAGE, REFER\r\n"));
}

TEST_F(CallControllerTest, AnAuthRoomChallengesAStrangerAndAParticipantsOnlyRoomRefusesOne) {
  const sip::DigestAuthenticator digest(sip::DigestOptions{}, "a fixed test secret of 32 bytes!");
  controller_->set_digest_auth(&digest, /*all=*/true);
  EXPECT_EQ(SubscribeAsStranger("1000"), 401);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("\r\nWWW-Authenticate: Digest "));
  // [conference_events] roster = "participants": not even an open room.
  CallControllerOptions options = Options();
  options.roster_open_rooms = false;
  controller_ = std::make_unique<CallController>(&loop_, &signaling_, rooms_.get(), &ports_,
                                                 &overload_, nullptr, options);
  EXPECT_EQ(SubscribeAsStranger("1000"), 403);
}

TEST_F(CallControllerMediaTest, APinRoomsRosterGoesToItsParticipantsOnly) {
  EXPECT_EQ(SubscribeAsStranger("2000"), 403);
  EnterPinRoom();
  EXPECT_EQ(SubscribeAsStranger("2000"), 403);
  // From the participant's address but under another name: still a stranger.
  Send(SubscribeRequest("2000", 1, "mallory", "192.0.2.10"));
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  // The participant's name from another address: a stranger too.
  SendFrom(SubscribeRequest("2000", 1, "alice", "192.0.2.99"), stranger_);
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  Send(SubscribeRequest("2000", 1, "alice", "192.0.2.10"));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  const std::vector<std::string> notifies = Notifies();
  ASSERT_EQ(notifies.size(), 1u);
  EXPECT_THAT(notifies[0], HasSubstr("<user entity=\"sip:alice@example.com\""));
  EXPECT_THAT(notifies[0], Not(HasSubstr("4321")));  // never the PIN
  // An open room shows its roster to anyone.
  EXPECT_EQ(SubscribeAsStranger("1000"), 200);
}

TEST_F(CallControllerMediaTest, TheRosterFollowsJoinsMutesTalkingAndLeaves) {
  ASSERT_EQ(SubscribeAsStranger("1000"), 200);
  ASSERT_EQ(Notifies().size(), 1u);
  EXPECT_THAT(Notifies()[0], HasSubstr("<user-count>0</user-count>"));
  const std::string tag = Connect("1000");
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies().size(), 2u);
  EXPECT_THAT(Notifies()[1], HasSubstr("<user-count>1</user-count>"));
  EXPECT_THAT(Notifies()[1], HasSubstr("<status>sendrecv</status>"));

  const uint64_t id = controller_->Participants("1000").at(0).id;
  ASSERT_TRUE(controller_->SetMuted(id, true));
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies().size(), 3u);
  EXPECT_THAT(Notifies()[2], HasSubstr("<status>recvonly</status>"));
  ASSERT_TRUE(controller_->SetMuted(id, false));
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies().size(), 4u);

  // Talking waits for a second after the last NOTIFY.
  workers_.events.push_back(mixer::TalkingStarted{id});
  timers_.Advance(absl::Milliseconds(500));  // drained
  EXPECT_EQ(Notifies().size(), 4u);
  timers_.Advance(absl::Milliseconds(500));
  ASSERT_EQ(Notifies().size(), 5u);
  EXPECT_THAT(Notifies()[4], HasSubstr("<tutti:talking>true</tutti:talking>"));

  Send(Request("BYE", "1000", 2, tag));
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies().size(), 6u);
  EXPECT_THAT(Notifies()[5], HasSubstr("<status>disconnected</status>"));
  EXPECT_THAT(Notifies()[5], HasSubstr("<user-count>0</user-count>"));
}

TEST_F(CallControllerMediaTest, RemovingARoomOrStoppingEndsItsSubscriptions) {
  ASSERT_EQ(SubscribeAsStranger("1000"), 200);
  SendFrom(SubscribeRequest("2000", 1, "alice", "192.0.2.10"), source_);
  ASSERT_EQ(signaling_.Statuses().back(), 403);
  controller_->EndRoom("1000");
  ASSERT_EQ(Notifies().size(), 2u);
  EXPECT_THAT(Notifies()[1], HasSubstr("Subscription-State: terminated;reason=noresource\r\n"));

  ASSERT_EQ(SubscribeAsStranger("1000"), 200);
  bool done = false;
  controller_->Shutdown([&] { done = true; });
  EXPECT_FALSE(done);                // the terminated NOTIFY is not answered yet
  ASSERT_EQ(Notifies().size(), 4u);  // answers them
  EXPECT_THAT(Notifies()[3], HasSubstr("Subscription-State: terminated;reason=probation"));
  EXPECT_TRUE(done);
  EXPECT_EQ(SubscribeAsStranger("1000"), 503);
}

// Video legs (issue 16): a pair for each video stream the answer takes,
// bound with the audio pair and handed to the participant; the streams'
// specs; re-INVITEs adding, removing, holding them; one codec per room;
// the IVR's callers bringing their video into a room.
std::string VideoOffer(std::string_view video, int version = 1,
                       std::string_view audio_direction = "sendrecv") {
  return StrCat("v=0\r\no=alice 1 ", version,
                " IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=",
                audio_direction, "\r\n", video);
}
constexpr char kVp8Line[] =
    "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:* nack pli\r\n"
    "a=rtcp-fb:* ccm fir\r\nb=TIAS:900000\r\n";
constexpr char kH264Line[] =
    "m=video 40002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
    "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n";
constexpr char kSlidesLine[] =
    "m=video 40004 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=content:slides\r\n";

// The port of our answer's m=video line (the `nth`, from 0); -1 when none.
int VideoPort(const std::string& response, int nth = 0) {
  size_t at = 0;
  for (int i = 0; i <= nth; ++i) {
    at = response.find("m=video ", at);
    if (at == std::string::npos) return -1;
    at += 8;
  }
  return std::stoi(response.substr(at));
}

class CallControllerVideoTest : public ControllerFixture {
 protected:
  CallControllerVideoTest() {
    // 1000 open, 2000 with a PIN, 3000 audio-only, 4000 H.264 only.
    std::vector<RoomConfig> rooms(4);
    for (int i = 0; i < 4; ++i) rooms[i].name = StrCat((i + 1) * 1000);
    rooms[1].pin = "4321";
    rooms[2].video_mode = mixer::VideoMode::kAudioOnly;
    rooms[3].video_codecs = {"H264"};
    rooms_ = std::make_unique<RoomDirectory>(std::move(rooms));
    CallControllerOptions options = Options();
    options.ivr_number = "800";
    options.video_max_bps = 1'500'000;
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &pairs_,
                                                   &overload_, &workers_, options);
  }
  ~CallControllerVideoTest() override { controller_.reset(); }

  // A request of caller `n` (its own Call-ID and From tag).
  static std::string As(int n, std::string request) {
    const std::string call_id = StrCat("Call-ID: controller-", n);
    request.replace(request.find("Call-ID: controller-1"), 21, call_id);
    const std::string tag = StrCat("tag=alice", n);
    request.replace(request.find("tag=alice"), 9, tag);
    return request;
  }
  // Caller `n` INVITEs `room` with `offer` and ACKs the 200: its To tag.
  std::string Connect(int n, std::string_view room, const std::string& offer) {
    Send(As(n, Request("INVITE", room, 1, {}, offer)));
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    const std::string tag = ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(fakes::Parse(As(n, Request("ACK", room, 1, tag))), source_);
    return tag;
  }
  // Caller `n`'s re-INVITE with `offer` in its dialog `tag`, and its ACK.
  void ReInvite(int n, std::string_view room, int cseq, const std::string& tag,
                const std::string& offer) {
    Send(As(n, Request("INVITE", room, cseq, tag, offer)));
    controller_->OnAck(fakes::Parse(As(n, Request("ACK", room, cseq, tag))), source_);
  }
  const mixer::Participant& Added(size_t i) const {
    return *workers_.SentOf<mixer::AddParticipant>().at(i)->participant;
  }
  // Pairs the allocator could still hand out (taken and given back here).
  int FreePairs() {
    std::vector<media::PortPair> taken;
    while (true) {
      absl::StatusOr<media::PortPair> pair = pairs_.Allocate();
      if (!pair.ok()) break;
      taken.push_back(std::move(*pair));
    }
    return static_cast<int>(taken.size());
  }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }

  media::PortAllocator pairs_{"198.51.100.1", 40000, 40039,
                              media::PortAllocator::Mode::kNumbersOnly};  // 20 pairs
  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
};

TEST_F(CallControllerVideoTest, EachVideoStreamGetsItsPairAndSpec) {
  Connect(1, "1000", VideoOffer(StrCat(kVp8Line, kSlidesLine)));
  const std::string& ok = signaling_.responses[0].bytes;
  const int camera_port = VideoPort(ok, 0);
  const int slides_port = VideoPort(ok, 1);
  ASSERT_GT(camera_port, 0);
  ASSERT_GT(slides_port, 0);
  EXPECT_THAT(ok, HasSubstr("a=rtpmap:96 VP8/90000\r\n"));
  EXPECT_THAT(ok, HasSubstr("b=TIAS:1500000\r\n"));  // our limit
  const mixer::Participant& participant = Added(0);
  ASSERT_NE(participant.video_stream(false), nullptr);
  ASSERT_NE(participant.video_stream(true), nullptr);
  EXPECT_EQ(participant.video_stream(false)->transport().rtp_port(), camera_port);
  EXPECT_EQ(participant.video_stream(true)->transport().rtp_port(), slides_port);
  EXPECT_NE(camera_port, participant.rtp_port());
  const mixer::VideoStreamSpec& video = participant.spec().video;
  EXPECT_TRUE(video.active);
  EXPECT_EQ(video.codec, media::VideoCodec::kVp8);
  EXPECT_EQ(video.payload_type, 96);
  EXPECT_EQ(video.remote_rtp, *media::ParseEndpoint("192.0.2.10", 40002));
  EXPECT_EQ(video.remote_rtcp, *media::ParseEndpoint("192.0.2.10", 40003));
  EXPECT_TRUE(video.send);
  EXPECT_TRUE(video.receive);
  EXPECT_EQ(video.feedback, (media::VideoFeedback{.pli = true, .fir = true}));
  EXPECT_EQ(video.max_receive_bps, 900000u);
  EXPECT_TRUE(participant.spec().slides.active);
  EXPECT_EQ(participant.spec().slides.remote_rtp.port, 40004);
  EXPECT_EQ(FreePairs(), 20 - 3);
}

TEST_F(CallControllerVideoTest, AnAudioOnlyCallOrRoomBindsNoVideoPair) {
  Connect(1, "1000", kOffer);
  EXPECT_EQ(VideoPort(signaling_.responses[0].bytes), -1);
  EXPECT_FALSE(Added(0).spec().video.active);
  EXPECT_EQ(Added(0).video_stream(false), nullptr);
  Connect(2, "3000", VideoOffer(kVp8Line));
  EXPECT_EQ(VideoPort(signaling_.responses[1].bytes), 0);  // declined
  EXPECT_FALSE(Added(1).spec().video.active);
  EXPECT_EQ(Added(1).video_stream(false), nullptr);
  EXPECT_EQ(FreePairs(), 20 - 2);
}

TEST_F(CallControllerVideoTest, PairsGoBackWhenTheCallFails) {
  // No common audio codec: 488 before any port.
  Send(As(1, Request("INVITE", "1000", 1, {},
                     "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                     "m=audio 40000 RTP/AVP 4\r\nm=video 40002 RTP/AVP 96\r\n"
                     "a=rtpmap:96 VP8/90000\r\n")));
  EXPECT_EQ(signaling_.Statuses().back(), 488);
  EXPECT_EQ(FreePairs(), 20);
  // Answered, then gone: the worker had them; it answers Left and they close with it.
  const std::string tag = Connect(2, "1000", VideoOffer(StrCat(kVp8Line, kSlidesLine)));
  EXPECT_EQ(FreePairs(), 17);
  Send(As(2, Request("BYE", "1000", 2, tag)));
  workers_.sent.clear();  // the participant (and its pairs) leave with the worker
  EXPECT_EQ(FreePairs(), 20);
  // The allocator empty but for the audio pair: the call keeps its audio.
  std::vector<media::PortPair> hog;
  for (int i = 0; i < 19; ++i) hog.push_back(*pairs_.Allocate());
  Connect(3, "1000", VideoOffer(kVp8Line));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  EXPECT_FALSE(Added(0).spec().video.active);
}

TEST_F(CallControllerVideoTest, ARingingCallCancelledGivesItsPairsBack) {
  CallControllerOptions options = Options();
  options.answer_delay = absl::Seconds(2);
  controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &pairs_,
                                                 &overload_, &workers_, options);
  const sip::TransactionId invite =
      Send(As(1, Request("INVITE", "1000", 1, {}, VideoOffer(StrCat(kVp8Line, kSlidesLine)))));
  EXPECT_EQ(FreePairs(), 17);
  controller_->OnCancel(invite);
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_EQ(FreePairs(), 20);
}

TEST_F(CallControllerVideoTest, AReInviteAddsRemovesAndHoldsTheVideo) {
  const std::string tag = Connect(1, "1000", kOffer);
  ReInvite(1, "1000", 2, tag, VideoOffer(kVp8Line, 2));
  const int added_port = VideoPort(signaling_.responses.back().bytes);
  ASSERT_GT(added_port, 0);
  auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_TRUE(updates[0]->spec.video.active);
  EXPECT_EQ(updates[0]->video_ports.rtp_port(), added_port);
  EXPECT_FALSE(updates[0]->slides_ports.valid());

  // The same stream again (a session refresh): its port stays, none is bound.
  ReInvite(1, "1000", 3, tag, VideoOffer(kVp8Line, 3));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), added_port);
  // Hold: no video goes to the caller either, even where its line stays sendrecv.
  ReInvite(1, "1000", 4, tag, VideoOffer(kVp8Line, 4, "sendonly"));
  ReInvite(1, "1000", 5, tag, VideoOffer(kVp8Line, 5));
  updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 4u);
  EXPECT_TRUE(updates[1]->spec.video.send);
  EXPECT_FALSE(updates[1]->video_ports.valid());
  EXPECT_FALSE(updates[2]->spec.send);
  EXPECT_FALSE(updates[2]->spec.video.send);
  EXPECT_TRUE(updates[2]->spec.video.receive);
  EXPECT_TRUE(updates[3]->spec.video.send);  // resumed

  // Removed: the worker drops the stream (and its pair); a new one gets a new pair.
  ReInvite(1, "1000", 6, tag, VideoOffer("m=video 0 RTP/AVP 96\r\n", 6));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  updates = workers_.SentOf<mixer::UpdateParticipant>();
  EXPECT_FALSE(updates.back()->spec.video.active);
  ReInvite(1, "1000", 7, tag, VideoOffer(kVp8Line, 7));
  updates = workers_.SentOf<mixer::UpdateParticipant>();
  EXPECT_TRUE(updates.back()->spec.video.active);
  EXPECT_TRUE(updates.back()->video_ports.valid());
  EXPECT_EQ(signaling_.Statuses(), std::vector<int>(7, 200));
}

TEST_F(CallControllerVideoTest, ARoomSharesOneCodecWhileItHasVideo) {
  // The room prefers VP8: the first caller offers H.264 first, gets VP8, and locks it.
  const std::string tag1 =
      Connect(1, "1000",
              VideoOffer("m=video 40002 RTP/AVP 99 96\r\na=rtpmap:96 VP8/90000\r\n"
                         "a=rtpmap:99 H264/90000\r\n"
                         "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"));
  EXPECT_EQ(Added(0).spec().video.codec, media::VideoCodec::kVp8);
  const std::string tag2 = Connect(2, "1000", VideoOffer(kVp8Line));
  EXPECT_EQ(Added(1).spec().video.codec, media::VideoCodec::kVp8);
  // An H.264-only camera gets no video while VP8 cameras are there; its audio is answered.
  const std::string tag3 = Connect(3, "1000", VideoOffer(kH264Line));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  EXPECT_FALSE(Added(2).spec().video.active);
  // One VP8 caller leaves: the other still holds the lock.
  Send(As(1, Request("BYE", "1000", 2, tag1)));
  Connect(4, "1000", VideoOffer(kH264Line));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  // The last one drops its video by re-INVITE: the lock goes, and the
  // H.264 caller's re-INVITE adding its camera is taken now.
  ReInvite(2, "1000", 2, tag2, VideoOffer("m=video 0 RTP/AVP 96\r\n", 2));
  ReInvite(3, "1000", 2, tag3, VideoOffer(kH264Line, 2));
  EXPECT_GT(VideoPort(signaling_.responses.back().bytes), 0);
  // ... and H.264 is the room's now: VP8 is refused.
  Connect(5, "1000", VideoOffer(kVp8Line));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  EXPECT_EQ(Added(4).spec().video.active, false);
}

TEST_F(CallControllerVideoTest, TheRoomsCodecListDecides) {
  Connect(1, "4000", VideoOffer(StrCat(kVp8Line)));
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
  Connect(2, "4000",
          VideoOffer("m=video 40002 RTP/AVP 96 99\r\na=rtpmap:96 VP8/90000\r\n"
                     "a=rtpmap:99 H264/90000\r\n"
                     "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"));
  EXPECT_EQ(Added(1).spec().video.codec, media::VideoCodec::kH264);
  EXPECT_EQ(Added(1).spec().video.payload_type, 99);
}

TEST_F(CallControllerVideoTest, WithoutAnOfferWeOfferVideoAndTheAckAnswersIt) {
  const sip::TransactionId id = signaling_.Receive(Request("INVITE", "1000", 1));
  controller_->OnRequest(id, *signaling_.Request(id), source_);
  const std::string& ok = signaling_.responses[0].bytes;
  const int port = VideoPort(ok);
  ASSERT_GT(port, 0);
  EXPECT_THAT(ok, HasSubstr("a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"));
  const std::string answer = VideoOffer(
      "m=video 40002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n"
      "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\na=rtcp-fb:* nack pli\r\n");
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, ToTag(ok), answer)), source_);
  const mixer::Participant& participant = Added(0);
  EXPECT_TRUE(participant.spec().video.active);
  EXPECT_EQ(participant.spec().video.codec, media::VideoCodec::kH264);
  ASSERT_NE(participant.video_stream(false), nullptr);
  EXPECT_EQ(participant.video_stream(false)->transport().rtp_port(), port);
}

// The IVR answers before it knows the room: a caller's video enters the
// room when it fits the room's codec and lock, and stays off otherwise.
TEST_F(CallControllerVideoTest, AnIvrCallersVideoEntersARoomOnlyWhenItFits) {
  Connect(1, "1000", VideoOffer(kVp8Line));  // locks 1000 to VP8
  for (const auto& [n, offer, keeps] :
       {std::tuple{2, kVp8Line, true}, std::tuple{3, kH264Line, false}}) {
    SCOPED_TRACE(n);
    workers_.sent.clear();
    Connect(n, "800", VideoOffer(offer));
    ASSERT_GT(VideoPort(signaling_.responses.back().bytes), 0);  // the lobby took it
    const mixer::Participant& lobby = Added(0);
    EXPECT_TRUE(lobby.spec().video.active);
    for (char key : std::string_view("1000#")) {
      workers_.events.push_back(mixer::Dtmf{lobby.id(), key});
    }
    DeliverEvents();
    ASSERT_EQ(workers_.SentOf<mixer::DetachParticipant>().size(), 1u);
    std::unique_ptr<mixer::Participant> handed_back =
        std::move(std::get<mixer::AddParticipant>(workers_.sent[0].command).participant);
    handed_back->set_conference_id(rooms_->ConferenceId("1000"));
    workers_.events.push_back(mixer::Detached{std::move(handed_back)});
    DeliverEvents();
    ASSERT_EQ(controller_->Participants("1000").size(), static_cast<size_t>(n));
    const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
    if (keeps) {
      EXPECT_TRUE(updates.empty());
    } else {
      // Told after the room's worker has it: its camera is dropped there.
      ASSERT_EQ(updates.size(), 1u);
      EXPECT_FALSE(updates[0]->spec.video.active);
      EXPECT_EQ(updates[0]->spec.conference_id, rooms_->ConferenceId("1000"));
      EXPECT_TRUE(workers_.sent.back().conference_id == rooms_->ConferenceId("1000"));
    }
  }
}

TEST_F(CallControllerVideoTest, AnIvrCallersVideoStaysOffInAnAudioOnlyRoom) {
  workers_.sent.clear();  // the rooms' settings sent at start
  Connect(1, "800", VideoOffer(kVp8Line));
  const uint64_t id = Added(0).id();
  for (char key : std::string_view("3000#")) workers_.events.push_back(mixer::Dtmf{id, key});
  DeliverEvents();
  std::unique_ptr<mixer::Participant> handed_back =
      std::move(std::get<mixer::AddParticipant>(workers_.sent[0].command).participant);
  handed_back->set_conference_id(rooms_->ConferenceId("3000"));
  workers_.events.push_back(mixer::Detached{std::move(handed_back)});
  DeliverEvents();
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_FALSE(updates[0]->spec.video.active);
  // Its later re-INVITEs keep the video off.
  const std::string tag = ToTag(signaling_.responses[0].bytes);
  ReInvite(1, "800", 2, tag, VideoOffer(kVp8Line, 2));
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  EXPECT_EQ(VideoPort(signaling_.responses.back().bytes), 0);
}

}  // namespace
}  // namespace tutti
