// TrunkLinks::Reconfigure (a reload's trunks): links follow the new trunks
// by name; a trunk kept keeps its registration, one changed renews or
// replaces it, one removed unregisters, one added registers. The fake
// transaction layer and timers: nothing waits on wall time.
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/trunk/trunk_links.h"
#include "tests/signaling/trunk/trunk_links_fixture.h"

namespace tutti::trunk {
namespace {

using links_fixture::Carrier;

class TrunkLinksReloadTest : public links_fixture::TrunkLinksFixture {
 protected:
  // Registered with the carrier as Carrier() says (REGISTER, 401, REGISTER, 200).
  void Registered() {
    Make({Carrier()});
    links_->Start();
    Reply(0, 401, Challenge());
    Reply(1, 200, "Expires: 600\r\n");
    ASSERT_EQ(Status().registration, RegistrationState::kRegistered);
  }
  void Reload(std::vector<TrunkConfig> trunks) {
    absl::StatusOr<TrunkTable> table = TrunkTable::Make(std::move(trunks));
    ASSERT_TRUE(table.ok()) << table.status();
    links_->Reconfigure(*table);  // the links keep nothing of it
  }
  TrunkConfig Pinged() const {
    TrunkConfig trunk = Carrier();
    trunk.register_ = false;
    trunk.options_interval_s = 30;
    return trunk;
  }
};

TEST_F(TrunkLinksReloadTest, ATrunkKeptKeepsItsRegistrationWithoutARegister) {
  Registered();
  TrunkConfig same_account = Carrier();
  same_account.max_calls = 7;  // not the link's business
  same_account.dial_out_patterns = {"44XXXXXXXXXX"};
  Reload({same_account});
  EXPECT_EQ(SentCount(), 2u);
  const TrunkLinkStatus status = Status();
  EXPECT_EQ(status.registration, RegistrationState::kRegistered);
  EXPECT_EQ(status.registrations, 1u);
  // Its refresh comes as it would have, in the same dialog.
  timers_.Advance(absl::Seconds(300));
  ASSERT_EQ(SentCount(), 3u);
  EXPECT_EQ(Sent(2).call_id(), Sent(0).call_id());
  EXPECT_EQ(Sent(2).cseq().number, Sent(1).cseq().number + 1);
}

TEST_F(TrunkLinksReloadTest, NewCredentialsRegisterAtOnceInTheSameDialog) {
  Registered();
  TrunkConfig changed = Carrier();
  changed.password = "changed";
  Reload({changed});
  ASSERT_EQ(SentCount(), 3u);
  const sip::SipMessage renewed = Sent(2);
  EXPECT_EQ(renewed.method(), sip::Method::kRegister);
  EXPECT_EQ(renewed.call_id(), Sent(0).call_id());  // no Expires: 0 that could cross it
  EXPECT_EQ(renewed.cseq().number, Sent(1).cseq().number + 1);
  EXPECT_EQ(renewed.HeaderValue(sip::HeaderId::kExpires), "600");
  // The registrar's cached challenge answered with the new password.
  sip::DigestAuthenticator knows_new{sip::DigestOptions{"carrier.example",
                                                        {sip::DigestAlgorithm::kSha256},
                                                        absl::Minutes(5),
                                                        {{"alice", "changed", "", ""}}},
                                     "a fixed test secret of 32 bytes!"};
  const sip::HeaderField* authorization = renewed.FindHeader("Authorization");
  ASSERT_NE(authorization, nullptr);
  EXPECT_EQ(knows_new.Verify("REGISTER", authorization->value, timers_.Now()).outcome,
            sip::DigestAuthenticator::Outcome::kOk);
  Reply(2, 200, "Expires: 600\r\n");
  EXPECT_EQ(Status().registrations, 2u);
}

TEST_F(TrunkLinksReloadTest, AMovedRegistrarIsUnregisteredAndTheNewOneRegistered) {
  Registered();
  TrunkConfig moved = Carrier();
  moved.host = "192.0.2.6:5070";
  Reload({moved});
  ASSERT_EQ(SentCount(), 4u);
  const sip::SipMessage old_binding = Sent(2);
  EXPECT_EQ(old_binding.HeaderValue(sip::HeaderId::kExpires), "0");
  EXPECT_EQ(old_binding.call_id(), Sent(0).call_id());
  EXPECT_EQ(signaling_.sent[2].next_hop.address.ToString(), "192.0.2.5:5070");
  const sip::SipMessage fresh = Sent(3);
  EXPECT_EQ(fresh.HeaderValue(sip::HeaderId::kExpires), "600");
  EXPECT_NE(fresh.call_id(), Sent(0).call_id());
  EXPECT_EQ(signaling_.sent[3].next_hop.address.ToString(), "192.0.2.6:5070");
  EXPECT_EQ(Status().registration, RegistrationState::kRegistering);
  Reply(2, 200);  // the old registrar's answer goes to the retired registration
  Reply(3, 200, "Expires: 600\r\n");
  EXPECT_EQ(Status().registration, RegistrationState::kRegistered);
}

TEST_F(TrunkLinksReloadTest, ARemovedTrunkUnregistersAndShutdownWaitsForIt) {
  Registered();
  Reload({});
  ASSERT_EQ(SentCount(), 3u);
  EXPECT_EQ(Sent(2).HeaderValue(sip::HeaderId::kExpires), "0");
  EXPECT_EQ(Sent(2).call_id(), Sent(0).call_id());
  EXPECT_TRUE(links_->Status().empty());
  EXPECT_FALSE(links_->Up("carrier"));
  int done = 0;
  links_->Stop([&] { ++done; });
  EXPECT_EQ(done, 0);  // the reload's Expires: 0 is still in flight
  Reply(2, 200);
  EXPECT_EQ(done, 1);
  timers_.Advance(absl::Hours(1));  // no refresh of a trunk gone
  EXPECT_EQ(SentCount(), 3u);
  EXPECT_EQ(done, 1);
}

TEST_F(TrunkLinksReloadTest, AnAddedTrunkRegistersAtOnceOnceStarted) {
  Make({});
  Reload({Carrier()});  // before Start: nothing sent yet
  EXPECT_EQ(SentCount(), 0u);
  links_->Start();
  ASSERT_EQ(SentCount(), 1u);
  TrunkConfig second = Carrier();
  second.name = "second";
  second.username = "bob";
  Reload({Carrier(), second});
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(Sent(1).from().uri_text, "sip:bob@carrier.example");
  ASSERT_EQ(links_->Status().size(), 2u);
  EXPECT_EQ(links_->Status()[1].trunk, "second");
  EXPECT_EQ(links_->Status()[1].registration, RegistrationState::kRegistering);
}

TEST_F(TrunkLinksReloadTest, ARemovedTrunksLateOptionsAnswerIsDropped) {
  Make({Pinged()});
  links_->Start();
  ASSERT_EQ(SentCount(), 1u);
  Reload({});
  TimeOut(0);  // the OPTIONS' timeout after its link went
  timers_.Advance(absl::Minutes(5));
  EXPECT_EQ(SentCount(), 1u);
  EXPECT_TRUE(links_->Status().empty());
}

TEST_F(TrunkLinksReloadTest, OptionsStartOverWhenTheirIntervalChanges) {
  Make({Pinged()});
  links_->Start();
  TimeOut(0);
  timers_.Advance(absl::Seconds(30));
  ASSERT_EQ(SentCount(), 2u);
  TrunkConfig quiet = Pinged();
  quiet.options_interval_s = 0;
  Reload({quiet});
  TimeOut(1);  // the last round's answer starts no new one
  timers_.Advance(absl::Minutes(5));
  EXPECT_EQ(SentCount(), 2u);
  EXPECT_TRUE(links_->Up("carrier"));  // sends none: up
  TrunkConfig often = Pinged();
  often.options_interval_s = 10;
  Reload({often});
  ASSERT_EQ(SentCount(), 3u);  // at once
  Reply(2, 200);
  timers_.Advance(absl::Seconds(10));
  EXPECT_EQ(SentCount(), 4u);
}

}  // namespace
}  // namespace tutti::trunk
