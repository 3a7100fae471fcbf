// Subscriptions to rooms through a fake transaction layer and a manual
// clock: what is answered, what is notified when, and when it ends.
#include "signaling/call/room_subscriptions.h"

#include <map>
#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Change = RoomSubscriptions::Change;

// A SUBSCRIBE from `ip` (its own Call-ID per ip and `call`); `to_tag`
// inside the dialog; `expires` empty: no Expires header.
std::string Subscribe(int cseq, std::string_view expires, std::string_view to_tag = {},
                      std::string_view ip = "192.0.2.20", std::string_view event = "conference",
                      std::string_view room = "1000", int call = 1) {
  const std::string host =
      ip.find(':') == std::string_view::npos ? std::string(ip) : StrCat("[", ip, "]");
  return StrCat("SUBSCRIBE sip:", room, "@198.51.100.1 SIP/2.0\r\n", "Via: SIP/2.0/UDP ", host,
                ":5070;branch=z9hG4bK-sub", cseq, "\r\n",
                "From: \"Watcher\" <sip:watcher@example.com>;tag=w", call, "\r\n",
                "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n", "Call-ID: sub-",
                ip, "-", call, "\r\n", "CSeq: ", cseq, " SUBSCRIBE\r\n", "Contact: <sip:watcher@",
                host, ":5070>\r\nMax-Forwards: 70\r\n", "Event: ", event, "\r\n",
                expires.empty() ? std::string() : StrCat("Expires: ", expires, "\r\n"),
                "Accept: application/conference-info+xml\r\nContent-Length: 0\r\n\r\n");
}

std::string HeaderOf(const std::string& message, std::string_view name) {
  const size_t at = message.find(StrCat("\r\n", name, ": "));
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 4;
  return message.substr(start, message.find("\r\n", start) - start);
}

std::string ToTag(const std::string& response) {
  const std::string to = HeaderOf(response, "To");
  return to.substr(to.find(";tag=") + 5);
}

class RoomSubscriptionsTest : public ::testing::Test {
 protected:
  RoomSubscriptionsTest() { Make(SubscriptionLimits{}); }

  void Make(SubscriptionLimits limits) {
    limits.min_expires = absl::Seconds(60);
    limits.max_expires = absl::Seconds(600);
    subscriptions_ = std::make_unique<RoomSubscriptions>(
        &signaling_, &timers_, &server_, sip::LocalEndpoint{"198.51.100.1", 5060, 5061}, limits,
        [this](std::string_view room) { return rosters_[std::string(room)]; });
  }
  sip::MessageSource From(std::string_view ip) const {
    return {sip::TransportKind::kUdp, *sip::SocketAddress::FromIpPort(ip, 5070), 0};
  }
  // A new subscription from `ip`: the status of the answer.
  int New(std::string_view expires = "300", std::string_view ip = "192.0.2.20", int call = 1,
          std::string_view room = "1000") {
    const sip::TransactionId id =
        signaling_.Receive(Subscribe(1, expires, {}, ip, "conference", room, call));
    subscriptions_->Subscribe(id, *signaling_.Request(id), From(ip), room);
    return signaling_.responses.back().status;
  }
  // A SUBSCRIBE inside the first subscription's dialog.
  int Again(int cseq, std::string_view expires, std::string_view event = "conference") {
    const std::string tag = ToTag(signaling_.responses.front().bytes);
    const sip::TransactionId id =
        signaling_.Receive(Subscribe(cseq, expires, tag, "192.0.2.20", event));
    EXPECT_TRUE(subscriptions_->InDialog(id, *signaling_.Request(id)));
    return signaling_.responses.back().status;
  }
  // Answers NOTIFY number `n` (0 first) with `status` (0: it timed out).
  void Answer(size_t n, int status) {
    ASSERT_LT(n, signaling_.sent.size());
    if (status == 0) return signaling_.sent[n].callback(nullptr);
    const std::string& notify = signaling_.sent[n].bytes;
    const std::string response =
        StrCat("SIP/2.0 ", status, " X\r\n", "Via: ", HeaderOf(notify, "Via"), "\r\n",
               "From: ", HeaderOf(notify, "From"), "\r\nTo: ", HeaderOf(notify, "To"),
               "\r\nCall-ID: ", HeaderOf(notify, "Call-ID"), "\r\nCSeq: ", HeaderOf(notify, "CSeq"),
               "\r\nContent-Length: 0\r\n\r\n");
    const sip::SipMessage parsed = fakes::Parse(response);
    signaling_.sent[n].callback(&parsed);
  }
  const std::string& Notify(size_t n) const { return signaling_.sent.at(n).bytes; }
  size_t Notifies() const { return signaling_.sent.size(); }

  fakes::FakeSignaling signaling_;
  fakes::FakeTimers timers_;
  ServerIdentity server_{"tutti-test", 5};
  std::map<std::string, ConferenceRoster> rosters_;
  std::unique_ptr<RoomSubscriptions> subscriptions_;
};

TEST_F(RoomSubscriptionsTest, SubscribeIsAnswered200ThenNotifiedTheFullRoster) {
  RosterEndpoint alice;
  alice.participant = 3;
  alice.user = "sip:alice@example.com";
  rosters_["1000"].endpoints = {alice};
  ASSERT_EQ(New("300"), 200);
  const std::string& ok = signaling_.responses[0].bytes;
  EXPECT_EQ(HeaderOf(ok, "Expires"), "300");
  EXPECT_EQ(HeaderOf(ok, "Contact"), "<sip:tutti@198.51.100.1:5060>");
  EXPECT_FALSE(ToTag(ok).empty());

  ASSERT_EQ(Notifies(), 1u);  // at once, not on a timer
  const std::string& notify = Notify(0);
  EXPECT_THAT(notify, HasSubstr("NOTIFY sip:watcher@192.0.2.20:5070 SIP/2.0\r\n"));
  EXPECT_EQ(HeaderOf(notify, "From"), StrCat("<sip:1000@198.51.100.1>;tag=", ToTag(ok)));
  EXPECT_EQ(HeaderOf(notify, "To"), "\"Watcher\" <sip:watcher@example.com>;tag=w1");
  EXPECT_EQ(HeaderOf(notify, "Call-ID"), "sub-192.0.2.20-1");
  EXPECT_EQ(HeaderOf(notify, "Event"), "conference");
  EXPECT_EQ(HeaderOf(notify, "Subscription-State"), "active;expires=300");
  EXPECT_EQ(HeaderOf(notify, "Content-Type"), "application/conference-info+xml");
  EXPECT_THAT(notify, HasSubstr("entity=\"sip:1000@198.51.100.1\" state=\"full\" version=\"1\""));
  EXPECT_THAT(notify, HasSubstr("<user entity=\"sip:alice@example.com\""));
  EXPECT_EQ(signaling_.sent[0].next_hop.address.ToString(), "192.0.2.20:5070");
  EXPECT_EQ(subscriptions_->size(), 1u);
}

TEST_F(RoomSubscriptionsTest, ExpiresIsBoundedBelowBy423AndAboveByTheMaximum) {
  EXPECT_EQ(New("59"), 423);
  EXPECT_EQ(HeaderOf(signaling_.responses.back().bytes, "Min-Expires"), "60");
  EXPECT_EQ(New("x1"), 400);
  EXPECT_EQ(subscriptions_->size(), 0u);
  EXPECT_EQ(Notifies(), 0u);
  EXPECT_EQ(New("86400", "192.0.2.21"), 200);
  EXPECT_EQ(HeaderOf(signaling_.responses.back().bytes, "Expires"), "600");
  EXPECT_EQ(New("", "192.0.2.22"), 200);  // none: RFC 4575's hour, cut to the maximum
  EXPECT_EQ(HeaderOf(signaling_.responses.back().bytes, "Expires"), "600");
}

TEST_F(RoomSubscriptionsTest, ChangesWhileANotifyIsInFlightGoTogetherInTheNext) {
  New();
  subscriptions_->RoomChanged("1000", Change::kRoster);
  subscriptions_->RoomChanged("1000", Change::kRoster);
  subscriptions_->RoomChanged("2000", Change::kRoster);  // another room
  timers_.Advance(absl::Seconds(5));
  EXPECT_EQ(Notifies(), 1u);  // the first is not answered yet
  Answer(0, 200);
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies(), 2u);
  EXPECT_THAT(Notify(1), HasSubstr("version=\"2\""));
  EXPECT_EQ(HeaderOf(Notify(1), "Subscription-State"), "active;expires=295");
  Answer(1, 200);
  timers_.Advance(absl::Seconds(5));
  EXPECT_EQ(Notifies(), 2u);  // nothing changed since
}

TEST_F(RoomSubscriptionsTest, RosterChangesGoAtOnceTalkingAtMostOncePerInterval) {
  New();
  Answer(0, 200);
  subscriptions_->RoomChanged("1000", Change::kTalking);
  timers_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(Notifies(), 1u);
  timers_.Advance(absl::Milliseconds(1));
  ASSERT_EQ(Notifies(), 2u);
  Answer(1, 200);
  // Talk starts and stops within the next second: one NOTIFY, a second on.
  timers_.Advance(absl::Milliseconds(100));
  subscriptions_->RoomChanged("1000", Change::kTalking);
  subscriptions_->RoomChanged("1000", Change::kTalking);
  timers_.Advance(absl::Milliseconds(899));
  EXPECT_EQ(Notifies(), 2u);
  // A join meanwhile goes at once, and takes the talking change along.
  subscriptions_->RoomChanged("1000", Change::kRoster);
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies(), 3u);
  Answer(2, 200);
  timers_.Advance(absl::Seconds(3));
  EXPECT_EQ(Notifies(), 3u);
}

TEST_F(RoomSubscriptionsTest, ADepartedParticipantIsShownDisconnectedOnce) {
  New();
  Answer(0, 200);
  RosterEndpoint bob;
  bob.participant = 9;
  bob.user = "sip:bob@example.com";
  subscriptions_->Departed("1000", bob);
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies(), 2u);
  EXPECT_THAT(Notify(1), HasSubstr("participant:9\">\n        <status>disconnected</status>"));
  Answer(1, 200);
  subscriptions_->RoomChanged("1000", Change::kRoster);
  timers_.Advance(absl::ZeroDuration());
  ASSERT_EQ(Notifies(), 3u);
  EXPECT_THAT(Notify(2), Not(HasSubstr("sip:bob@example.com")));
}

TEST_F(RoomSubscriptionsTest, ABigRoomListsItsFirst64AndCountsEveryone) {
  for (uint64_t id = 1; id <= 200; ++id) {
    RosterEndpoint endpoint;
    endpoint.participant = id;
    endpoint.user = StrCat("sip:caller-", id, "@example.com");
    rosters_["1000"].endpoints.push_back(endpoint);
  }
  New();
  const std::string& notify = Notify(0);
  EXPECT_THAT(notify, HasSubstr("<user-count>200</user-count>"));
  EXPECT_THAT(notify, HasSubstr("sip:caller-64@example.com"));
  EXPECT_THAT(notify, Not(HasSubstr("sip:caller-65@example.com")));
  EXPECT_LT(notify.size(), 60000u);  // one UDP datagram
}

TEST_F(RoomSubscriptionsTest, ExpiresZeroEndsItWithATerminatedNotify) {
  New();
  Answer(0, 200);
  EXPECT_EQ(Again(2, "0"), 200);
  EXPECT_EQ(HeaderOf(signaling_.responses.back().bytes, "Expires"), "0");
  ASSERT_EQ(Notifies(), 2u);
  EXPECT_EQ(HeaderOf(Notify(1), "Subscription-State"), "terminated;reason=timeout");
  EXPECT_THAT(Notify(1), HasSubstr("version=\"2\""));
  EXPECT_EQ(subscriptions_->size(), 0u);
  EXPECT_EQ(subscriptions_->notifies_in_flight(), 1);
  Answer(1, 200);
  EXPECT_EQ(subscriptions_->notifies_in_flight(), 0);
}

TEST_F(RoomSubscriptionsTest, ARefreshExtendsItAndNotifiesAgainAnUnrefreshedOneExpires) {
  New("300");
  Answer(0, 200);
  timers_.Advance(absl::Seconds(200));
  EXPECT_EQ(Again(2, "300"), 200);
  ASSERT_EQ(Notifies(), 2u);
  EXPECT_EQ(HeaderOf(Notify(1), "Subscription-State"), "active;expires=300");
  Answer(1, 200);
  timers_.Advance(absl::Seconds(299));
  EXPECT_EQ(subscriptions_->size(), 1u);  // past the first 300 s: refreshed
  timers_.Advance(absl::Seconds(1));
  EXPECT_EQ(subscriptions_->size(), 0u);
  ASSERT_EQ(Notifies(), 3u);
  EXPECT_EQ(HeaderOf(Notify(2), "Subscription-State"), "terminated;reason=timeout");
}

TEST_F(RoomSubscriptionsTest, InDialogRequestsOutOfOrderOrForAnotherPackageAreRefused) {
  New();
  EXPECT_EQ(Again(1, "300"), 500);  // CSeq not above the last
  EXPECT_EQ(Again(2, "300", "presence"), 489);
  EXPECT_EQ(HeaderOf(signaling_.responses.back().bytes, "Allow-Events"), "conference");
  EXPECT_EQ(Again(3, "30"), 423);
  EXPECT_EQ(subscriptions_->size(), 1u);
  // Not a dialog of ours: left to the caller.
  const sip::TransactionId id = signaling_.Receive(Subscribe(1, "300", "nobody"));
  EXPECT_FALSE(subscriptions_->InDialog(id, *signaling_.Request(id)));
}

TEST_F(RoomSubscriptionsTest, A481OrATimeoutEndsTheSubscriptionWithoutAnotherNotify) {
  New("300", "192.0.2.20", 1);
  New("300", "192.0.2.21", 2);
  Answer(0, 481);
  Answer(1, 0);  // Timer F
  EXPECT_EQ(subscriptions_->size(), 0u);
  subscriptions_->RoomChanged("1000", Change::kRoster);
  timers_.Advance(absl::Seconds(1));
  EXPECT_EQ(Notifies(), 2u);
  EXPECT_EQ(subscriptions_->notifies_in_flight(), 0);
}

TEST_F(RoomSubscriptionsTest, BoundsInAllPerRoomAndPerSource) {
  SubscriptionLimits limits;
  limits.max_subscriptions = 4;
  limits.max_per_room = 3;
  limits.max_per_source = 2;
  Make(limits);
  EXPECT_EQ(New("300", "192.0.2.20", 1), 200);
  EXPECT_EQ(New("300", "192.0.2.20", 2), 200);
  EXPECT_EQ(New("300", "192.0.2.20", 3), 503);  // a third from one address
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: 5"));
  EXPECT_EQ(New("300", "192.0.2.21", 4), 200);
  EXPECT_EQ(New("300", "192.0.2.22", 5), 503);  // a fourth to one room
  EXPECT_EQ(New("300", "192.0.2.22", 6, "2000"), 200);
  EXPECT_EQ(New("300", "192.0.2.23", 7, "3000"), 503);  // a fifth in all
  EXPECT_EQ(subscriptions_->size(), 4u);
  // One ends: its place is free again.
  Answer(0, 481);
  EXPECT_EQ(New("300", "192.0.2.20", 8), 200);
}

// An IPv6 stranger owns a whole /64: its addresses share one per-source
// count, as they do for calls and lockouts.
TEST_F(RoomSubscriptionsTest, AnIpv6SourceIsItsSlash64) {
  SubscriptionLimits limits;
  limits.max_per_source = 2;
  Make(limits);
  EXPECT_EQ(New("300", "2001:db8:1:2::a", 1), 200);
  EXPECT_EQ(New("300", "2001:db8:1:2::b", 2), 200);
  EXPECT_EQ(New("300", "2001:db8:1:2::c", 3), 503);
  EXPECT_EQ(New("300", "2001:db8:1:3::a", 4), 200);  // the next /64
}

TEST_F(RoomSubscriptionsTest, ARemovedRoomAndAStoppingServerEndEverySubscription) {
  New("300", "192.0.2.20", 1, "1000");
  New("300", "192.0.2.21", 2, "2000");
  subscriptions_->EndRoom("1000");
  ASSERT_EQ(Notifies(), 3u);
  EXPECT_EQ(HeaderOf(Notify(2), "Subscription-State"), "terminated;reason=noresource");
  EXPECT_EQ(subscriptions_->size(), 1u);
  int drained = 0;
  subscriptions_->set_drained([&] { ++drained; });
  subscriptions_->EndAll();
  ASSERT_EQ(Notifies(), 4u);
  EXPECT_EQ(HeaderOf(Notify(3), "Subscription-State"), "terminated;reason=probation;retry-after=5");
  EXPECT_EQ(subscriptions_->size(), 0u);
  for (size_t n = 0; n < 4; ++n) Answer(n, 200);
  EXPECT_EQ(drained, 1);
  EXPECT_EQ(subscriptions_->notifies_in_flight(), 0);
}

TEST_F(RoomSubscriptionsTest, AnswersAfterTheSubscriptionsAreGoneAreHarmless) {
  New();
  subscriptions_.reset();
  Answer(0, 200);  // the transaction layer outlives call control
}

TEST(EventPackageTest, TheEventTokenAndWhatTheSubscriberAccepts) {
  EXPECT_EQ(EventPackage(fakes::Parse(Subscribe(1, "60", {}, "192.0.2.20", "Conference;id=4"))),
            "conference");
  EXPECT_EQ(EventPackage(fakes::Parse(Subscribe(1, "60", {}, "192.0.2.20", "presence"))),
            "presence");
  std::string text = Subscribe(1, "60");
  EXPECT_TRUE(AcceptsConferenceInfo(fakes::Parse(text)));
  const size_t accept = text.find("Accept: ");
  text.replace(accept, text.find("\r\n", accept) - accept, "Accept: application/pidf+xml");
  EXPECT_FALSE(AcceptsConferenceInfo(fakes::Parse(text)));
}

}  // namespace
}  // namespace tutti
