#include "signaling/trunk/trunk_links.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/trunk/registration.h"

namespace tutti::trunk {

struct TrunkLinks::Link {
  TrunkConfig trunk;  // as configured last
  sip::Destination next_hop;
  std::unique_ptr<TrunkRegistration> registration;  // null: the trunk does not register
  OwnedTimer options_timer;
  // Expires with the link or its round of OPTIONS: an answer after it is dropped.
  std::shared_ptr<bool> options_round = std::make_shared<bool>(true);
  int misses = 0;  // OPTIONS unanswered in a row
  bool up = true;
  uint64_t options_sent = 0;
  uint64_t options_failed = 0;
  uint64_t went_down = 0;
};

std::string_view RegistrationStateName(RegistrationState state) {
  switch (state) {
    case RegistrationState::kNone:
      return "none";
    case RegistrationState::kRegistering:
      return "registering";
    case RegistrationState::kRegistered:
      return "registered";
    case RegistrationState::kFailed:
      return "failed";
  }
  return "none";
}

TrunkLinks::TrunkLinks(const TrunkTable& trunks, CallTimers* timers, sip::CallSignaling* signaling,
                       sip::LocalEndpoint local, std::string user_agent)
    : timers_(timers),
      signaling_(signaling),
      local_(std::move(local)),
      user_agent_(std::move(user_agent)) {
  for (const TrunkConfig& trunk : trunks.trunks()) {
    links_.push_back(NewLink(trunk, trunks.NextHop(trunk)));
  }
}

TrunkLinks::~TrunkLinks() = default;

std::unique_ptr<TrunkLinks::Link> TrunkLinks::NewLink(const TrunkConfig& trunk,
                                                      const sip::Destination& next_hop) {
  auto link = std::make_unique<Link>();
  link->trunk = trunk;
  link->next_hop = next_hop;
  if (trunk.register_) {
    link->registration = std::make_unique<TrunkRegistration>(trunk, next_hop, timers_, signaling_,
                                                             local_, user_agent_);
  }
  return link;
}

void TrunkLinks::Start() {
  started_ = true;
  for (const std::unique_ptr<Link>& link : links_) StartLink(*link);
}

void TrunkLinks::StartLink(Link& link) {
  if (link.registration) link.registration->Start();
  if (link.trunk.options_interval_s > 0) SendOptions(link);
}

void TrunkLinks::Reconfigure(const TrunkTable& trunks) {
  if (stopped_) return;
  DropRetired();
  std::vector<std::unique_ptr<Link>> next;
  for (const TrunkConfig& trunk : trunks.trunks()) {
    const sip::Destination next_hop = trunks.NextHop(trunk);
    auto kept = std::find_if(links_.begin(), links_.end(), [&](const std::unique_ptr<Link>& link) {
      return link != nullptr && link->trunk.name == trunk.name;
    });
    if (kept != links_.end()) {
      UpdateLink(**kept, trunk, next_hop);
      next.push_back(std::move(*kept));
      continue;
    }
    next.push_back(NewLink(trunk, next_hop));
    LogInfo("trunk", "trunk link added").With("trunk", trunk.name);
    if (started_) StartLink(*next.back());
  }
  for (std::unique_ptr<Link>& gone : links_) {
    if (gone == nullptr) continue;
    LogInfo("trunk", "trunk link removed").With("trunk", gone->trunk.name);
    Retire(std::move(gone->registration));
  }
  links_ = std::move(next);  // a removed link's timer and OPTIONS answer go with it
}

void TrunkLinks::UpdateLink(Link& link, const TrunkConfig& trunk,
                            const sip::Destination& next_hop) {
  UpdateRegistration(link, trunk, next_hop);
  const bool new_peer =
      next_hop.transport != link.next_hop.transport || next_hop.address != link.next_hop.address;
  const bool options_changed =
      new_peer || trunk.options_interval_s != link.trunk.options_interval_s;
  link.trunk = trunk;
  link.next_hop = next_hop;
  if (options_changed) RestartOptions(link, new_peer);
}

void TrunkLinks::UpdateRegistration(Link& link, const TrunkConfig& trunk,
                                    const sip::Destination& next_hop) {
  const TrunkConfig& was = link.trunk;
  if (link.registration != nullptr && trunk.register_ &&
      SameRegistrar(was, link.next_hop, trunk, next_hop)) {
    if (trunk.auth_username != was.auth_username || trunk.password != was.password ||
        trunk.register_expires_s != was.register_expires_s) {
      link.registration->Renew(trunk);
    }
    return;
  }
  if (link.registration == nullptr && !trunk.register_) return;
  Retire(std::move(link.registration));
  if (!trunk.register_) return;
  link.registration = std::make_unique<TrunkRegistration>(trunk, next_hop, timers_, signaling_,
                                                          local_, user_agent_);
  LogInfo("trunk", "trunk registers anew").With("trunk", trunk.name);
  if (started_) link.registration->Start();
}

void TrunkLinks::RestartOptions(Link& link, bool new_peer) {
  link.options_timer.Cancel();
  link.options_round = std::make_shared<bool>(true);
  if (new_peer || link.trunk.options_interval_s == 0) {
    link.misses = 0;
    link.up = true;  // as at start: up until it misses (or sent none)
  }
  if (started_ && link.trunk.options_interval_s > 0) SendOptions(link);
}

void TrunkLinks::Retire(std::unique_ptr<TrunkRegistration> registration) {
  if (registration == nullptr) return;
  // Not bound: nothing to take back; a REGISTER in flight is answered to nobody.
  if (!registration->Unregister([this] {
        if (on_retired_) on_retired_();
      })) {
    return;
  }
  retiring_.push_back(std::move(registration));
}

void TrunkLinks::DropRetired() {
  std::erase_if(retiring_, [](const std::unique_ptr<TrunkRegistration>& registration) {
    return registration->unregistered();
  });
}

void TrunkLinks::SendOptions(Link& link) {
  sip::Dialog request = sip::Dialog::StartOutgoing(TrunkRequest(link.trunk, link.next_hop), local_);
  std::string extra = "Accept: application/sdp\r\n";
  if (!user_agent_.empty()) StrAppend(&extra, "User-Agent: ", user_agent_, "\r\n");
  std::string bytes =
      request.BuildRequest(sip::Method::kOptions, sip::TransactionLayer::NewBranch(), extra);
  ++link.options_sent;
  std::weak_ptr<bool> alive = link.options_round;
  Link* at = &link;
  const sip::TransactionId sent = signaling_->SendRequest(
      link.next_hop, std::move(bytes), [this, alive, at](const sip::SipMessage* response) {
        if (alive.expired() || (response != nullptr && response->status_code() < 200)) return;
        OnOptionsAnswer(*at, response);
      });
  if (sent == 0) OnOptionsAnswer(link, nullptr);
}

void TrunkLinks::OnOptionsAnswer(Link& link, const sip::SipMessage* response) {
  if (stopped_) return;
  if (response != nullptr) {
    // Any answer, 200 or 404 or 503 alike: the peer is there.
    link.misses = 0;
    if (!link.up) {
      link.up = true;
      LogInfo("trunk", "trunk up")
          .With("trunk", link.trunk.name)
          .With("status", response->status_code());
    }
  } else {
    ++link.options_failed;
    if (++link.misses >= kMissesForDown && link.up) {
      link.up = false;
      ++link.went_down;
      LogWarn("trunk", "trunk down")
          .With("trunk", link.trunk.name)
          .With("unanswered_options", link.misses);
    }
  }
  // The next one an interval after this one ended: never two at once.
  if (link.trunk.options_interval_s <= 0) return;
  Link* at = &link;
  link.options_timer.Start(timers_, absl::Seconds(link.trunk.options_interval_s),
                           [this, at] { SendOptions(*at); });
}

void TrunkLinks::Stop(std::function<void()> done) {
  stopped_ = true;
  // Runs `done` once, whichever comes first: the last answer or the wait.
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [once] {
    if (*once) std::exchange(*once, nullptr)();
  };
  auto pending = std::make_shared<int>(0);
  DropRetired();
  if (!retiring_.empty()) {
    *pending += static_cast<int>(retiring_.size());
    on_retired_ = [pending, finish] {
      if (--*pending == 0) finish();
    };
  }
  for (const std::unique_ptr<Link>& link : links_) {
    link->options_timer.Cancel();
    if (!link->registration) continue;
    if (link->registration->Unregister([pending, finish] {
          if (--*pending == 0) finish();
        })) {
      ++*pending;
    }
  }
  if (*pending == 0) return finish();
  timers_->Add(kUnregisterWait, finish);
}

TrunkLinks::Link* TrunkLinks::Find(std::string_view trunk) const {
  for (const std::unique_ptr<Link>& link : links_) {
    if (link->trunk.name == trunk) return link.get();
  }
  return nullptr;
}

bool TrunkLinks::Up(std::string_view trunk) const {
  const Link* link = Find(trunk);
  return link != nullptr && link->up;
}

std::vector<TrunkLinkStatus> TrunkLinks::Status() const {
  std::vector<TrunkLinkStatus> out;
  for (const std::unique_ptr<Link>& link : links_) {
    TrunkLinkStatus status;
    status.trunk = link->trunk.name;
    if (link->registration) link->registration->Fill(status, timers_->Now());
    status.up = link->up;
    status.options_sent = link->options_sent;
    status.options_failed = link->options_failed;
    status.went_down = link->went_down;
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace tutti::trunk
