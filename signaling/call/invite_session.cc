#include "signaling/call/invite_session.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/random/random.h"
#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/reliable_provisional.h"

namespace tutti {

using sip::HeaderId;
using sip::SipMessage;
using sip::TransactionId;

namespace {

void AddSessionHeaders(const SessionTimerDecision& session, sip::MessageWriter& writer) {
  if (!session.active) return;
  writer.Header(HeaderId::kSessionExpires,
                StrCat(session.interval_s, ";refresher=", session.we_refresh ? "uas" : "uac"));
  if (session.require_timer) writer.Header(HeaderId::kRequire, "timer");
}

}  // namespace

InviteSession::InviteSession(sip::CallSignaling* signaling, CallTimers* timers,
                             const InviteSessionOptions* options, sip::Dialog dialog,
                             const sip::MessageSource& source, TransactionId invite,
                             SessionTimerDecision session, std::string call_id, Failed failed)
    : signaling_(signaling),
      timers_(timers),
      options_(options),
      dialog_(std::move(dialog)),
      source_(source),
      invite_(invite),
      session_(session),
      call_id_(std::move(call_id)),
      failed_(std::move(failed)) {}

InviteSession::~InviteSession() = default;  // its OwnedTimers cancel themselves

void InviteSession::Ring(absl::Duration delay, std::function<void()> answer) {
  SendProvisional(180, {}, {});
  answer_timer_.Start(timers_, delay, std::move(answer));
}

void InviteSession::Answer(std::string_view body) {
  answer_timer_.Cancel();
  if (!pending_provisional_.empty() && pending_provisional_has_sdp_) {
    held_answer_ = std::string(body);  // RFC 3262 §3: goes when the PRACK comes
    return;
  }
  StopProvisional();
  sip::MessageWriter ok = signaling_->ResponseFor(invite_, 200, {}, dialog_.id().local_tag);
  ok.Header(HeaderId::kContact, dialog_.local_contact());
  for (const std::string& route : dialog_.route_set()) {
    ok.Header(HeaderId::kRecordRoute, route);
  }
  ok.Header(HeaderId::kAllow, options_->server.allowed_methods);
  ok.Header(HeaderId::kSupported, kSupportedExtensions);
  ok.Header(HeaderId::kServer, options_->server.user_agent);
  AddSessionHeaders(session_, ok);
  SendOk(invite_, *signaling_->Request(invite_), std::move(ok).Finish(body, kSdpType));
}

void InviteSession::RefuseInvite(int status_code, std::string_view reason, bool retry_after) {
  StopProvisional();
  sip::MessageWriter response =
      signaling_->ResponseFor(invite_, status_code, reason, dialog_.id().local_tag);
  if (retry_after) {
    response.Header(HeaderId::kRetryAfter, StrCat(options_->server.retry_after_s));
  }
  signaling_->Respond(invite_, status_code, std::move(response).Finish());
}

bool InviteSession::AcceptInDialog(TransactionId id, const SipMessage& request) {
  if (dialog_.AcceptRemoteCSeq(request)) return true;
  Reject(*signaling_, options_->server, id, 500, "CSeq Out Of Order");
  return false;
}

bool InviteSession::StartReInvite(TransactionId id, const SipMessage& re_invite) {
  if (!CheckRequire(*signaling_, id, re_invite)) return false;
  // RFC 3261 §14.2: one offer/answer at a time; the caller retries later.
  if (state_ != State::kConfirmed) {
    Reject(*signaling_, options_->server, id, 500, "Request Pending");
    return false;
  }
  dialog_.RefreshRemoteTarget(re_invite);
  return true;
}

void InviteSession::AnswerReInvite(TransactionId id, const SipMessage& re_invite,
                                   std::string_view body) {
  sip::MessageWriter ok = signaling_->ResponseFor(id, 200);
  ok.Header(HeaderId::kContact, dialog_.local_contact());
  ok.Header(HeaderId::kAllow, options_->server.allowed_methods);
  ok.Header(HeaderId::kSupported, kSupportedExtensions);
  ok.Header(HeaderId::kServer, options_->server.user_agent);
  // A re-INVITE refreshes the session (RFC 4028 §10) and may change it.
  session_ = DecideSessionTimer(re_invite, options_->session_timers);
  if (session_.reject_min_se > 0) session_ = SessionTimerDecision{};
  AddSessionHeaders(session_, ok);
  invite_ = id;
  SendOk(id, re_invite, std::move(ok).Finish(body, kSdpType));
}

void InviteSession::SendOk(TransactionId id, const SipMessage& invite, std::string ok) {
  ArmSessionTimer();
  pending_ok_ = std::move(ok);
  pending_ok_cseq_ = invite.cseq().number;
  ok_destination_ = sip::ResponseDestination(invite, source_);
  signaling_->Respond(id, 200, pending_ok_);
  state_ = State::kAnswered;
  AwaitAck();
}

// RFC 3261 §13.3.1.4: the 2xx goes again over UDP (T1 doubling to T2) and
// the call ends with BYE when no ACK comes within 64*T1.
void InviteSession::AwaitAck() {
  const absl::Duration t1 = signaling_->timers().t1;
  ok_timer_.Cancel();
  if (source_.transport == sip::TransportKind::kUdp) {
    ok_interval_ = t1;
    ok_timer_.Start(timers_, ok_interval_, [this] { RetransmitOk(); });
  }
  ack_deadline_.Start(timers_, 64 * t1, [this] {
    ok_timer_.Cancel();
    LogWarn("call", "no ACK for 200 OK, ending call").With("call_id", call_id_);
    failed_("no ACK", "no ACK");
  });
}

void InviteSession::RetransmitOk() {
  if (pending_ok_.empty()) return;
  signaling_->SendStateless(ok_destination_, pending_ok_);
  ok_interval_ = std::min(2 * ok_interval_, signaling_->timers().t2);
  ok_timer_.Start(timers_, ok_interval_, [this] { RetransmitOk(); });
}

bool InviteSession::OnAck(const SipMessage& ack) {
  if (pending_ok_.empty() || ack.cseq().number != pending_ok_cseq_) {
    return false;  // a retransmitted or late ACK: nothing left to confirm
  }
  ok_timer_.Cancel();
  ack_deadline_.Cancel();
  pending_ok_.clear();
  state_ = State::kConfirmed;
  return true;
}

void InviteSession::OnBye(TransactionId id) {
  sip::MessageWriter ok = signaling_->ResponseFor(id, 200);
  ok.Header(HeaderId::kServer, options_->server.user_agent);
  signaling_->Respond(id, 200, std::move(ok).Finish());
  if (state_ == State::kRinging) {
    StopProvisional();
    // A BYE in an early dialog: the INVITE still needs its final answer.
    signaling_->Respond(
        invite_, 487,
        signaling_->ResponseFor(invite_, 487, "Request Terminated", dialog_.id().local_tag)
            .Finish());
  }
}

bool InviteSession::OnCancel() {
  if (state_ != State::kRinging) return false;
  StopProvisional();
  sip::MessageWriter response =
      signaling_->ResponseFor(invite_, 487, "Request Terminated", dialog_.id().local_tag);
  signaling_->Respond(invite_, 487, std::move(response).Finish());
  return true;
}

void InviteSession::OnUpdate(TransactionId id, const SipMessage& update) {
  // UPDATE here refreshes a session timer (RFC 4028 §10); an SDP offer in
  // it (RFC 3311) is not taken: re-INVITE changes media.
  if (!update.body().empty()) {
    return Reject(*signaling_, options_->server, id, 488, "Not Acceptable Here");
  }
  SessionTimerDecision session = DecideSessionTimer(update, options_->session_timers);
  if (session.reject_min_se > 0) {
    sip::MessageWriter response = signaling_->ResponseFor(id, 422);
    response.Header(HeaderId::kMinSe, StrCat(session.reject_min_se));
    signaling_->Respond(id, 422, std::move(response).Finish());
    return;
  }
  session_ = session;
  sip::MessageWriter ok = signaling_->ResponseFor(id, 200);
  ok.Header(HeaderId::kContact, dialog_.local_contact());
  AddSessionHeaders(session_, ok);
  signaling_->Respond(id, 200, std::move(ok).Finish());
  ArmSessionTimer();
}

// RFC 4028: (re)starts the session timer after a 2xx that carried one.
void InviteSession::ArmSessionTimer() {
  session_timer_.Cancel();
  if (!session_.active) return;
  const absl::Duration interval = absl::Seconds(session_.interval_s);
  if (session_.we_refresh) {
    // §10: the refresher refreshes at half the interval.
    session_timer_.Start(timers_, interval / 2, [this] { RefreshSession(); });
    return;
  }
  // §10: without a refresh, the other side ends the session at
  // interval - min(32 s, interval / 3) before it expires.
  const absl::Duration margin = std::min(absl::Seconds(32), interval / 3);
  session_timer_.Start(timers_, interval - margin, [this] {
    LogInfo("call", "session timer expired").With("call_id", call_id_);
    failed_("session expired", "session timer expired");
  });
}

void InviteSession::RefreshSession() {
  const std::string extra = StrCat("Session-Expires: ", session_.interval_s,
                                   ";refresher=uas\r\nSupported: ", kSupportedExtensions, "\r\n");
  std::string update =
      dialog_.BuildRequest(sip::Method::kUpdate, sip::TransactionLayer::NewBranch(), extra);
  std::weak_ptr<InviteSession*> self = self_;
  signaling_->SendRequest(dialog_.NextHop(), std::move(update), [self](const SipMessage* response) {
    if (response != nullptr && response->status_code() < 200) return;
    std::shared_ptr<InviteSession*> alive = self.lock();
    if (alive == nullptr) return;
    InviteSession& session = **alive;
    if (response != nullptr && response->status_code() < 300) {
      session.ArmSessionTimer();
      return;
    }
    // §10: a refresh that fails with 408 or 481 (or no answer) ends the
    // session; other failures just leave it to expire.
    const int status = response == nullptr ? 408 : response->status_code();
    LogInfo("call", "session refresh failed")
        .With("call_id", session.call_id_)
        .With("status", status);
    if (status == 408 || status == 481) {
      session.failed_("session refresh failed", "session refresh failed");
    } else {
      session.session_.we_refresh = false;
      session.ArmSessionTimer();
    }
  });
}

void InviteSession::SendBye(std::string_view why, std::function<void(const SipMessage*)> answered) {
  std::string bye =
      dialog_.BuildRequest(sip::Method::kBye, sip::TransactionLayer::NewBranch(),
                           StrCat("Reason: SIP;cause=200;text=\"", why,
                                  "\"\r\nUser-Agent: ", options_->server.user_agent, "\r\n"));
  signaling_->SendRequest(dialog_.NextHop(), std::move(bye), std::move(answered));
}

sip::TransactionId InviteSession::SendRequest(sip::Method method, std::string_view body,
                                              std::string_view content_type,
                                              const std::function<std::string(std::string)>& shape,
                                              std::function<void(const SipMessage*)> answered) {
  std::string request = dialog_.BuildRequest(
      method, sip::TransactionLayer::NewBranch(),
      StrCat("User-Agent: ", options_->server.user_agent, "\r\n"), body, content_type);
  if (shape) request = shape(std::move(request));
  return signaling_->SendRequest(dialog_.NextHop(), std::move(request), std::move(answered));
}

// ---- Early media and reliable provisionals (RFC 3262 §3, UAS) ----

void InviteSession::Progress(std::string_view body) {
  early_ = true;
  SendProvisional(183, "Session Progress", body);
}

void InviteSession::SendProvisional(int status_code, std::string_view reason,
                                    std::string_view body) {
  sip::MessageWriter response =
      signaling_->ResponseFor(invite_, status_code, reason, dialog_.id().local_tag);
  response.Header(HeaderId::kContact, dialog_.local_contact());
  // A 1xx with our tag sets up the early dialog a PRACK travels in (§12.1.1).
  for (const std::string& route : dialog_.route_set()) {
    response.Header(HeaderId::kRecordRoute, route);
  }
  response.Header(HeaderId::kServer, options_->server.user_agent);
  if (!reliable_) {
    signaling_->Respond(invite_, status_code, std::move(response).Finish(body, kSdpType));
    return;
  }
  if (!pending_provisional_.empty()) {
    // §3: one unacknowledged at a time; we never have a second to send.
    LogWarn("call", "reliable provisional dropped: one awaits its PRACK")
        .With("call_id", call_id_)
        .With("status", status_code);
    return;
  }
  if (rseq_ == 0) {
    // §3: the first RSeq is drawn from 1 to 2**31 - 1.
    absl::BitGen bitgen;
    rseq_ = absl::Uniform<uint32_t>(absl::IntervalClosed, bitgen, 1u, (1u << 31) - 1);
  } else {
    ++rseq_;
  }
  response.Header(HeaderId::kRequire, "100rel");
  response.Header("RSeq", StrCat(rseq_));
  pending_provisional_ = std::move(response).Finish(body, kSdpType);
  pending_provisional_status_ = status_code;
  pending_provisional_has_sdp_ = !body.empty();
  signaling_->Respond(invite_, status_code, pending_provisional_);
  const absl::Duration t1 = signaling_->timers().t1;
  provisional_interval_ = t1;
  provisional_timer_.Start(timers_, provisional_interval_, [this] { RetransmitProvisional(); });
  prack_deadline_.Start(timers_, 64 * t1, [this] {
    LogWarn("call", "no PRACK for reliable provisional, refusing call")
        .With("call_id", call_id_)
        .With("status", pending_provisional_status_);
    RefuseInvite(504, "Server Time-out");
    failed_("no PRACK", "no PRACK");
  });
}

// §3: T1, doubling each time (no T2 cap), until the PRACK or 64*T1.
void InviteSession::RetransmitProvisional() {
  if (pending_provisional_.empty()) return;
  signaling_->Respond(invite_, pending_provisional_status_, pending_provisional_);
  provisional_interval_ *= 2;
  provisional_timer_.Start(timers_, provisional_interval_, [this] { RetransmitProvisional(); });
}

void InviteSession::StopProvisional() {
  provisional_timer_.Cancel();
  prack_deadline_.Cancel();
  pending_provisional_.clear();
  held_answer_.reset();
}

void InviteSession::OnPrack(TransactionId id, const SipMessage& prack) {
  const sip::HeaderField* rack_header = prack.FindHeader("RAck");
  const std::optional<sip::RAck> rack =
      rack_header != nullptr ? sip::ParseRAck(rack_header->value) : std::nullopt;
  const SipMessage* invite = signaling_->Request(invite_);
  if (pending_provisional_.empty() || !rack || rack->rseq != rseq_ || rack->method != "INVITE" ||
      (invite != nullptr && rack->cseq != invite->cseq().number)) {
    return Reject(*signaling_, options_->server, id, 481, "Call/Transaction Does Not Exist");
  }
  provisional_timer_.Cancel();
  prack_deadline_.Cancel();
  pending_provisional_.clear();
  sip::MessageWriter ok = signaling_->ResponseFor(id, 200);
  ok.Header(HeaderId::kServer, options_->server.user_agent);
  signaling_->Respond(id, 200, std::move(ok).Finish());
  if (std::optional<std::string> held = std::exchange(held_answer_, std::nullopt)) Answer(*held);
}

}  // namespace tutti
