// The fixture of TrunkLinks' tests: a carrier we register to, the fake
// transaction layer and timers, and a registrar's digest checker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/sip/digest_auth.h"
#include "signaling/trunk/trunk_links.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti::trunk::links_fixture {

// A carrier at 192.0.2.5:5070 we register to as alice (password secret),
// not pinged.
inline TrunkConfig Carrier() {
  return TrunkConfig{.name = "carrier",
                     .host = "192.0.2.5:5070",
                     .domain = "carrier.example",
                     .username = "alice",
                     .password = "secret",
                     .register_ = true,
                     .register_expires_s = 600,
                     .options_interval_s = 0};
}

inline constexpr char kOurContact[] = "<sip:alice@198.51.100.1:5060>";

class TrunkLinksFixture : public ::testing::Test {
 protected:
  void Make(std::vector<TrunkConfig> trunks) {
    absl::StatusOr<TrunkTable> table = TrunkTable::Make(std::move(trunks));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *std::move(table);
    links_ = std::make_unique<TrunkLinks>(table_, &timers_, &signaling_,
                                          sip::LocalEndpoint{"198.51.100.1", 5060}, "tutti/test");
  }

  // The request sent `i`-th, parsed.
  sip::SipMessage Sent(size_t i) { return fakes::Parse(signaling_.sent.at(i).bytes); }
  size_t SentCount() const { return signaling_.sent.size(); }

  // Answers the `i`-th request with `status` and header lines `extra`.
  void Reply(size_t i, int status, std::string_view extra = {}) {
    const sip::SipMessage request = Sent(i);
    const sip::SipMessage response = fakes::Parse(
        StrCat("SIP/2.0 ", status, " Whatever\r\nVia: ", request.HeaderValue(sip::HeaderId::kVia),
               "\r\n", "From: ", request.HeaderValue(sip::HeaderId::kFrom), "\r\n",
               "To: ", request.HeaderValue(sip::HeaderId::kTo), ";tag=registrar\r\n",
               "Call-ID: ", request.call_id(), "\r\nCSeq: ", request.cseq().number, " ",
               request.cseq().method_name, "\r\n", extra, "Content-Length: 0\r\n\r\n"));
    signaling_.sent.at(i).callback(&response);
  }
  void TimeOut(size_t i) { signaling_.sent.at(i).callback(nullptr); }

  TrunkLinkStatus Status() { return links_->Status().at(0); }

  // A registrar's challenge with our own server's nonce.
  std::string Challenge(bool stale = false) {
    return StrCat("WWW-Authenticate: ", registrar_.Challenges(timers_.Now(), stale)[0], "\r\n");
  }
  // The registrar checks the Authorization of request `i`.
  sip::DigestAuthenticator::Outcome Verify(size_t i) {
    const sip::SipMessage request = Sent(i);
    const sip::HeaderField* field = request.FindHeader("Authorization");
    if (field == nullptr) return sip::DigestAuthenticator::Outcome::kMissing;
    return registrar_.Verify("REGISTER", field->value, timers_.Now()).outcome;
  }

  sip::DigestAuthenticator registrar_{sip::DigestOptions{"carrier.example",
                                                         {sip::DigestAlgorithm::kSha256},
                                                         absl::Minutes(5),
                                                         {{"alice", "secret", "", ""}}},
                                      "a fixed test secret of 32 bytes!"};
  fakes::FakeSignaling signaling_;
  fakes::FakeTimers timers_;
  TrunkTable table_;
  std::unique_ptr<TrunkLinks> links_;
};

}  // namespace tutti::trunk::links_fixture
