// A room's stored files offered to its members: tutti's own INVITEs (UAC)
// through the fake transaction layer, answered by the test; the MSRP
// service is a real one on loopback (port 0) that nobody connects to, so
// what call control hands it shows in its stats.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/file_offers.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sip/message_writer.h"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kAudioOffer[] =
    "v=0\r\no=m 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

// A member of room 1000: its user name, its address, its call.
struct Member {
  std::string user;
  std::string ip;
  sip::MessageSource source() const {
    return {sip::TransportKind::kUdp, *sip::SocketAddress::FromIpPort(ip, 5062), 0};
  }
  std::string uri() const { return StrCat("sip:", user, "@example.com"); }
};

std::string MemberRequest(const Member& member, std::string_view method, int cseq,
                          std::string_view to_tag = {}, std::string_view body = {}) {
  return StrCat(method, " sip:1000@198.51.100.1 SIP/2.0\r\n", "Via: SIP/2.0/UDP ", member.ip,
                ":5062;branch=z9hG4bK-", member.user, method, cseq, "\r\n", "From: <", member.uri(),
                ">;tag=", member.user, "\r\n", "To: <sip:1000@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n", "Call-ID: call-",
                member.user, "\r\n", "CSeq: ", cseq, " ", method, "\r\n",
                "Contact: <sip:", member.user, "@", member.ip, ":5062>\r\nMax-Forwards: 70\r\n",
                body.empty() ? std::string() : "Content-Type: application/sdp\r\n",
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

// The member's answer to a file offer: takes it (recvonly, it connects to us) or not (port 0).
std::string FileAnswer(bool take) {
  return StrCat("v=0\r\no=m 2 2 IN IP4 192.0.2.11\r\ns=-\r\nc=IN IP4 192.0.2.11\r\nt=0 0\r\n",
                "m=message ", take ? "7000" : "0", " TCP/MSRP *\r\n", "a=accept-types:*\r\n",
                "a=path:msrp://192.0.2.11:7000/member-session;tcp\r\n", "a=setup:active\r\n",
                "a=recvonly\r\n");
}

class CallFileOffersTest : public fakes::ControllerBase {
 protected:
  CallFileOffersTest() {
    RoomConfig room;
    room.name = "1000";
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{room});
    directory_ = testing_support::UniqueTempPath("files");
    msrp::FileStoreOptions store_options;
    store_options.directory = directory_;
    store_ = std::make_unique<msrp::FileStore>(store_options);
    EXPECT_TRUE(store_->Open().ok());
    msrp::MsrpOptions msrp_options;
    msrp_options.port = 0;
    msrp_ = std::make_unique<msrp::MsrpService>(msrp_options, store_.get(), [](msrp::MsrpEvent) {});
    EXPECT_TRUE(msrp_->Start().ok());
    subscription_ = events_.Subscribe();
    // The tests hold on to requests sent (to answer them) while more are sent.
    signaling_.sent.reserve(256);
  }
  ~CallFileOffersTest() override {
    controller_.reset();
    msrp_.reset();
    std::filesystem::remove_all(directory_);
  }

  void MakeController(FileOfferOptions offers = {}) {
    CallControllerOptions options = Options();
    options.file_offers = offers;
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    controller_->set_msrp(msrp_.get(), store_.get());
    controller_->set_event_hub(&events_);
  }

  // INVITE, 200, ACK: the member is in the room; its participant id.
  uint64_t Join(const Member& member) {
    SendFrom(MemberRequest(member, "INVITE", 1, {}, kAudioOffer), member.source());
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    const std::string& ok = signaling_.responses.back().bytes;
    const size_t tag = ok.find(";tag=", ok.find("\r\nTo: "));
    const std::string to_tag = ok.substr(tag + 5, ok.find("\r\n", tag) - tag - 5);
    controller_->OnAck(fakes::Parse(MemberRequest(member, "ACK", 1, to_tag)), member.source());
    for (const ParticipantInfo& info : controller_->Participants("1000")) {
      if (info.from == member.uri()) return info.id;
    }
    ADD_FAILURE() << member.user << " is not in the room";
    return 0;
  }

  // Alice, Bob and Carol in room 1000; Alice's file stored.
  void ThreeMembersAndAlicesFile() {
    alice_id_ = Join(alice_);
    Join(bob_);
    Join(carol_);
    signaling_.sent.clear();
    signaling_.sent.reserve(256);
    msrp::StoredFile file;
    file.id = std::string(64, 'a');
    file.room = "1000";
    file.name = "slides.pdf";
    file.type = "application/pdf";
    file.size = 5000;
    file.sha1 = std::string(40, 'b');
    file.sender = alice_.uri();
    controller_->OnMsrpEvent(msrp::FileReceived{alice_id_, file});
  }

  // Bob's offer answered 2xx taking the stream: our INVITE to him. Each
  // offer's session is in the MSRP service from its INVITE on (a member
  // may connect before its 2xx is read): Bob's and Carol's.
  fakes::FakeSignaling::Sent& BobTakesAlicesFile() {
    MakeController();
    ThreeMembersAndAlicesFile();
    EXPECT_TRUE(MsrpSessionsBecome(2));
    fakes::FakeSignaling::Sent& invite = *SentOf("INVITE")[0];
    Answer(invite, 200, FileAnswer(true));
    EXPECT_TRUE(MsrpSessionsBecome(2));
    return invite;
  }

  // The requests we sent of `method`, in order.
  std::vector<fakes::FakeSignaling::Sent*> SentOf(std::string_view method) {
    std::vector<fakes::FakeSignaling::Sent*> out;
    for (fakes::FakeSignaling::Sent& sent : signaling_.sent) {
      if (sent.bytes.starts_with(StrCat(method, " "))) out.push_back(&sent);
    }
    return out;
  }

  // The member answers our request `sent` with `status` (and, for a 2xx, an SDP body).
  void Answer(fakes::FakeSignaling::Sent& sent, int status, std::string_view body = {}) {
    const sip::SipMessage request = fakes::Parse(sent.bytes);
    sip::MessageWriter response = sip::ResponseTo(request, status, {}, "member-tag");
    if (status >= 200 && status < 300 && request.method() == sip::Method::kInvite) {
      response.Header(sip::HeaderId::kRecordRoute, "<sip:192.0.2.50:5060;lr>");
      response.Header(sip::HeaderId::kContact, "<sip:bob@192.0.2.11:6000>");
    }
    const sip::SipMessage parsed =
        fakes::Parse(std::move(response).Finish(body, body.empty() ? "" : "application/sdp"));
    sent.callback(&parsed);
  }

  // The SSE events published so far, "type data" each.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    while (std::optional<std::string> event = subscription_->Next(0)) {
      const size_t type = event->find("event: ") + 7;
      const size_t data = event->find("data: ") + 6;
      out.push_back(StrCat(event->substr(type, event->find('\n', type) - type), " ",
                           event->substr(data, event->find('\n', data) - data)));
    }
    return out;
  }
  std::vector<std::string> EventsOf(std::string_view type) {
    std::vector<std::string> out;
    for (std::string& event : Events()) {
      if (event.starts_with(StrCat(type, " "))) out.push_back(event.substr(type.size() + 1));
    }
    return out;
  }

  bool MsrpSessionsBecome(int64_t sessions) { return fakes::MsrpSessionsBecome(*msrp_, sessions); }

  const Member alice_{"alice", "192.0.2.10"};
  const Member bob_{"bob", "192.0.2.11"};
  const Member carol_{"carol", "192.0.2.12"};
  uint64_t alice_id_ = 0;
  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  std::string directory_;
  std::unique_ptr<msrp::FileStore> store_;
  std::unique_ptr<msrp::MsrpService> msrp_;
};

TEST_F(CallFileOffersTest, AStoredFileIsOfferedToTheOtherMembersNotTheSender) {
  MakeController();
  ThreeMembersAndAlicesFile();
  const auto invites = SentOf("INVITE");
  ASSERT_EQ(invites.size(), 2u);
  std::vector<std::string> to;
  for (const fakes::FakeSignaling::Sent* sent : invites) {
    const sip::SipMessage invite = fakes::Parse(sent->bytes);
    to.emplace_back(invite.to().uri_text);
    EXPECT_EQ(invite.request_uri_text(), StrCat("sip:", invite.to().uri.user, "@192.0.2.1",
                                                invite.to().uri.user == "bob" ? "1" : "2",
                                                ":5062"));       // the member's contact
    EXPECT_EQ(invite.from().uri_text, "sip:1000@198.51.100.1");  // from the room
    EXPECT_FALSE(invite.from().tag.empty());
    EXPECT_TRUE(invite.to().tag.empty());
    EXPECT_THAT(std::string(invite.call_id()), Not(StartsWith("call-")));  // a new dialog
    const std::string body(invite.body());
    EXPECT_THAT(body, HasSubstr(StrCat("m=message ", msrp_->port(), " TCP/MSRP *")));
    EXPECT_THAT(body, HasSubstr("a=sendonly"));
    EXPECT_THAT(body, HasSubstr("a=file-selector:"));
    EXPECT_THAT(body, HasSubstr("slides.pdf"));
    EXPECT_THAT(body, HasSubstr("a=setup:actpass"));
    EXPECT_EQ(sent->next_hop.address.ToString(),
              invite.to().uri.user == "bob" ? "192.0.2.11:5062" : "192.0.2.12:5062");
  }
  EXPECT_THAT(to, ElementsAre("sip:bob@example.com", "sip:carol@example.com"));
  EXPECT_NE(invites[0]->bytes.find("Call-ID: "), std::string::npos);
  EXPECT_NE(fakes::Parse(invites[0]->bytes).call_id(), fakes::Parse(invites[1]->bytes).call_id());
  EXPECT_EQ(controller_->file_counters().offers_sent, 2u);
  const auto stored = EventsOf("file_stored");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_THAT(stored[0], HasSubstr(StrCat("\"id\":\"", std::string(64, 'a'), "\"")));
  EXPECT_THAT(stored[0], HasSubstr("\"name\":\"slides.pdf\""));
  EXPECT_THAT(stored[0], HasSubstr("\"sender\":\"sip:alice@example.com\""));
  EXPECT_THAT(stored[0], HasSubstr("\"size\":5000"));
}

TEST_F(CallFileOffersTest, AnAcceptedOfferIsAckedAndItsFileHandedToTheMsrpService) {
  MakeController();
  ThreeMembersAndAlicesFile();
  fakes::FakeSignaling::Sent& invite = *SentOf("INVITE")[0];
  Answer(invite, 180);
  EXPECT_TRUE(signaling_.stateless.empty());
  Answer(invite, 200, FileAnswer(true));
  ASSERT_EQ(signaling_.stateless.size(), 1u);
  const sip::SipMessage ack = fakes::Parse(signaling_.stateless[0]);
  EXPECT_EQ(ack.method(), sip::Method::kAck);
  EXPECT_EQ(ack.request_uri_text(), "sip:bob@192.0.2.11:6000");  // the 2xx's Contact
  EXPECT_EQ(ack.to().tag, "member-tag");
  EXPECT_EQ(ack.call_id(), fakes::Parse(invite.bytes).call_id());
  EXPECT_EQ(ack.HeaderValue(sip::HeaderId::kRoute), "<sip:192.0.2.50:5060;lr>");
  EXPECT_EQ(controller_->file_counters().offers_accepted, 1u);
  EXPECT_TRUE(MsrpSessionsBecome(2));  // Bob's and Carol's, each since its INVITE
  EXPECT_TRUE(SentOf("BYE").empty());
  // A retransmitted 2xx gets the same ACK again.
  Answer(invite, 200, FileAnswer(true));
  ASSERT_EQ(signaling_.stateless.size(), 2u);
  EXPECT_EQ(signaling_.stateless[1], signaling_.stateless[0]);
  EXPECT_EQ(controller_->file_counters().offers_accepted, 1u);
}

TEST_F(CallFileOffersTest, ABusyMemberDeclines) {
  MakeController();
  ThreeMembersAndAlicesFile();
  Answer(*SentOf("INVITE")[0], 486);
  EXPECT_EQ(controller_->file_counters().offers_declined, 1u);
  EXPECT_TRUE(signaling_.stateless.empty());  // the transaction layer ACKs a failure
  EXPECT_TRUE(SentOf("BYE").empty());
  EXPECT_TRUE(SentOf("CANCEL").empty());
  const auto offers = EventsOf("file_offer");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_THAT(offers[0], HasSubstr("\"outcome\":\"declined\""));
  EXPECT_THAT(offers[0], HasSubstr("\"to\":\"sip:bob@example.com\""));
}

TEST_F(CallFileOffersTest, AnAnswerRefusingTheStreamIsAckedAndEnded) {
  MakeController();
  ThreeMembersAndAlicesFile();
  Answer(*SentOf("INVITE")[0], 200, FileAnswer(false));
  EXPECT_EQ(signaling_.stateless.size(), 1u);  // ACK
  ASSERT_EQ(SentOf("BYE").size(), 1u);
  EXPECT_EQ(controller_->file_counters().offers_declined, 1u);
  EXPECT_EQ(controller_->file_counters().offers_accepted, 0u);
  // Bob's session goes with his refusal; Carol's offer is still open.
  EXPECT_TRUE(MsrpSessionsBecome(1));
}

TEST_F(CallFileOffersTest, AnOfferNobodyAnswersIsCancelled) {
  FileOfferOptions offers;
  offers.answer_timeout = absl::Seconds(30);
  MakeController(offers);
  ThreeMembersAndAlicesFile();
  fakes::FakeSignaling::Sent& invite = *SentOf("INVITE")[0];
  Answer(invite, 180);
  timers_.Advance(absl::Seconds(29));
  EXPECT_TRUE(SentOf("CANCEL").empty());
  timers_.Advance(absl::Seconds(1));
  const auto cancels = SentOf("CANCEL");
  ASSERT_EQ(cancels.size(), 2u);  // both members rang
  const sip::SipMessage cancel = fakes::Parse(cancels[0]->bytes);
  const sip::SipMessage offered = fakes::Parse(invite.bytes);
  EXPECT_EQ(cancel.top_via().branch, offered.top_via().branch);
  EXPECT_EQ(cancel.cseq().number, offered.cseq().number);
  EXPECT_EQ(cancel.request_uri_text(), offered.request_uri_text());
  EXPECT_EQ(controller_->file_counters().offers_timed_out, 2u);
  EXPECT_TRUE(EventsOf("file_offer").empty());  // over only once the INVITE is
  Answer(invite, 487);
  const auto over = EventsOf("file_offer");
  ASSERT_EQ(over.size(), 1u);
  EXPECT_THAT(over[0], HasSubstr("\"outcome\":\"timed_out\""));
  EXPECT_EQ(controller_->file_counters().offers_declined, 0u);
}

TEST_F(CallFileOffersTest, AnInviteTheTransactionLayerGaveUpOnIsOverAtOnce) {
  MakeController();
  ThreeMembersAndAlicesFile();
  fakes::FakeSignaling::Sent& invite = *SentOf("INVITE")[0];
  Answer(invite, 180);
  invite.callback(nullptr);                // timer B: the transaction is gone, no 487 will reach us
  EXPECT_EQ(SentOf("CANCEL").size(), 1u);  // it may still ring there
  EXPECT_EQ(controller_->file_counters().offers_timed_out, 1u);
  const auto over = EventsOf("file_offer");
  ASSERT_EQ(over.size(), 1u);
  EXPECT_THAT(over[0], HasSubstr("\"outcome\":\"timed_out\""));
  timers_.Advance(absl::Seconds(30));  // Carol's offer times out; Bob's is not counted again
  EXPECT_EQ(controller_->file_counters().offers_timed_out, 2u);
}

TEST_F(CallFileOffersTest, TheFileSentEndsTheOfferWithBye) {
  fakes::FakeSignaling::Sent& invite = BobTakesAlicesFile();
  // Offers are numbered from FileOffers::kFirstId in the order made: Bob's is the first.
  controller_->OnMsrpEvent(msrp::FileSent{FileOffers::kFirstId, std::string(64, 'a'), true, ""});
  const auto byes = SentOf("BYE");
  ASSERT_EQ(byes.size(), 1u);
  const sip::SipMessage bye = fakes::Parse(byes[0]->bytes);
  EXPECT_EQ(bye.call_id(), fakes::Parse(invite.bytes).call_id());
  EXPECT_EQ(bye.to().tag, "member-tag");
  EXPECT_EQ(bye.request_uri_text(), "sip:bob@192.0.2.11:6000");
  EXPECT_EQ(bye.cseq().number, fakes::Parse(invite.bytes).cseq().number + 1);
  EXPECT_EQ(controller_->file_counters().sends_completed, 1u);
  EXPECT_TRUE(MsrpSessionsBecome(1));  // Carol's offer is still open
  Answer(*byes[0], 200);
  const auto over = EventsOf("file_offer");
  ASSERT_EQ(over.size(), 1u);
  EXPECT_THAT(over[0], HasSubstr("\"outcome\":\"sent\""));
}

// A member that answers a=setup:active may connect and take the whole file
// before its 2xx is read here (a lost 2xx, retransmitted): the session was
// there from the INVITE, and the FileSent that came early ends the offer
// once the 2xx is in.
TEST_F(CallFileOffersTest, AFileSentBeforeThe2xxIsReadEndsTheOfferWhenItComes) {
  MakeController();
  ThreeMembersAndAlicesFile();
  EXPECT_TRUE(MsrpSessionsBecome(2));
  fakes::FakeSignaling::Sent& invite = *SentOf("INVITE")[0];
  controller_->OnMsrpEvent(msrp::FileSent{FileOffers::kFirstId, std::string(64, 'a'), true, ""});
  EXPECT_TRUE(SentOf("BYE").empty());
  Answer(invite, 200, FileAnswer(true));
  ASSERT_EQ(SentOf("BYE").size(), 1u);
  EXPECT_EQ(controller_->file_counters().sends_completed, 1u);
  EXPECT_TRUE(MsrpSessionsBecome(1));
}

TEST_F(CallFileOffersTest, TheMembersByeEndsTheSend) {
  fakes::FakeSignaling::Sent& invite = BobTakesAlicesFile();
  const sip::SipMessage offered = fakes::Parse(invite.bytes);
  const std::string bye =
      StrCat("BYE sip:tutti@198.51.100.1:5060 SIP/2.0\r\n",
             "Via: SIP/2.0/UDP 192.0.2.11:6000;branch=z9hG4bK-bobbye\r\n",
             "From: <sip:bob@example.com>;tag=member-tag\r\n",
             "To: <sip:1000@198.51.100.1>;tag=", offered.from().tag, "\r\n",
             "Call-ID: ", offered.call_id(), "\r\n", "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
  const size_t answered = signaling_.responses.size();
  SendFrom(bye, bob_.source());
  ASSERT_EQ(signaling_.responses.size(), answered + 1);
  EXPECT_EQ(signaling_.responses.back().status, 200);
  EXPECT_EQ(controller_->file_counters().ended_by_member, 1u);
  EXPECT_TRUE(MsrpSessionsBecome(1));  // Carol's offer is still open
  EXPECT_TRUE(SentOf("BYE").empty());
  EXPECT_EQ(controller_->Participants("1000").size(), 3u);  // Bob's call goes on
}

TEST_F(CallFileOffersTest, OffersInFlightAreBoundedPerRoom) {
  FileOfferOptions offers;
  offers.max_in_flight_per_room = 1;
  MakeController(offers);
  ThreeMembersAndAlicesFile();
  EXPECT_EQ(SentOf("INVITE").size(), 1u);
  EXPECT_EQ(controller_->file_counters().offers_sent, 1u);
  EXPECT_EQ(controller_->file_counters().offers_skipped, 1u);
  // A slot comes free when an offer is over.
  Answer(*SentOf("INVITE")[0], 603);
  msrp::StoredFile another;
  another.id = std::string(64, 'c');
  another.room = "1000";
  another.sender = alice_.uri();
  controller_->OnMsrpEvent(msrp::FileReceived{alice_id_, another});
  EXPECT_EQ(SentOf("INVITE").size(), 2u);
}

TEST_F(CallFileOffersTest, ShutdownCancelsRingingOffersAndEndsSendingOnes) {
  MakeController();
  ThreeMembersAndAlicesFile();
  const auto invites = SentOf("INVITE");
  Answer(*invites[0], 200, FileAnswer(true));  // Bob takes it
  Answer(*invites[1], 180);                    // Carol's rings
  bool done = false;
  controller_->Shutdown([&] { done = true; });
  ASSERT_EQ(SentOf("CANCEL").size(), 1u);
  EXPECT_EQ(fakes::Parse(SentOf("CANCEL")[0]->bytes).call_id(),
            fakes::Parse(invites[1]->bytes).call_id());
  // The members' calls got their BYEs; so did Bob's file offer.
  std::vector<std::string> bye_call_ids;
  for (fakes::FakeSignaling::Sent* bye : SentOf("BYE")) {
    bye_call_ids.emplace_back(fakes::Parse(bye->bytes).call_id());
  }
  EXPECT_THAT(bye_call_ids, Contains(std::string(fakes::Parse(invites[0]->bytes).call_id())));
  for (fakes::FakeSignaling::Sent* bye : SentOf("BYE")) {
    if (fakes::Parse(bye->bytes).call_id() != fakes::Parse(invites[0]->bytes).call_id()) {
      Answer(*bye, 200);
    }
  }
  EXPECT_FALSE(done);  // the offers are not over yet
  for (fakes::FakeSignaling::Sent* bye : SentOf("BYE")) {
    if (fakes::Parse(bye->bytes).call_id() == fakes::Parse(invites[0]->bytes).call_id()) {
      Answer(*bye, 200);
    }
  }
  EXPECT_FALSE(done);  // Carol's INVITE has no final response yet
  Answer(*invites[1], 487);
  EXPECT_TRUE(done);
}

TEST_F(CallFileOffersTest, AFileNotReceivedIsReportedAndOfferedToNobody) {
  MakeController();
  alice_id_ = Join(alice_);
  Join(bob_);
  signaling_.sent.clear();
  controller_->OnMsrpEvent(msrp::FileTransferFailed{alice_id_, "cut after 1000 of 5000 bytes"});
  EXPECT_TRUE(SentOf("INVITE").empty());
  const auto failed = EventsOf("file_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(failed[0], HasSubstr("\"room\":\"1000\""));
  EXPECT_THAT(failed[0], HasSubstr("cut after 1000 of 5000 bytes"));
  EXPECT_EQ(controller_->file_counters().offers_sent, 0u);
}

}  // namespace
}  // namespace tutti
