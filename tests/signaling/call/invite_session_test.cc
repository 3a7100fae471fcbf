#include "signaling/call/invite_session.h"

#include <optional>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Invite(std::string_view extra_headers = {}, int cseq = 1,
                   std::string_view to_tag = {}) {
  return StrCat("INVITE sip:1000@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", cseq, "\r\n",
                "From: <sip:alice@example.com>;tag=alice\r\n", "To: <sip:1000@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: session-1\r\n", "CSeq: ", cseq, " INVITE\r\n",
                "Contact: <sip:alice@192.0.2.10:5062>\r\n", extra_headers,
                "Content-Length: 0\r\n\r\n");
}

std::string InDialog(std::string_view method, int cseq, std::string_view extra_headers = {}) {
  return StrCat(method, " sip:1000@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", method, cseq, "\r\n",
                "From: <sip:alice@example.com>;tag=alice\r\n",
                "To: <sip:1000@198.51.100.1>;tag=our-tag\r\n", "Call-ID: session-1\r\n",
                "CSeq: ", cseq, " ", method, "\r\n", extra_headers, "Content-Length: 0\r\n\r\n");
}

std::string Response(int status, int cseq, std::string_view method) {
  return StrCat(
      "SIP/2.0 ", status, " X\r\n", "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKx\r\n",
      "From: <sip:1000@198.51.100.1>;tag=our-tag\r\n", "To: <sip:alice@example.com>;tag=alice\r\n",
      "Call-ID: session-1\r\n", "CSeq: ", cseq, " ", method, "\r\nContent-Length: 0\r\n\r\n");
}

class InviteSessionTest : public ::testing::Test {
 protected:
  // An INVITE received over `transport` and its session, not yet answered.
  void Start(std::string_view extra_headers = {},
             sip::TransportKind transport = sip::TransportKind::kUdp) {
    const std::string text = Invite(extra_headers);
    invite_ = signaling_.Receive(text);
    const sip::SipMessage& invite = *signaling_.Request(invite_);
    const sip::MessageSource source{transport, *sip::SocketAddress::FromIpPort("192.0.2.10", 5062),
                                    0};
    session_ = std::make_unique<InviteSession>(
        &signaling_, &timers_, &options_,
        sip::Dialog::FromInvite(invite, source, "our-tag",
                                sip::LocalEndpoint{"198.51.100.1", 5060}),
        source, invite_, DecideSessionTimer(invite, options_.session_timers), "session-1",
        [this](std::string_view bye_why, std::string_view end_why) {
          failed_bye_ = std::string(bye_why);
          failed_end_ = std::string(end_why);
        });
  }

  // The seconds (since now) at which the 2xx went again, up to `horizon`.
  std::vector<double> RetransmissionTimes(absl::Duration horizon) {
    std::vector<double> times;
    const absl::Time start = timers_.Now();
    const absl::Duration step = absl::Milliseconds(100);
    for (absl::Duration t; t < horizon; t += step) {
      const size_t before = signaling_.stateless.size();
      timers_.Advance(step);
      if (signaling_.stateless.size() > before) {
        times.push_back(absl::ToDoubleSeconds(timers_.Now() - start));
      }
    }
    return times;
  }

  fakes::FakeSignaling signaling_;
  fakes::FakeTimers timers_;
  InviteSessionOptions options_;
  sip::TransactionId invite_ = 0;
  std::unique_ptr<InviteSession> session_;
  std::optional<std::string> failed_bye_;
  std::optional<std::string> failed_end_;
};

TEST_F(InviteSessionTest, AnswerSends200WithContactAndAwaitsAck) {
  Start();
  session_->Answer("v=0\r\n");
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200));
  const std::string& ok = signaling_.responses[0].bytes;
  EXPECT_THAT(ok, HasSubstr("To: <sip:1000@198.51.100.1>;tag=our-tag"));
  EXPECT_THAT(ok, HasSubstr("Contact: <sip:tutti@198.51.100.1:5060>"));
  EXPECT_THAT(ok, HasSubstr("Content-Type: application/sdp"));
  EXPECT_EQ(session_->state(), InviteSession::State::kAnswered);
}

// RFC 3261 §13.3.1.4: T1, 2*T1, 4*T1 ... capped at T2, and BYE at 64*T1.
TEST_F(InviteSessionTest, RetransmitsOkDoublingToT2AndEndsAfter64T1WithoutAck) {
  Start();
  session_->Answer("v=0\r\n");
  // T1 = 0.5 s, T2 = 4 s: intervals 0.5, 1, 2, 4, 4, ... within 64*T1 = 32 s.
  EXPECT_THAT(RetransmissionTimes(absl::Seconds(31.9)),
              ElementsAre(0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5));
  EXPECT_FALSE(failed_end_);
  timers_.Advance(absl::Milliseconds(100));  // 32 s
  EXPECT_EQ(failed_bye_, "no ACK");
  EXPECT_EQ(failed_end_, "no ACK");
  for (const std::string& again : signaling_.stateless)
    EXPECT_EQ(again, signaling_.responses[0].bytes);
}

TEST_F(InviteSessionTest, AckStopsRetransmissionAndConfirms) {
  Start();
  session_->Answer("v=0\r\n");
  timers_.Advance(absl::Seconds(2));
  ASSERT_EQ(signaling_.stateless.size(), 2u);
  EXPECT_FALSE(session_->OnAck(fakes::Parse(InDialog("ACK", 2))));  // not the 2xx's CSeq
  EXPECT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));
  EXPECT_EQ(session_->state(), InviteSession::State::kConfirmed);
  EXPECT_FALSE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));  // a retransmitted ACK
  timers_.Advance(absl::Seconds(64));
  EXPECT_EQ(signaling_.stateless.size(), 2u);
  EXPECT_FALSE(failed_end_);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(InviteSessionTest, ReliableTransportIsNotRetransmittedButStillWaitsForAck) {
  Start({}, sip::TransportKind::kTcp);
  session_->Answer("v=0\r\n");
  timers_.Advance(absl::Seconds(31.9));
  EXPECT_TRUE(signaling_.stateless.empty());
  EXPECT_FALSE(failed_end_);
  timers_.Advance(absl::Milliseconds(100));
  EXPECT_EQ(failed_end_, "no ACK");
}

TEST_F(InviteSessionTest, RingsThenAnswersAfterTheDelay) {
  Start();
  int answered = 0;
  session_->Ring(absl::Seconds(3), [&] { ++answered; });
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(180));
  timers_.Advance(absl::Seconds(2.9));
  EXPECT_EQ(answered, 0);
  timers_.Advance(absl::Milliseconds(100));
  EXPECT_EQ(answered, 1);
}

TEST_F(InviteSessionTest, GoingAwayCancelsItsTimers) {
  Start();
  session_->Ring(absl::Seconds(3), [] { FAIL() << "answered after the session went"; });
  session_.reset();
  EXPECT_EQ(timers_.pending(), 0u);
  Start();
  session_->Answer("v=0\r\n");
  session_.reset();
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(InviteSessionTest, CancelWhileRingingIs487AndTooLateOnceAnswered) {
  Start();
  session_->Ring(absl::Seconds(3), [] {});
  EXPECT_TRUE(session_->OnCancel());
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(180, 487));
  EXPECT_THAT(signaling_.responses[1].bytes, HasSubstr(";tag=our-tag"));
  Start();
  session_->Answer("v=0\r\n");
  EXPECT_FALSE(session_->OnCancel());
}

TEST_F(InviteSessionTest, ByeInEarlyDialogAlsoEndsTheInvite) {
  Start();
  session_->Ring(absl::Seconds(3), [] {});
  const sip::TransactionId bye = signaling_.Receive(InDialog("BYE", 2));
  ASSERT_TRUE(session_->AcceptInDialog(bye, *signaling_.Request(bye)));
  session_->OnBye(bye);
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(180, 200, 487));
  EXPECT_EQ(signaling_.responses[1].id, bye);
  EXPECT_EQ(signaling_.responses[2].id, invite_);
}

TEST_F(InviteSessionTest, InDialogRequestOutOfOrderIs500) {
  Start();
  session_->Answer("v=0\r\n");
  const sip::TransactionId info = signaling_.Receive(InDialog("INFO", 1));
  EXPECT_FALSE(session_->AcceptInDialog(info, *signaling_.Request(info)));
  EXPECT_EQ(signaling_.responses.back().status, 500);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("CSeq Out Of Order"));
}

TEST_F(InviteSessionTest, ReInviteBeforeTheAckIsRequestPending) {
  Start();
  session_->Answer("v=0\r\n");
  const sip::TransactionId re_invite = signaling_.Receive(Invite({}, 2, "our-tag"));
  ASSERT_TRUE(session_->AcceptInDialog(re_invite, *signaling_.Request(re_invite)));
  EXPECT_FALSE(session_->StartReInvite(re_invite, *signaling_.Request(re_invite)));
  EXPECT_THAT(signaling_.responses.back().bytes, StartsWith("SIP/2.0 500 Request Pending"));
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Retry-After: 5"));
}

TEST_F(InviteSessionTest, ReInviteAfterTheAckIsAnsweredAndAwaitsItsOwnAck) {
  Start();
  session_->Answer("v=0\r\n");
  ASSERT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));
  const sip::TransactionId re_invite = signaling_.Receive(Invite({}, 2, "our-tag"));
  const sip::SipMessage& request = *signaling_.Request(re_invite);
  ASSERT_TRUE(session_->AcceptInDialog(re_invite, request));
  ASSERT_TRUE(session_->StartReInvite(re_invite, request));
  session_->AnswerReInvite(re_invite, request, "v=0\r\n");
  EXPECT_EQ(signaling_.responses.back().id, re_invite);
  EXPECT_EQ(signaling_.responses.back().status, 200);
  EXPECT_EQ(session_->state(), InviteSession::State::kAnswered);
  EXPECT_EQ(session_->invite_transaction(), re_invite);
  timers_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(signaling_.stateless.size(), 1u);
  EXPECT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 2))));
}

// RFC 4028 §10: as refresher we send UPDATE at half the interval; a 2xx
// re-arms, a 481 ends the session.
TEST_F(InviteSessionTest, RefreshesTheSessionAtHalfTheIntervalAsRefresher) {
  Start("Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n");
  session_->Answer("v=0\r\n");
  EXPECT_THAT(signaling_.responses[0].bytes, HasSubstr("Session-Expires: 1800;refresher=uas"));
  ASSERT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));
  timers_.Advance(absl::Seconds(899));
  EXPECT_TRUE(signaling_.sent.empty());
  timers_.Advance(absl::Seconds(1));
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, StartsWith("UPDATE "));
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("Session-Expires: 1800;refresher=uas"));

  const sip::SipMessage ok = fakes::Parse(Response(200, 1, "UPDATE"));
  signaling_.sent[0].callback(&ok);
  timers_.Advance(absl::Seconds(900));
  ASSERT_EQ(signaling_.sent.size(), 2u);
  EXPECT_FALSE(failed_end_);

  const sip::SipMessage gone = fakes::Parse(Response(481, 2, "UPDATE"));
  signaling_.sent[1].callback(&gone);
  EXPECT_EQ(failed_bye_, "session refresh failed");
  EXPECT_EQ(failed_end_, "session refresh failed");
}

TEST_F(InviteSessionTest, RefreshAnsweredAfterTheSessionWentIsIgnored) {
  Start("Supported: timer\r\nSession-Expires: 1800;refresher=uas\r\n");
  session_->Answer("v=0\r\n");
  ASSERT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));
  timers_.Advance(absl::Seconds(900));
  ASSERT_EQ(signaling_.sent.size(), 1u);
  session_.reset();
  signaling_.sent[0].callback(nullptr);  // timed out after the call ended
  EXPECT_FALSE(failed_end_);
}

// When the caller refreshes, the session ends at interval - min(32 s, interval/3)
// unless an UPDATE (or re-INVITE) refreshes it first.
TEST_F(InviteSessionTest, ExpiresWithoutTheCallersRefreshAndUpdateRearms) {
  Start("Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n");
  session_->Answer("v=0\r\n");
  ASSERT_TRUE(session_->OnAck(fakes::Parse(InDialog("ACK", 1))));
  timers_.Advance(absl::Seconds(1000));
  const sip::TransactionId update = signaling_.Receive(
      InDialog("UPDATE", 2, "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n"));
  ASSERT_TRUE(session_->AcceptInDialog(update, *signaling_.Request(update)));
  session_->OnUpdate(update, *signaling_.Request(update));
  EXPECT_EQ(signaling_.responses.back().status, 200);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("Session-Expires: 1800;refresher=uac"));
  timers_.Advance(absl::Seconds(1767));
  EXPECT_FALSE(failed_end_);
  timers_.Advance(absl::Seconds(1));  // 1800 - 32 after the refresh
  EXPECT_EQ(failed_bye_, "session expired");
  EXPECT_EQ(failed_end_, "session timer expired");
}

TEST_F(InviteSessionTest, UpdateWithAnOfferIsRefused) {
  Start();
  session_->Answer("v=0\r\n");
  const sip::TransactionId update = signaling_.Receive(StrCat(
      "UPDATE sip:1000@198.51.100.1 SIP/2.0\r\n",
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-u\r\n",
      "From: <sip:alice@example.com>;tag=alice\r\n", "To: <sip:1000@198.51.100.1>;tag=our-tag\r\n",
      "Call-ID: session-1\r\n",
      "CSeq: 2 UPDATE\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"));
  session_->OnUpdate(update, *signaling_.Request(update));
  EXPECT_EQ(signaling_.responses.back().status, 488);
}

TEST_F(InviteSessionTest, SendsByeWithReasonInsideTheDialog) {
  Start();
  session_->Answer("v=0\r\n");
  int answers = 0;
  session_->SendBye("no ACK", [&](const sip::SipMessage*) { ++answers; });
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, StartsWith("BYE sip:alice@192.0.2.10:5062 SIP/2.0"));
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("Reason: SIP;cause=200;text=\"no ACK\""));
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("To: <sip:alice@example.com>;tag=alice"));
  signaling_.sent[0].callback(nullptr);
  EXPECT_EQ(answers, 1);
}

}  // namespace
}  // namespace tutti
