// tutti's side of each trunk's link: REGISTER (with digest auth, refreshed
// before expiry, retried with back-off) where the trunk asks for it, and
// OPTIONS keepalives (RFC 3261 §11) that mark a trunk up or down. Control
// thread; one small state machine per trunk, on CallTimers (a manual clock
// in the unit tests) and CallSignaling (the transaction layer). A reload
// hands it the new trunks (Reconfigure): each link holds a copy of its
// trunk's settings, so no table has to outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "signaling/call/call_timers.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/dialog.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti::trunk {

enum class RegistrationState {
  kNone,         // the trunk does not register
  kRegistering,  // REGISTER sent (or answering a challenge)
  kRegistered,   // 2xx; refreshed before it runs out
  kFailed,       // refused (403, wrong credentials, ...) or unanswered; retried after back-off
};
std::string_view RegistrationStateName(RegistrationState state);  // "none", "registering", ...

// What the API and /metrics show of a trunk's link.
struct TrunkLinkStatus {
  std::string trunk;
  RegistrationState registration = RegistrationState::kNone;
  int last_register_status = 0;  // the last final response's code; 0: none
  absl::Time registered_until = absl::InfinitePast();
  absl::Duration retry_in = absl::ZeroDuration();  // kFailed: until the next try
  bool up = true;                                  // answered its last OPTIONS (or sends none)
  uint64_t options_sent = 0;
  uint64_t options_failed = 0;  // unanswered (any answer at all means the peer is up)
  uint64_t went_down = 0;       // times it was marked down
  uint64_t registrations = 0;   // 2xx to REGISTER
  uint64_t register_failures = 0;
};

class TrunkRegistration;  // registration.h

class TrunkLinks {
 public:
  // `timers` and `signaling` outlive this; `trunks` is read now. Nothing
  // is sent before Start.
  TrunkLinks(const TrunkTable& trunks, CallTimers* timers, sip::CallSignaling* signaling,
             sip::LocalEndpoint local, std::string user_agent);
  ~TrunkLinks();
  TrunkLinks(const TrunkLinks&) = delete;
  TrunkLinks& operator=(const TrunkLinks&) = delete;

  void Start();  // first REGISTERs and OPTIONS
  // A reload: the links follow `trunks` (read now), by trunk name. A trunk
  // added gets a link (registering and pinged at once when started); a
  // trunk gone is pinged no more and unregistered (Expires: 0 in its
  // registration's dialog, to its registrar); a trunk kept keeps its link
  // and state. Its registration is renewed in its own dialog when only the
  // credentials or register_expires_s changed, replaced (the old one
  // unregistered, a new one started) when the registrar, account or
  // register changed, left alone otherwise (no REGISTER); its OPTIONS
  // start over when their next hop or interval changed. After Stop: no-op.
  void Reconfigure(const TrunkTable& trunks);
  // Shutdown: no more OPTIONS; REGISTER with Expires: 0 for each registered
  // trunk; `done` runs (once) when they, and a reload's unregistrations
  // still in flight, are answered or timed out, and at the latest after
  // kUnregisterWait, so a dead registrar does not hold the shutdown; at
  // once when none was registered.
  void Stop(std::function<void()> done);

  // A trunk is marked down after this many OPTIONS in a row go unanswered
  // (each waits timer F, 32 s), and up again at its first answer.
  static constexpr int kMissesForDown = 2;
  static constexpr absl::Duration kUnregisterWait = absl::Seconds(4);

  bool Up(std::string_view trunk) const;  // unknown trunk: false
  std::vector<TrunkLinkStatus> Status() const;

 private:
  struct Link;  // defined in the .cc
  std::unique_ptr<Link> NewLink(const TrunkConfig& trunk, const sip::Destination& next_hop);
  void StartLink(Link& link);
  // Reconfigure of a trunk kept: its registration and OPTIONS as above.
  void UpdateLink(Link& link, const TrunkConfig& trunk, const sip::Destination& next_hop);
  void UpdateRegistration(Link& link, const TrunkConfig& trunk, const sip::Destination& next_hop);
  // A new round of OPTIONS (the answer of one in flight dropped); `new_peer`:
  // the trunk is taken as up again until it misses.
  void RestartOptions(Link& link, bool new_peer);
  void SendOptions(Link& link);
  void OnOptionsAnswer(Link& link, const sip::SipMessage* response);
  Link* Find(std::string_view trunk) const;
  // A registration no link uses any more: unregistered, kept until its
  // answer (DropRetired frees it after); dropped at once when not bound.
  void Retire(std::unique_ptr<TrunkRegistration> registration);
  void DropRetired();

  std::vector<std::unique_ptr<Link>> links_;
  CallTimers* timers_;
  sip::CallSignaling* signaling_;
  sip::LocalEndpoint local_;
  std::string user_agent_;
  bool started_ = false;
  bool stopped_ = false;
  // Registrations of trunks removed or moved, unregistering (bounded: a
  // reload adds at most one per trunk, and each is over within timer F).
  std::vector<std::unique_ptr<TrunkRegistration>> retiring_;
  // Set by Stop while some of retiring_ are in flight: counts them down.
  std::function<void()> on_retired_;
};

}  // namespace tutti::trunk
