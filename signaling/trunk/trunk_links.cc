#include "signaling/trunk/trunk_links.h"

#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/trunk/registration.h"

namespace tutti::trunk {

struct TrunkLinks::Link {
  const TrunkConfig* trunk = nullptr;
  sip::Destination next_hop;
  std::unique_ptr<TrunkRegistration> registration;  // null: the trunk does not register
  OwnedTimer options_timer;
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

TrunkLinks::TrunkLinks(const TrunkTable* trunks, CallTimers* timers, sip::CallSignaling* signaling,
                       sip::LocalEndpoint local, std::string user_agent)
    : trunks_(trunks),
      timers_(timers),
      signaling_(signaling),
      local_(std::move(local)),
      user_agent_(std::move(user_agent)) {
  for (const TrunkConfig& trunk : trunks_->trunks()) {
    auto link = std::make_unique<Link>();
    link->trunk = &trunk;
    link->next_hop = trunks_->NextHop(trunk);
    if (trunk.register_) {
      link->registration = std::make_unique<TrunkRegistration>(&trunk, link->next_hop, timers_,
                                                               signaling_, local_, user_agent_);
    }
    links_.push_back(std::move(link));
  }
}

TrunkLinks::~TrunkLinks() = default;

void TrunkLinks::Start() {
  for (const std::unique_ptr<Link>& link : links_) {
    if (link->registration) link->registration->Start();
    if (link->trunk->options_interval_s > 0) SendOptions(*link);
  }
}

void TrunkLinks::SendOptions(Link& link) {
  sip::Dialog request =
      sip::Dialog::StartOutgoing(TrunkRequest(*link.trunk, link.next_hop), local_);
  std::string extra = "Accept: application/sdp\r\n";
  if (!user_agent_.empty()) StrAppend(&extra, "User-Agent: ", user_agent_, "\r\n");
  std::string bytes =
      request.BuildRequest(sip::Method::kOptions, sip::TransactionLayer::NewBranch(), extra);
  ++link.options_sent;
  std::weak_ptr<bool> alive = alive_;
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
          .With("trunk", link.trunk->name)
          .With("status", response->status_code());
    }
  } else {
    ++link.options_failed;
    if (++link.misses >= kMissesForDown && link.up) {
      link.up = false;
      ++link.went_down;
      LogWarn("trunk", "trunk down")
          .With("trunk", link.trunk->name)
          .With("unanswered_options", link.misses);
    }
  }
  // The next one an interval after this one ended: never two at once.
  Link* at = &link;
  link.options_timer.Start(timers_, absl::Seconds(link.trunk->options_interval_s),
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
    if (link->trunk->name == trunk) return link.get();
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
    status.trunk = link->trunk->name;
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
