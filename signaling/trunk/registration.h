// One trunk's registration (RFC 3261 §10.2): REGISTER sip:<domain> for
// <sip:username@domain> with our Contact, one Call-ID for all of them and
// the CSeq counting up; a 401/407 answered with digest once per challenge
// (a second one that is not stale=true means the credentials are wrong);
// 423 Interval Too Brief answered once with its Min-Expires; registered
// until the granted expiry and refreshed at half of it; failures (refused,
// unanswered) retried after a back-off that doubles from 30 s to 15 min;
// Unregister sends Expires: 0. Control thread, on CallTimers and
// CallSignaling like the rest of call control.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "signaling/call/call_timers.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/dialog.h"
#include "signaling/sip/digest_client.h"
#include "signaling/trunk/trunk_config.h"
#include "signaling/trunk/trunk_links.h"

namespace tutti::trunk {

// The domain of the URIs we send a trunk: `domain`, else `host` as written.
std::string TrunkDomain(const TrunkConfig& trunk);
// The preloaded route set of its requests: the outbound proxy as a loose
// route, or none.
std::vector<std::string> TrunkRoutes(const TrunkConfig& trunk);
// A request of ours to the trunk outside any dialog: to sip:<domain>, from
// <sip:username@domain> (tutti when it has no username).
sip::OutgoingDialog TrunkRequest(const TrunkConfig& trunk, const sip::Destination& next_hop);
// Whether two settings of a trunk register the same binding at the same
// place: one AOR (username@domain), one route and next hop. A reload that
// keeps it renews the registration in its dialog (same Call-ID, RFC 3261
// §10.2.4) rather than unregistering it: an Expires: 0 in another dialog,
// overtaken by the new REGISTER, would remove the new binding (§10.3 step 7).
bool SameRegistrar(const TrunkConfig& a, const sip::Destination& a_hop, const TrunkConfig& b,
                   const sip::Destination& b_hop);

// The back-off of a failed registration.
inline constexpr absl::Duration kFirstRegisterRetry = absl::Seconds(30);
inline constexpr absl::Duration kLongestRegisterRetry = absl::Minutes(15);
// What we take of a registrar's Min-Expires (a day): more is refused.
inline constexpr int kLongestMinExpires = 86400;

class TrunkRegistration {
 public:
  // `timers` and `signaling` outlive this; `trunk` is read now (copied
  // what is kept). Nothing is sent before Start.
  TrunkRegistration(const TrunkConfig& trunk, sip::Destination next_hop, CallTimers* timers,
                    sip::CallSignaling* signaling, sip::LocalEndpoint local,
                    std::string user_agent);
  TrunkRegistration(const TrunkRegistration&) = delete;
  TrunkRegistration& operator=(const TrunkRegistration&) = delete;

  void Start();
  // A reload changed the trunk's credentials or register_expires_s, not
  // its registrar (SameRegistrar): they are used from now on and, once
  // started, a REGISTER goes at once in the same dialog (a failed one's
  // back-off starts over). No-op while unregistering.
  void Renew(const TrunkConfig& trunk);
  // REGISTER with Expires: 0 when registered or registering; `done` runs
  // at its final response or timeout. False: nothing to unregister (done
  // does not run). Nothing more is sent after it.
  bool Unregister(std::function<void()> done);

  RegistrationState state() const { return state_; }
  // Unregister's REGISTER was answered or timed out (or could not be sent).
  bool unregistered() const { return unregister_done_; }
  // The registration's part of the trunk's status.
  void Fill(TrunkLinkStatus& status, absl::Time now) const;

 private:
  // A challenge we answer on every REGISTER from then on (RFC 3261 §22.3:
  // credentials cached per realm), counting its nonce's uses.
  struct Answer {
    sip::DigestChallenge challenge;
    uint32_t nonce_count = 0;
    bool answered_this_round = false;
  };

  void NewRound();  // a fresh REGISTER (first, refresh, retry): no challenge answered yet
  void Send(int expires);
  void OnResponse(uint64_t attempt, const sip::SipMessage* response);
  void OnRegistered(const sip::SipMessage& ok);
  void OnChallenged(const sip::SipMessage& challenge);
  void OnTooBrief(const sip::SipMessage& response);
  void Fail(int status, std::string_view why);
  void FinishUnregister(int status);
  // The expiry the registrar granted our Contact: its expires= (RFC 3261
  // §10.3 step 8 lists every binding), else Expires, else what we asked.
  int GrantedExpires(const sip::SipMessage& ok) const;
  std::string AuthorizationLines();

  std::string name_;  // the trunk's, for the log
  sip::Destination next_hop_;
  CallTimers* timers_;
  sip::CallSignaling* signaling_;
  std::string user_agent_;
  sip::Dialog dialog_;  // Call-ID, From tag and CSeq across all our REGISTERs
  std::string request_uri_;
  sip::DigestClientCredentials credentials_;
  std::optional<Answer> www_;    // a registrar's 401
  std::optional<Answer> proxy_;  // a proxy's 407 on the way

  RegistrationState state_ = RegistrationState::kNone;
  int expires_s_;            // what we ask for (raised by a 423)
  int pending_expires_ = 0;  // what the REGISTER in flight asks for
  bool raised_this_round_ = false;
  uint64_t attempt_ = 0;  // responses to an older REGISTER are ignored
  int last_status_ = 0;
  absl::Time registered_until_ = absl::InfinitePast();
  absl::Time retry_at_ = absl::InfinitePast();
  absl::Duration backoff_ = kFirstRegisterRetry;
  uint64_t registrations_ = 0;
  uint64_t failures_ = 0;
  OwnedTimer timer_;  // the refresh or the retry
  bool started_ = false;
  bool unregistering_ = false;
  bool unregister_done_ = false;
  std::function<void()> unregistered_;
  // Expires with this object: a response arriving after it is dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tutti::trunk
