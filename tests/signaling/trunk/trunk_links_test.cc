#include "signaling/trunk/trunk_links.h"

#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/signaling/trunk/trunk_links_fixture.h"

namespace tutti::trunk {
namespace {

using links_fixture::Carrier;
using links_fixture::kOurContact;
using ::testing::HasSubstr;
using ::testing::Not;
using TrunkLinksTest = links_fixture::TrunkLinksFixture;

TEST_F(TrunkLinksTest, RegistersAnsweringTheChallengeAndKeepsItsCallId) {
  Make({Carrier()});
  EXPECT_EQ(SentCount(), 0u);  // nothing before Start
  EXPECT_EQ(Status().registration, RegistrationState::kNone);
  links_->Start();
  ASSERT_EQ(SentCount(), 1u);
  const sip::SipMessage first = Sent(0);
  EXPECT_EQ(first.method(), sip::Method::kRegister);
  EXPECT_EQ(first.request_uri_text(), "sip:carrier.example");
  EXPECT_EQ(first.to().uri_text, "sip:alice@carrier.example");
  EXPECT_EQ(first.from().uri_text, "sip:alice@carrier.example");
  EXPECT_EQ(std::string(first.HeaderValue(sip::HeaderId::kContact)), kOurContact);
  EXPECT_EQ(first.HeaderValue(sip::HeaderId::kExpires), "600");
  EXPECT_EQ(first.HeaderValue(sip::HeaderId::kUserAgent), "tutti/test");
  EXPECT_EQ(first.FindHeader("Authorization"), nullptr);
  EXPECT_EQ(signaling_.sent[0].next_hop.address.ToString(), "192.0.2.5:5070");
  EXPECT_EQ(Status().registration, RegistrationState::kRegistering);

  Reply(0, 401, Challenge());
  ASSERT_EQ(SentCount(), 2u);
  const sip::SipMessage second = Sent(1);
  EXPECT_EQ(second.call_id(), first.call_id());
  EXPECT_EQ(second.from().tag, first.from().tag);
  EXPECT_EQ(second.cseq().number, first.cseq().number + 1);
  EXPECT_EQ(Verify(1), sip::DigestAuthenticator::Outcome::kOk);
  EXPECT_THAT(std::string(second.FindHeader("Authorization")->value), HasSubstr("nc=00000001"));

  Reply(1, 200,
        StrCat("Contact: <sip:alice@192.0.2.77:5060>;expires=3600\r\n", "Contact: ", kOurContact,
               ";expires=300\r\n"));
  TrunkLinkStatus status = Status();
  EXPECT_EQ(status.registration, RegistrationState::kRegistered);
  EXPECT_EQ(status.last_register_status, 200);
  EXPECT_EQ(status.registered_until, timers_.Now() + absl::Seconds(300));  // our binding's
  EXPECT_EQ(status.registrations, 1u);
  EXPECT_EQ(status.register_failures, 0u);
}

TEST_F(TrunkLinksTest, RefreshesAtHalfTheGrantedTimeWithTheNextCSeq) {
  Make({Carrier()});
  links_->Start();
  Reply(0, 401, Challenge());
  Reply(1, 200, "Expires: 120\r\n");  // no expires= on a Contact: the header's
  timers_.Advance(absl::Seconds(59));
  EXPECT_EQ(SentCount(), 2u);
  timers_.Advance(absl::Seconds(1));
  ASSERT_EQ(SentCount(), 3u);
  const sip::SipMessage refresh = Sent(2);
  EXPECT_EQ(refresh.call_id(), Sent(0).call_id());
  EXPECT_EQ(refresh.cseq().number, Sent(1).cseq().number + 1);
  // The cached challenge answered at once, its nonce counted on.
  EXPECT_EQ(Verify(2), sip::DigestAuthenticator::Outcome::kOk);
  EXPECT_THAT(std::string(refresh.FindHeader("Authorization")->value), HasSubstr("nc=00000002"));
  EXPECT_EQ(Status().registration, RegistrationState::kRegistered);  // still, while refreshing
  // The registrar wants a fresh nonce (stale): answered again, no failure.
  timers_.Advance(absl::Minutes(6));
  Reply(2, 401, Challenge(/*stale=*/true));
  ASSERT_EQ(SentCount(), 4u);
  EXPECT_EQ(Verify(3), sip::DigestAuthenticator::Outcome::kOk);
  Reply(3, 200, "Expires: 120\r\n");
  EXPECT_EQ(Status().registration, RegistrationState::kRegistered);
  EXPECT_EQ(Status().register_failures, 0u);
  EXPECT_EQ(Status().registrations, 2u);
}

TEST_F(TrunkLinksTest, WrongCredentialsFailAndRetryWithDoublingBackOff) {
  TrunkConfig trunk = Carrier();
  trunk.password = "wrong";
  Make({trunk});
  links_->Start();
  Reply(0, 401, Challenge());
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(Verify(1), sip::DigestAuthenticator::Outcome::kWrong);
  Reply(1, 401, Challenge());  // a second challenge, not stale: refused
  EXPECT_EQ(SentCount(), 2u);  // not answered again
  TrunkLinkStatus status = Status();
  EXPECT_EQ(status.registration, RegistrationState::kFailed);
  EXPECT_EQ(status.last_register_status, 401);
  EXPECT_EQ(status.register_failures, 1u);
  EXPECT_EQ(status.retry_in, absl::Seconds(30));

  // Each failed try waits twice as long as the one before, up to 15 min.
  size_t sent = SentCount();
  for (absl::Duration wait :
       {absl::Seconds(30), absl::Seconds(60), absl::Seconds(120), absl::Seconds(240),
        absl::Seconds(480), absl::Seconds(900), absl::Seconds(900)}) {
    timers_.Advance(wait - absl::Seconds(1));
    EXPECT_EQ(SentCount(), sent) << wait;
    timers_.Advance(absl::Seconds(1));
    ASSERT_EQ(SentCount(), sent + 1) << wait;
    Reply(sent, 403);
    ++sent;
  }
  EXPECT_EQ(Status().last_register_status, 403);
}

TEST_F(TrunkLinksTest, AnUnansweredRegisterIsRetriedAndASuccessResetsTheBackOff) {
  Make({Carrier()});
  links_->Start();
  TimeOut(0);
  EXPECT_EQ(Status().registration, RegistrationState::kFailed);
  EXPECT_EQ(Status().last_register_status, 408);
  timers_.Advance(absl::Seconds(30));
  ASSERT_EQ(SentCount(), 2u);
  TimeOut(1);
  EXPECT_EQ(Status().retry_in, absl::Seconds(60));
  timers_.Advance(absl::Seconds(60));
  ASSERT_EQ(SentCount(), 3u);
  Reply(2, 401, Challenge());
  Reply(3, 200, "Expires: 600\r\n");
  EXPECT_EQ(Status().registration, RegistrationState::kRegistered);
  // The refresh at 300 s is refused: the back-off starts again at 30 s.
  timers_.Advance(absl::Seconds(300));
  ASSERT_EQ(SentCount(), 5u);
  Reply(4, 503);
  EXPECT_EQ(Status().retry_in, absl::Seconds(30));
}

TEST_F(TrunkLinksTest, IntervalTooBriefIsAnsweredWithMinExpires) {
  Make({Carrier()});
  links_->Start();
  Reply(0, 423, "Min-Expires: 1800\r\n");
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(Sent(1).HeaderValue(sip::HeaderId::kExpires), "1800");
  EXPECT_EQ(Sent(1).cseq().number, Sent(0).cseq().number + 1);
  Reply(1, 200);  // no expiry named: what we asked for
  EXPECT_EQ(Status().registered_until, timers_.Now() + absl::Seconds(1800));
  timers_.Advance(absl::Seconds(900));
  ASSERT_EQ(SentCount(), 3u);
  EXPECT_EQ(Sent(2).HeaderValue(sip::HeaderId::kExpires), "1800");  // kept
  // A 423 asking for no more than we asked, or a second one, is a failure.
  Reply(2, 423, "Min-Expires: 60\r\n");
  EXPECT_EQ(Status().registration, RegistrationState::kFailed);
  EXPECT_EQ(SentCount(), 3u);
}

TEST_F(TrunkLinksTest, StopUnregistersWithExpiresZeroAndWaitsForTheAnswer) {
  Make({Carrier()});
  links_->Start();
  Reply(0, 401, Challenge());
  Reply(1, 200, "Expires: 600\r\n");
  int done = 0;
  links_->Stop([&] { ++done; });
  ASSERT_EQ(SentCount(), 3u);
  const sip::SipMessage bye = Sent(2);
  EXPECT_EQ(bye.HeaderValue(sip::HeaderId::kExpires), "0");
  EXPECT_EQ(bye.call_id(), Sent(0).call_id());
  EXPECT_EQ(std::string(bye.HeaderValue(sip::HeaderId::kContact)), kOurContact);
  EXPECT_EQ(Verify(2), sip::DigestAuthenticator::Outcome::kOk);
  EXPECT_EQ(done, 0);
  Reply(2, 200);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(Status().registration, RegistrationState::kNone);
  // Nothing more: no refresh, no retry, and the wait does not run done again.
  timers_.Advance(absl::Hours(1));
  EXPECT_EQ(SentCount(), 3u);
  EXPECT_EQ(done, 1);
}

TEST_F(TrunkLinksTest, StopDoesNotWaitLongForADeadRegistrarNorAtAllWhenNothingIsRegistered) {
  Make({Carrier()});
  links_->Start();
  Reply(0, 401, Challenge());
  Reply(1, 200);
  int done = 0;
  links_->Stop([&] { ++done; });
  timers_.Advance(TrunkLinks::kUnregisterWait - absl::Milliseconds(1));
  EXPECT_EQ(done, 0);
  timers_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(done, 1);
  TimeOut(2);  // the transaction's own timeout later: done ran already
  EXPECT_EQ(done, 1);

  TrunkConfig quiet = Carrier();
  quiet.register_ = false;
  Make({quiet});
  links_->Start();
  int quiet_done = 0;
  links_->Stop([&] { ++quiet_done; });
  EXPECT_EQ(quiet_done, 1);
}

TEST_F(TrunkLinksTest, OptionsMarkATrunkDownAfterTwoMissesAndUpAtItsFirstAnswer) {
  TrunkConfig trunk = Carrier();
  trunk.register_ = false;
  trunk.options_interval_s = 30;
  TrunkConfig quiet = Carrier();
  quiet.name = "quiet";
  quiet.register_ = false;
  Make({trunk, quiet});
  EXPECT_TRUE(links_->Up("carrier"));  // until it fails to answer
  EXPECT_FALSE(links_->Up("nobody"));
  links_->Start();
  ASSERT_EQ(SentCount(), 1u);  // the quiet trunk is not pinged
  const sip::SipMessage ping = Sent(0);
  EXPECT_EQ(ping.method(), sip::Method::kOptions);
  EXPECT_EQ(ping.request_uri_text(), "sip:carrier.example");
  Reply(0, 404);  // any answer will do
  EXPECT_TRUE(links_->Up("carrier"));
  timers_.Advance(absl::Seconds(30));
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_NE(Sent(1).call_id(), ping.call_id());
  TimeOut(1);
  EXPECT_TRUE(links_->Up("carrier"));  // one miss is not enough
  timers_.Advance(absl::Seconds(30));
  ASSERT_EQ(SentCount(), 3u);
  TimeOut(2);
  EXPECT_FALSE(links_->Up("carrier"));
  TrunkLinkStatus status = Status();
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.options_sent, 3u);
  EXPECT_EQ(status.options_failed, 2u);
  EXPECT_EQ(status.went_down, 1u);
  EXPECT_EQ(status.registration, RegistrationState::kNone);
  timers_.Advance(absl::Seconds(30));
  ASSERT_EQ(SentCount(), 4u);
  Reply(3, 200);
  EXPECT_TRUE(links_->Up("carrier"));
  EXPECT_TRUE(links_->Up("quiet"));
  // Stopped: no more pings.
  links_->Stop([] {});
  timers_.Advance(absl::Minutes(5));
  EXPECT_EQ(SentCount(), 4u);
}

TEST_F(TrunkLinksTest, ThroughAnOutboundProxyRequestsCarryItsLooseRoute) {
  TrunkConfig trunk = Carrier();
  trunk.outbound_proxy = "192.0.2.9:5080";
  trunk.transport = "tcp";
  Make({trunk});
  links_->Start();
  const sip::SipMessage request = Sent(0);
  EXPECT_EQ(request.HeaderValue(sip::HeaderId::kRoute), "<sip:192.0.2.9:5080;lr;transport=tcp>");
  EXPECT_EQ(request.request_uri_text(), "sip:carrier.example");
  EXPECT_EQ(signaling_.sent[0].next_hop.address.ToString(), "192.0.2.9:5080");
  EXPECT_EQ(signaling_.sent[0].next_hop.transport, sip::TransportKind::kTcp);
  EXPECT_EQ(std::string(request.HeaderValue(sip::HeaderId::kContact)),
            "<sip:alice@198.51.100.1:5060;transport=tcp>");
  EXPECT_THAT(signaling_.sent[0].bytes, Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace tutti::trunk
