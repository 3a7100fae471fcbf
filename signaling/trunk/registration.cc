#include "signaling/trunk/registration.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/sip_grammar.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti::trunk {
namespace {

using sip::HeaderId;

// Two SIP URIs naming the same place for a binding: user, host and port
// (a registrar may echo our Contact with its parameters reordered).
bool SameBinding(std::string_view a, std::string_view b) {
  auto x = sip::ParseUri(a);
  auto y = sip::ParseUri(b);
  return x.ok() && y.ok() && x->user == y->user && EqualsIgnoreCase(x->host, y->host) &&
         x->port == y->port;
}

std::string_view WithoutBrackets(std::string_view contact) {
  if (contact.size() >= 2 && contact.front() == '<' && contact.back() == '>') {
    contact = contact.substr(1, contact.size() - 2);
  }
  return contact;
}

}  // namespace

std::string TrunkDomain(const TrunkConfig& trunk) {
  return trunk.domain.empty() ? trunk.host : trunk.domain;
}

std::vector<std::string> TrunkRoutes(const TrunkConfig& trunk) {
  if (trunk.outbound_proxy.empty()) return {};
  return {StrCat("<sip:", trunk.outbound_proxy, ";lr",
                 trunk.transport == "tcp" ? ";transport=tcp" : "", ">")};
}

sip::OutgoingDialog TrunkRequest(const TrunkConfig& trunk, const sip::Destination& next_hop) {
  const std::string domain = TrunkDomain(trunk);
  const std::string user = trunk.username.empty() ? "tutti" : trunk.username;
  sip::OutgoingDialog start;
  start.request_uri = StrCat("sip:", domain);
  start.from_uri = StrCat("sip:", user, "@", domain);
  start.to_uri = start.from_uri;
  start.routes = TrunkRoutes(trunk);
  start.next_hop = next_hop;
  start.contact_user = user;
  return start;
}

bool SameRegistrar(const TrunkConfig& a, const sip::Destination& a_hop, const TrunkConfig& b,
                   const sip::Destination& b_hop) {
  return TrunkDomain(a) == TrunkDomain(b) && a.username == b.username &&
         a.outbound_proxy == b.outbound_proxy && a.transport == b.transport &&
         a_hop.transport == b_hop.transport && a_hop.address == b_hop.address;
}

namespace {

sip::DigestClientCredentials CredentialsOf(const TrunkConfig& trunk) {
  return {trunk.auth_username.empty() ? trunk.username : trunk.auth_username, trunk.password};
}

}  // namespace

TrunkRegistration::TrunkRegistration(const TrunkConfig& trunk, sip::Destination next_hop,
                                     CallTimers* timers, sip::CallSignaling* signaling,
                                     sip::LocalEndpoint local, std::string user_agent)
    : name_(trunk.name),
      next_hop_(next_hop),
      timers_(timers),
      signaling_(signaling),
      user_agent_(std::move(user_agent)),
      dialog_(sip::Dialog::StartOutgoing(TrunkRequest(trunk, next_hop), std::move(local))),
      request_uri_(StrCat("sip:", TrunkDomain(trunk))),
      credentials_(CredentialsOf(trunk)),
      expires_s_(std::max(trunk.register_expires_s, 1)) {}

void TrunkRegistration::Start() {
  started_ = true;
  NewRound();
  Send(expires_s_);
}

void TrunkRegistration::Renew(const TrunkConfig& trunk) {
  if (unregistering_) return;
  credentials_ = CredentialsOf(trunk);
  expires_s_ = std::max(trunk.register_expires_s, 1);
  if (!started_) return;
  timer_.Cancel();
  backoff_ = kFirstRegisterRetry;
  LogInfo("trunk", "trunk registration renewed").With("trunk", name_);
  NewRound();
  Send(expires_s_);
}

void TrunkRegistration::NewRound() {
  raised_this_round_ = false;
  for (std::optional<Answer>* answer : {&www_, &proxy_}) {
    if (*answer) (*answer)->answered_this_round = false;
  }
}

std::string TrunkRegistration::AuthorizationLines() {
  std::string lines;
  for (std::optional<Answer>* answer : {&proxy_, &www_}) {
    if (!*answer) continue;
    lines += sip::AuthorizationHeader((*answer)->challenge, credentials_, "REGISTER", request_uri_,
                                      ++(*answer)->nonce_count, sip::NewCnonce());
  }
  return lines;
}

void TrunkRegistration::Send(int expires) {
  pending_expires_ = expires;
  std::string extra = StrCat("Expires: ", expires, "\r\n");
  if (!user_agent_.empty()) StrAppend(&extra, "User-Agent: ", user_agent_, "\r\n");
  extra += AuthorizationLines();
  std::string bytes =
      dialog_.BuildRequest(sip::Method::kRegister, sip::TransactionLayer::NewBranch(), extra);
  // A refresh leaves a live registration shown as registered.
  if (state_ != RegistrationState::kRegistered || timers_->Now() >= registered_until_) {
    state_ = RegistrationState::kRegistering;
  }
  const uint64_t attempt = ++attempt_;
  std::weak_ptr<bool> alive = alive_;
  const sip::TransactionId sent = signaling_->SendRequest(
      next_hop_, std::move(bytes), [this, alive, attempt](const sip::SipMessage* response) {
        if (!alive.expired()) OnResponse(attempt, response);
      });
  if (sent == 0) Fail(0, "REGISTER could not be sent");
}

void TrunkRegistration::OnResponse(uint64_t attempt, const sip::SipMessage* response) {
  if (attempt != attempt_) return;  // an older REGISTER's late answer
  if (response != nullptr && response->status_code() < 200) return;
  const int code = response == nullptr ? 408 : response->status_code();
  if (unregistering_ && code != 401 && code != 407) return FinishUnregister(code);
  if (response == nullptr) return Fail(408, "no answer");
  if (code < 300) return OnRegistered(*response);
  if (code == 401 || code == 407) return OnChallenged(*response);
  if (code == 423) return OnTooBrief(*response);
  Fail(code, response->reason_phrase());
}

int TrunkRegistration::GrantedExpires(const sip::SipMessage& ok) const {
  const std::string contact = dialog_.local_contact();
  const std::string_view ours = WithoutBrackets(contact);
  int contacts = 0;
  std::optional<int> single;
  for (const sip::HeaderField& field : ok.headers()) {
    if (field.id != HeaderId::kContact) continue;
    auto binding = sip::ParseNameAddr(field.value);
    if (!binding.ok()) continue;
    ++contacts;
    std::optional<int> expires;
    if (auto param = binding->Param("expires")) {
      expires = sip::grammar::ParseDecimal<int>(*param, kLongestMinExpires * 365);
    }
    if (SameBinding(binding->uri_text, ours) && expires) return *expires;
    single = expires;
  }
  if (contacts == 1 && single) return *single;  // a registrar that rewrote our Contact
  if (auto header = sip::grammar::ParseDecimal<int>(ok.HeaderValue(HeaderId::kExpires),
                                                    kLongestMinExpires * 365)) {
    return *header;
  }
  return pending_expires_;
}

void TrunkRegistration::OnRegistered(const sip::SipMessage& ok) {
  int granted = GrantedExpires(ok);
  if (granted <= 0) granted = pending_expires_;
  const bool was_registered = state_ == RegistrationState::kRegistered;
  state_ = RegistrationState::kRegistered;
  last_status_ = ok.status_code();
  registered_until_ = timers_->Now() + absl::Seconds(granted);
  backoff_ = kFirstRegisterRetry;
  ++registrations_;
  if (!was_registered) {
    LogInfo("trunk", "trunk registered")
        .With("trunk", name_)
        .With("expires_s", granted)
        .With("registrar", next_hop_.address.ToString());
  }
  // Refreshed at half the granted time: room for a lost REGISTER or two.
  timer_.Start(timers_, std::max(absl::Seconds(granted) / 2, absl::Seconds(1)), [this] {
    NewRound();
    Send(expires_s_);
  });
}

void TrunkRegistration::OnChallenged(const sip::SipMessage& response) {
  std::optional<sip::DigestChallenge> challenge = sip::PickChallenge(response);
  if (!challenge) return Fail(response.status_code(), "no digest challenge we can answer");
  if (credentials_.username.empty()) return Fail(response.status_code(), "no credentials");
  std::optional<Answer>& answer = challenge->proxy ? proxy_ : www_;
  // Answered once this round already: a new challenge means the answer was
  // wrong, unless it only says our nonce went stale.
  if (answer && answer->answered_this_round && !challenge->stale) {
    return Fail(response.status_code(), "credentials refused");
  }
  const bool same_nonce = answer && answer->challenge.nonce == challenge->nonce;
  if (same_nonce) return Fail(response.status_code(), "credentials refused");
  answer = Answer{*std::move(challenge), 0, true};
  Send(pending_expires_);
}

void TrunkRegistration::OnTooBrief(const sip::SipMessage& response) {
  std::optional<int> minimum;
  if (const sip::HeaderField* field = response.FindHeader("Min-Expires")) {
    minimum = sip::grammar::ParseDecimal<int>(StripWhitespace(field->value), kLongestMinExpires);
  }
  // RFC 3261 §10.2.8: ask again with at least Min-Expires, once a round.
  if (raised_this_round_ || !minimum || *minimum <= pending_expires_) {
    return Fail(423, "Min-Expires unusable");
  }
  raised_this_round_ = true;
  expires_s_ = *minimum;
  Send(expires_s_);
}

void TrunkRegistration::FinishUnregister(int status) {
  unregister_done_ = true;
  state_ = RegistrationState::kNone;
  registered_until_ = absl::InfinitePast();
  last_status_ = status;
  LogInfo("trunk", "trunk unregistered").With("trunk", name_).With("status", status);
  if (unregistered_) std::exchange(unregistered_, nullptr)();
}

void TrunkRegistration::Fail(int status, std::string_view why) {
  if (unregistering_) return FinishUnregister(status);  // no retry at shutdown
  state_ = RegistrationState::kFailed;
  last_status_ = status;
  ++failures_;
  const absl::Duration retry_in = backoff_;
  backoff_ = std::min(backoff_ * 2, kLongestRegisterRetry);
  retry_at_ = timers_->Now() + retry_in;
  LogWarn("trunk", "trunk registration failed")
      .With("trunk", name_)
      .With("status", status)
      .With("why", why)
      .With("retry_in_s", absl::ToInt64Seconds(retry_in));
  timer_.Start(timers_, retry_in, [this] {
    NewRound();
    Send(expires_s_);
  });
}

bool TrunkRegistration::Unregister(std::function<void()> done) {
  timer_.Cancel();
  // Registered, or on the way, or failing a refresh while the last one lasts.
  const bool bound = state_ == RegistrationState::kRegistered ||
                     state_ == RegistrationState::kRegistering ||
                     timers_->Now() < registered_until_;
  if (!bound || unregistering_) return false;
  unregistering_ = true;
  unregistered_ = std::move(done);
  NewRound();
  Send(0);
  return true;
}

void TrunkRegistration::Fill(TrunkLinkStatus& status, absl::Time now) const {
  status.registration = state_;
  status.last_register_status = last_status_;
  status.registered_until = registered_until_;
  status.retry_in = state_ == RegistrationState::kFailed
                        ? std::max(retry_at_ - now, absl::ZeroDuration())
                        : absl::ZeroDuration();
  status.registrations = registrations_;
  status.register_failures = failures_;
}

}  // namespace tutti::trunk
