// Pager-mode messages through the call controller (call_messages.cc): who
// a MESSAGE reaches and who is refused, the body each member gets, what is
// counted and kept, replay and the in-flight bound. Fake transactions and
// workers, a manual clock: every answer to a relayed MESSAGE is given by
// the test.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "signaling/msrp/cpim.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

// A MESSAGE of caller `n` to the room's URI, outside its dialog.
std::string PagerMessage(std::string_view room, int n, std::string_view body,
                         std::string_view type = "text/plain", int cseq = 1) {
  return StrCat("MESSAGE sip:", room, "@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-p", n, "-", cseq, "\r\n",
                "From: \"Caller ", n, "\" <sip:caller", n, "@example.com>;tag=p", n, "\r\n",
                "To: <sip:", room, "@198.51.100.1>\r\n", "Call-ID: pager-", n, "-", cseq, "\r\n",
                "CSeq: ", cseq, " MESSAGE\r\nMax-Forwards: 70\r\n", "Content-Type: ", type,
                "\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
}

std::string ResponseText(int status, std::string_view reason) {
  return StrCat("SIP/2.0 ", status, " ", reason,
                "\r\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKm\r\n"
                "From: <sip:1000@198.51.100.1>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: m\r\n"
                "CSeq: 2 MESSAGE\r\nContent-Length: 0\r\n\r\n");
}

class CallMessagesTest : public fakes::ControllerBase {
 protected:
  CallMessagesTest() { Make(MessagingOptions{}); }
  ~CallMessagesTest() override { controller_.reset(); }

  void Make(MessagingOptions messaging) {
    controller_.reset();
    RoomConfig open;
    open.name = "1000";
    RoomConfig other;
    other.name = "3000";
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{open, other});
    CallControllerOptions options = Options();
    options.messaging = std::move(messaging);
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    controller_->set_event_hub(&events_);
    subscription_ = events_.Subscribe();
  }

  // Caller `n` answered and in `room` (INVITE, 200, ACK); `extra` header lines in its INVITE.
  void Connect(std::string_view room, int n, std::string_view extra = {}) {
    Send(fakes::CallerRequest("INVITE", room, n, 1, {}, fakes::kPcmuOffer, "chat",
                              "application/sdp", extra));
    ASSERT_EQ(signaling_.Statuses().back(), 200);
    tags_[n] = fakes::ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(fakes::Parse(fakes::CallerRequest("ACK", room, n, 1, tags_[n], {}, "chat")),
                       source_);
  }
  // Callers 1..`count` answered in room 1000; the MESSAGEs sent so far forgotten.
  void Members(int count) {
    for (int n = 1; n <= count; ++n) Connect("1000", n);
    NewMessages();
  }
  // The same with `max` deliveries in flight per room.
  void MembersWithInFlightBound(int count, size_t max) {
    MessagingOptions messaging;
    messaging.max_in_flight_per_room = max;
    Make(messaging);
    Members(count);
  }
  // The status the controller answered caller `n`'s out-of-dialog MESSAGE with.
  int SendPager(int n, std::string_view body, std::string_view type = "text/plain",
                std::string_view room = "1000") {
    Send(PagerMessage(room, n, body, type, ++pager_cseq_));
    return signaling_.Statuses().back();
  }
  // The MESSAGEs sent since the last call (indexes into signaling_.sent).
  std::vector<size_t> NewMessages() {
    std::vector<size_t> out;
    for (; seen_ < signaling_.sent.size(); ++seen_) {
      if (signaling_.sent[seen_].bytes.starts_with("MESSAGE ")) out.push_back(seen_);
    }
    return out;
  }
  const std::string& Bytes(size_t index) const { return signaling_.sent[index].bytes; }
  // Whose contact MESSAGE `index` went to: caller n.
  int Recipient(size_t index) const {
    const std::string& bytes = Bytes(index);
    return bytes[std::string_view("MESSAGE sip:caller").size()] - '0';
  }
  std::vector<int> Recipients(const std::vector<size_t>& indexes) const {
    std::vector<int> out;
    for (size_t index : indexes) out.push_back(Recipient(index));
    std::sort(out.begin(), out.end());
    return out;
  }
  // Answers MESSAGE `index` (status 0: its transaction times out).
  void Answer(size_t index, int status, std::string_view reason = "OK") {
    auto callback = std::exchange(signaling_.sent[index].callback, nullptr);
    ASSERT_TRUE(callback);
    if (status == 0) return callback(nullptr);
    const sip::SipMessage response = fakes::Parse(ResponseText(status, reason));
    callback(&response);
  }
  std::string Events() {
    std::string out;
    while (std::optional<std::string> event = subscription_->Next(0)) out += *event;
    return out;
  }

  const MessagingCounters& Counters() const { return controller_->messaging_counters(); }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  std::map<int, std::string> tags_;
  size_t seen_ = 0;
  int pager_cseq_ = 0;
  const sip::MessageSource stranger_{sip::TransportKind::kUdp,
                                     *sip::SocketAddress::FromIpPort("192.0.2.99", 5062), 0};
};

TEST_F(CallMessagesTest, AMessageFromOneMemberReachesTheTwoOthersAndNotTheSender) {
  Connect("1000", 1);
  Connect("1000", 2);
  Connect("1000", 3);
  Connect("3000", 4);  // another room's member hears nothing
  NewMessages();
  Events();
  EXPECT_EQ(SendPager(1, "hello room"), 202);
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(Recipients(sent), ElementsAre(2, 3));
  for (size_t index : sent) {
    // Inside the member's dialog, From the room naming the sender.
    EXPECT_THAT(Bytes(index), HasSubstr("From: \"Caller 1\" <sip:1000@198.51.100.1>;tag="));
    EXPECT_THAT(Bytes(index),
                HasSubstr(StrCat("To: \"Caller ", Recipient(index), "\" <sip:caller",
                                 Recipient(index), "@example.com>;tag=c", Recipient(index))));
    EXPECT_THAT(Bytes(index), HasSubstr("Content-Type: text/plain\r\n"));
    EXPECT_TRUE(Bytes(index).ends_with("\r\n\r\nhello room"));
    Answer(index, 200);
  }
  EXPECT_EQ(Counters().received, 1u);
  EXPECT_EQ(Counters().relayed, 2u);
  EXPECT_EQ(Counters().delivered, 2u);
  EXPECT_EQ(Counters().senders_told, 0u);
  EXPECT_THAT(NewMessages(), SizeIs(0));
  const std::string events = Events();
  EXPECT_THAT(events, HasSubstr("event: message\ndata: {\"room\":\"1000\",\"id\":1,"
                                "\"from\":\"sip:caller1@example.com\",\"name\":\"Caller 1\","
                                "\"content_type\":\"text/plain\",\"body\":\"hello room\","
                                "\"via\":\"sip\",\"time\":\""));

  // Inside its dialog the same: caller 2 to 1 and 3.
  Send(fakes::CallerRequest("MESSAGE", "1000", 2, 2, tags_[2], "in dialog", "chat", "text/plain"));
  EXPECT_EQ(signaling_.Statuses().back(), 202);
  EXPECT_THAT(Recipients(NewMessages()), ElementsAre(1, 3));
  const std::vector<msrp::ChatMessage> kept = controller_->Messages("1000", 0, 10);
  ASSERT_THAT(kept, SizeIs(2));
  EXPECT_EQ(kept[1].id, 2u);
  EXPECT_EQ(kept[1].body, "in dialog");
  EXPECT_EQ(kept[1].sender_uri, "sip:caller2@example.com");
}

TEST_F(CallMessagesTest, AStrangersMessageIs403AndNeverRelayed) {
  Members(2);
  // A member's From from another address, and an unknown From from a member's address.
  SendFrom(PagerMessage("1000", 1, "spoofed"), stranger_);
  EXPECT_EQ(signaling_.Statuses().back(), 403);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("403 Not a member of this room"));
  EXPECT_EQ(SendPager(7, "who am I"), 403);
  // A member of another room is a stranger here.
  Connect("3000", 3);
  NewMessages();
  EXPECT_EQ(SendPager(3, "wrong room"), 403);
  EXPECT_THAT(NewMessages(), SizeIs(0));
  EXPECT_EQ(Counters().refused_stranger, 3u);
  EXPECT_EQ(Counters().relayed, 0u);
  EXPECT_THAT(controller_->Messages("1000", 0, 10), SizeIs(0));
  EXPECT_THAT(Events(), Not(HasSubstr("event: message")));
}

TEST_F(CallMessagesTest, UnknownRoomTooLargeAndUnlistedTypesAreRefused) {
  MessagingOptions messaging;
  messaging.max_message_bytes = 10;
  Make(messaging);
  Members(2);
  EXPECT_EQ(SendPager(1, "hi", "text/plain", "9999"), 404);
  EXPECT_EQ(SendPager(1, "01234567890"), 413);
  EXPECT_EQ(SendPager(1, "<b>hi</b>", "text/html"), 415);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Accept: text/plain, message/cpim\r\n"));
  EXPECT_EQ(SendPager(1, "0123456789"), 202);  // at the limit
  EXPECT_THAT(Recipients(NewMessages()), ElementsAre(2));
  EXPECT_EQ(Counters().refused_too_large, 1u);
  EXPECT_EQ(Counters().refused_type, 1u);
  EXPECT_EQ(Counters().relayed, 1u);

  messaging.enabled = false;
  Make(messaging);
  EXPECT_EQ(SendPager(1, "hi"), 405);
  // Its Allow does not offer what it just refused.
  EXPECT_THAT(signaling_.responses.back().bytes,
              HasSubstr("\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, "
                        "SUBSCRIBE, REFER\r\n"));
}

TEST_F(CallMessagesTest, OtherTypesAreRelayedWhenConfigured) {
  MessagingOptions messaging;
  messaging.relay_other_types = true;
  Make(messaging);
  Members(2);
  EXPECT_EQ(SendPager(1, "<b>hi</b>", "text/html"), 202);
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_THAT(Bytes(sent[0]), HasSubstr("Content-Type: text/html\r\n"));
}

TEST_F(CallMessagesTest, EachMemberGetsCpimOnlyWhenItsInviteAcceptedIt) {
  Connect("1000", 1);
  Connect("1000", 2, "Accept: application/sdp, message/cpim\r\n");
  Connect("1000", 3);
  NewMessages();
  // The sender wraps its own message in CPIM: the content is what is relayed.
  const std::string wrapped =
      "From: <sip:caller1@example.com>\r\nTo: <sip:1000@198.51.100.1>\r\n"
      "DateTime: 2026-12-05T14:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nwrapped hello";
  EXPECT_EQ(SendPager(1, wrapped, "message/cpim"), 202);
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(2));
  for (size_t index : sent) {
    if (Recipient(index) == 2) {
      EXPECT_THAT(Bytes(index), HasSubstr("Content-Type: message/cpim\r\n"));
      // The CPIM From names the sender (quoted or not, as CpimAddress writes it).
      EXPECT_THAT(
          Bytes(index),
          HasSubstr(StrCat(
              "\r\n\r\nFrom: ", msrp::CpimAddress("Caller 1", "sip:caller1@example.com"), "\r\n")));
      EXPECT_THAT(Bytes(index), HasSubstr("To: <sip:1000@198.51.100.1>\r\n"));
      EXPECT_THAT(Bytes(index), HasSubstr("\r\n\r\nContent-Type: text/plain\r\n\r\nwrapped hello"));
    } else {
      EXPECT_THAT(Bytes(index), HasSubstr("Content-Type: text/plain\r\n"));
      EXPECT_TRUE(Bytes(index).ends_with("\r\n\r\nwrapped hello"));
      EXPECT_THAT(Bytes(index), Not(HasSubstr("message/cpim")));
    }
  }
  EXPECT_EQ(controller_->Messages("1000", 0, 1).at(0).body, "wrapped hello");
  // Not CPIM at all, or CPIM in CPIM: refused.
  EXPECT_EQ(SendPager(1, "no blank lines", "message/cpim"), 400);
  const std::string nested =
      "From: <sip:a@b>\r\n\r\nContent-Type: message/cpim\r\n\r\nFrom: <sip:a@b>\r\n\r\n"
      "Content-Type: text/plain\r\n\r\nx";
  EXPECT_EQ(SendPager(1, nested, "message/cpim"), 415);
}

TEST_F(CallMessagesTest, FailuresAndTimeoutsAreCountedAndTheSenderIsToldWhenNobodyGotIt) {
  Members(3);
  EXPECT_EQ(SendPager(1, "anyone?"), 202);
  std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(2));
  Answer(sent[0], 486, "Busy Here");
  EXPECT_THAT(NewMessages(), SizeIs(0));  // one still pending: nothing said yet
  Answer(sent[1], 0);
  EXPECT_EQ(Counters().delivery_failed, 1u);
  EXPECT_EQ(Counters().delivery_timeouts, 1u);
  EXPECT_EQ(Counters().senders_told, 1u);
  const std::vector<size_t> notice = NewMessages();
  ASSERT_THAT(notice, SizeIs(1));
  EXPECT_EQ(Recipient(notice[0]), 1);
  EXPECT_THAT(Bytes(notice[0]), HasSubstr("From: \"1000\" <sip:1000@198.51.100.1>;tag="));
  EXPECT_TRUE(Bytes(notice[0]).ends_with("\r\n\r\nnot delivered: 486 Busy Here"));

  // One delivery of two is enough: the sender is not told.
  EXPECT_EQ(SendPager(1, "again"), 202);
  sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(2));
  Answer(sent[0], 0);
  Answer(sent[1], 200);
  EXPECT_THAT(NewMessages(), SizeIs(0));
  EXPECT_EQ(Counters().senders_told, 1u);
  EXPECT_EQ(Counters().delivered, 1u);
}

TEST_F(CallMessagesTest, ASenderAloneInItsRoomIsToldSo) {
  Connect("1000", 1);
  NewMessages();
  EXPECT_EQ(SendPager(1, "echo?"), 202);
  const std::vector<size_t> notice = NewMessages();
  ASSERT_THAT(notice, SizeIs(1));
  EXPECT_EQ(Recipient(notice[0]), 1);
  EXPECT_TRUE(Bytes(notice[0]).ends_with("not delivered: nobody else is in the room"));
  EXPECT_EQ(Counters().senders_told, 1u);
  EXPECT_EQ(Counters().relayed, 0u);
}

TEST_F(CallMessagesTest, DeliveriesInFlightPerRoomAreBounded) {
  MembersWithInFlightBound(3, 2);
  EXPECT_EQ(SendPager(1, "one"), 202);
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(SendPager(1, "two"), 503);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: "));
  EXPECT_THAT(NewMessages(), SizeIs(0));
  EXPECT_EQ(controller_->PostMessage("1000", "", "text/plain", "api").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Counters().refused_busy, 2u);
  EXPECT_THAT(controller_->Messages("1000", 0, 10), SizeIs(1));
  Answer(sent[0], 200);
  Answer(sent[1], 0);
  EXPECT_EQ(SendPager(1, "three"), 202);
  EXPECT_THAT(NewMessages(), SizeIs(2));
}

TEST_F(CallMessagesTest, HistoryIsBoundedAndListedAfterAnId) {
  MessagingOptions messaging;
  messaging.history = 3;
  Make(messaging);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(controller_->PostMessage("1000", "", "text/plain", StrCat("m", i)).ok());
  }
  std::vector<msrp::ChatMessage> kept = controller_->Messages("1000", 0, 10);
  ASSERT_THAT(kept, SizeIs(3));
  EXPECT_EQ(kept[0].id, 3u);
  EXPECT_EQ(kept[0].body, "m3");
  EXPECT_EQ(kept[2].id, 5u);
  kept = controller_->Messages("1000", 3, 1);
  ASSERT_THAT(kept, SizeIs(1));
  EXPECT_EQ(kept[0].id, 4u);
  EXPECT_THAT(controller_->Messages("3000", 0, 10), SizeIs(0));
  EXPECT_THAT(controller_->Messages("9999", 0, 10), SizeIs(0));
}

TEST_F(CallMessagesTest, AMemberWhoJoinsIsSentTheLastMessages) {
  MessagingOptions messaging;
  messaging.replay_on_join = 2;
  Make(messaging);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(controller_->PostMessage("1000", "Host", "text/plain", StrCat("m", i)).ok());
  }
  Connect("1000", 1);
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_TRUE(Bytes(sent[0]).ends_with("\r\n\r\nm2"));
  EXPECT_TRUE(Bytes(sent[1]).ends_with("\r\n\r\nm3"));
  EXPECT_THAT(Bytes(sent[0]), HasSubstr("From: \"Host\" <sip:1000@198.51.100.1>"));
  EXPECT_EQ(Counters().replayed, 2u);
}

TEST_F(CallMessagesTest, TheApiPostsAsTheRoomToEveryMember) {
  Members(2);
  Events();
  absl::StatusOr<msrp::ChatMessage> posted =
      controller_->PostMessage("1000", "", "text/plain", "from the desk");
  ASSERT_TRUE(posted.ok());
  EXPECT_EQ(posted->id, 1u);
  EXPECT_EQ(posted->via, msrp::ChatVia::kApi);
  const std::vector<size_t> sent = NewMessages();
  EXPECT_THAT(Recipients(sent), ElementsAre(1, 2));
  EXPECT_THAT(Bytes(sent[0]), HasSubstr("From: \"operator\" <sip:1000@198.51.100.1>"));
  EXPECT_THAT(Events(), HasSubstr("\"name\":\"operator\",\"content_type\":\"text/plain\","
                                  "\"body\":\"from the desk\",\"via\":\"api\""));
  EXPECT_EQ(Counters().posted_by_api, 1u);
  // A name cannot carry header lines into the MESSAGE.
  ASSERT_TRUE(controller_->PostMessage("1000", "Eve\r\nX-Evil: 1", "text/plain", "x").ok());
  for (size_t index : NewMessages()) {
    EXPECT_THAT(Bytes(index), Not(HasSubstr("\r\nX-Evil")));
    EXPECT_THAT(Bytes(index), HasSubstr("From: \"EveX-Evil: 1\" <sip:1000@198.51.100.1>"));
  }
  EXPECT_EQ(controller_->PostMessage("9999", "", "text/plain", "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      controller_->PostMessage("1000", "", "text/plain", std::string(20000, 'x')).status().code(),
      absl::StatusCode::kOutOfRange);
  EXPECT_EQ(controller_->PostMessage("1000", "", "image/png", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(controller_->PostMessage("1000", "", "text/plain\r\nX: 1", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CallMessagesTest, AnMsrpMembersMessageReachesThePagerMembersButNotItsSender) {
  Members(2);
  uint64_t sender = 0;
  for (const ParticipantInfo& info : controller_->Participants("1000")) {
    if (info.from == "sip:caller1@example.com") sender = info.id;
  }
  msrp::ChatMessage message;
  message.room = "1000";
  message.sender_uri = "sip:caller1@example.com";
  message.body = "over msrp";  // and no display name: the URI names the sender
  controller_->OnMsrpEvent(msrp::ChatReceived{sender, message});
  const std::vector<size_t> sent = NewMessages();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(Recipient(sent[0]), 2);
  EXPECT_THAT(Bytes(sent[0]),
              HasSubstr("From: \"sip:caller1@example.com\" <sip:1000@198.51.100.1>;tag="));
  const std::vector<msrp::ChatMessage> kept = controller_->Messages("1000", 0, 10);
  ASSERT_THAT(kept, SizeIs(1));
  EXPECT_EQ(kept[0].via, msrp::ChatVia::kMsrp);
  EXPECT_EQ(Counters().received, 1u);
}

TEST_F(CallMessagesTest, AMessageThatCouldNotBeSentEndsAsUndeliveredAndLeavesNothingInFlight) {
  MembersWithInFlightBound(2, 1);
  signaling_.refuse_requests = true;
  EXPECT_EQ(SendPager(1, "lost"), 202);
  EXPECT_EQ(SendPager(1, "lost too"), 202);  // the first holds no place in flight
  EXPECT_EQ(Counters().relayed, 2u);
  EXPECT_EQ(Counters().delivery_timeouts, 2u);
  EXPECT_EQ(Counters().senders_told, 2u);
  signaling_.refuse_requests = false;
  EXPECT_EQ(SendPager(1, "sent"), 202);
  EXPECT_THAT(Recipients(NewMessages()), ElementsAre(2));
}

TEST_F(CallMessagesTest, AWrappedTypeWithControlCharactersIsRefused) {
  Members(2);
  const std::string wrapped =
      "From: <sip:caller1@example.com>\r\n\r\nContent-Type: text/plain\x01\r\n\r\nx";
  // No header of ours may carry it: the CPIM parser refuses it (400), and
  // what it let through would still be 415.
  EXPECT_EQ(SendPager(1, wrapped, "message/cpim"), 400);
  EXPECT_THAT(NewMessages(), SizeIs(0));
}

TEST_F(CallMessagesTest, AMessageInAnUnknownDialogIs481) {
  Connect("1000", 1);
  Send(fakes::CallerRequest("MESSAGE", "1000", 1, 2, "nosuchtag", "x", "chat", "text/plain"));
  EXPECT_EQ(signaling_.Statuses().back(), 481);
}

}  // namespace
}  // namespace tutti
