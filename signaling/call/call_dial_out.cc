// Dial-outs (issue 18): tutti calls a phone through a trunk and, answered,
// the callee joins the room as a participant. dial_outs.h has the states.
// The ringing call is kept in `dialing_` (not a participant: the roster,
// the API's participants and the shutdown's BYEs never see it); its 2xx
// moves it into `calls_` with an InviteSession over our own dialog, so from
// then on it is a call like any other (BYE both ways, re-INVITE, Kick).
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/event_json.h"
#include "signaling/call/media_security.h"
#include "signaling/sip/digest_client.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/reliable_provisional.h"
#include "signaling/trunk/phone_number.h"

namespace tutti {

using sip::Method;
using sip::SipMessage;

namespace {

// Our identity towards the callee: the caller ID as a number URI (also
// in P-Asserted-Identity, RFC 3325, for carriers that show that), else the
// trunk's account, else anonymous (RFC 3323).
std::string FromUri(const trunk::TrunkConfig& trunk, std::string_view caller_id) {
  if (!caller_id.empty()) return trunk::NumberUri(caller_id, TrunkDomain(trunk), trunk.numbers);
  if (!trunk.username.empty()) return StrCat("sip:", trunk.username, "@", TrunkDomain(trunk));
  return "sip:anonymous@anonymous.invalid";
}

}  // namespace

absl::StatusOr<uint64_t> CallController::DialOut(DialOutRequest request) {
  control_thread_.Check();
  absl::StatusOr<DialOutPlan> plan = PlanDialOut(request);
  absl::StatusOr<std::unique_ptr<Call>> made =
      plan.ok() ? NewDialOutCall(request, *plan)
                : absl::StatusOr<std::unique_ptr<Call>>(plan.status());
  if (!made.ok()) {
    if (plan.ok()) {  // counted by the guard already
      trunk_guard_->DialOutEnded(*plan->target.trunk, plan->room->name);
      trunk_guard_->CallEnded(*plan->target.trunk);
    }
    ++dial_out_counters_.refused;
    LogInfo("dial_out", "dial-out refused")
        .With("room", request.room)
        .With("requested_by", request.requested_by)
        .With("why", std::string(made.status().message()));
    if (events_ != nullptr) {
      events_->Publish("dial_out", StrCat("{\"room\":", JsonString(request.room),
                                          ",\"requested_by\":", JsonString(request.requested_by),
                                          ",\"state\":\"refused\",\"why\":",
                                          JsonString(std::string(made.status().message())), "}"));
    }
    return made.status();
  }
  const uint64_t id = (*made)->id;
  Call& call = *dialing_.emplace(id, std::move(*made)).first->second;
  presence_.Take(call.room);
  call.dial_out->answer_timer.Start(timers_, plan->timeout, [this, id] {
    auto it = dialing_.find(id);
    if (it != dialing_.end() && it->second->dial_out->state == DialOutLeg::State::kInviting) {
      CancelDialOut(*it->second, "timeout");
    }
  });
  ++dial_out_counters_.started;
  LogInfo("dial_out", "dialling out")
      .With("room", call.room)
      .With("id", id)
      .With("trunk", call.dial_out->trunk->name)
      .With("number", call.dial_out->number)
      .With("requested_by", call.dial_out->requested_by);
  PublishDialOut(call, "calling");
  SendDialOutInvite(call);  // may end it at once (the bytes refused)
  return id;
}

absl::StatusOr<CallController::DialOutPlan> CallController::PlanDialOut(
    const DialOutRequest& request) {
  if (shutting_down_) return absl::UnavailableError("shutting down");
  DialOutPlan plan;
  plan.room = rooms_->Find(request.room);
  if (plan.room == nullptr) return absl::NotFoundError(StrCat("no room ", request.room));
  if (trunks_ == nullptr || trunks_->empty() || trunk_guard_ == nullptr) {
    return absl::PermissionDeniedError("no trunk is configured for dial-outs");
  }
  absl::StatusOr<DialOutTarget> target =
      ResolveDialOutTarget(*trunks_, request.target, [this](const trunk::TrunkConfig& trunk) {
        return trunk_links_ != nullptr && !trunk_links_->Up(trunk.name);
      });
  if (!target.ok()) return target.status();
  plan.target = std::move(*target);
  const trunk::TrunkConfig& trunk = *plan.target.trunk;
  const std::string& caller = request.caller_id.empty() ? trunk.caller_id : request.caller_id;
  if (!caller.empty()) {
    std::optional<std::string> number = trunk::NormalizeNumber(caller, trunk.numbers);
    if (!number) return absl::InvalidArgumentError("caller_id is not a phone number");
    plan.caller_id = std::move(*number);
  }
  if (presence_.Full(*plan.room)) return absl::ResourceExhaustedError("the room is full");
  // Before the trunk guard counts it: a call the workers cannot mix.
  if (absl::Status media = AdmitDialOutMedia(rooms_->ConferenceId(plan.room->name)); !media.ok()) {
    return media;
  }
  // The API may ask for less than [dial_out] answer_timeout_s, never more.
  plan.timeout = absl::Seconds(std::max(1, options_.dial_out.answer_timeout_s));
  if (request.timeout > absl::ZeroDuration())
    plan.timeout = std::min(plan.timeout, request.timeout);
  // Last: the guard counts what it admits.
  if (absl::Status admitted =
          trunk_guard_->AdmitDialOut(trunk, plan.room->name, plan.target.number, timers_->Now());
      !admitted.ok()) {
    return admitted;
  }
  return plan;
}

absl::StatusOr<std::unique_ptr<CallController::Call>> CallController::NewDialOutCall(
    const DialOutRequest& request, const DialOutPlan& plan) {
  const trunk::TrunkConfig& trunk = *plan.target.trunk;
  const sip::Destination hop = trunks_->NextHop(trunk);
  auto call = std::make_unique<Call>();
  call->id = next_call_id_++;
  call->member.id = call->id;
  call->room = plan.room->name;
  call->call_id =
      StrCat(sip::TransactionLayer::NewTag(), sip::TransactionLayer::NewTag(), "@tutti");
  call->media = MediaLeg(media_, call->id, rooms_->ConferenceId(call->room), options_.dtls_context,
                         call->call_id);
  const std::string callee =
      trunk::NumberUri(plan.target.number, TrunkDomain(trunk), trunk.numbers);
  call->from_uri = callee;
  call->from_display_name = request.display_name.empty()
                                ? trunk::FormatNumber(plan.target.number, trunk.numbers)
                                : request.display_name;
  call->source = {hop.transport, hop.address, hop.connection_id, hop.local};
  call->wall_started = absl::Now();
  call->started = timers_->Now();
  if (hop.address.is_ipv6() && !options_.media.ipv6.empty()) {
    call->media_family = media::IpFamily::kIpv6;
  }
  call->local_media.address = options_.media.For(call->media_family);
  // The room's codecs in the trunk's order (G.711 when the room names none a carrier has).
  call->local_media.codecs = sdp::ApplyCodecOrder(
      sdp::AudioCodecsNamed(plan.room->codecs.empty() ? options_.audio_codecs : plan.room->codecs),
      trunk.codecs);
  if (call->local_media.codecs.empty()) {
    call->local_media.codecs = {sdp::AudioCodec::kPcmu, sdp::AudioCodec::kPcma};
  }
  absl::BitGen bitgen;
  call->local_media.session_id = absl::Uniform<uint32_t>(bitgen);
  call->local_media.session_version = 1;
  // Carriers take plain RTP: SDES keys over plain SIP would be readable anyway.
  call->local_media.security = SecurityFor("off", "off", hop.transport, false);
  absl::StatusOr<media::PortPair> ports = ports_->Allocate(call->media_family);
  if (!ports.ok()) return absl::UnavailableError("no media ports");
  call->local_media.rtp_port = ports->rtp_port();
  call->media.set_ports(std::move(*ports));
  call->our_offer = sdp::MakeOffer(call->local_media);

  auto leg = std::make_unique<DialOutLeg>();
  leg->trunk = HoldTrunk(trunk);
  leg->number = plan.target.number;
  leg->caller_id = plan.caller_id;
  leg->requested_by = request.requested_by;
  leg->request_uri = callee;
  leg->hop = hop;
  sip::OutgoingDialog start;
  start.request_uri = callee;
  start.from_uri = FromUri(trunk, plan.caller_id);
  if (plan.caller_id.empty() && trunk.username.empty()) start.from_display = "Anonymous";
  start.to_uri = callee;
  if (!trunk.outbound_proxy.empty()) start.routes = {StrCat("<sip:", trunk.outbound_proxy, ";lr>")};
  start.next_hop = hop;
  leg->dialog = sip::Dialog::StartOutgoing(start, options_.local);
  leg->invite_body = sdp::WriteSdp(*call->our_offer);
  if (!plan.caller_id.empty()) {
    StrAppend(&leg->invite_extra, "P-Asserted-Identity: <", FromUri(trunk, plan.caller_id),
              ">\r\n");
  }
  StrAppend(&leg->invite_extra, "Allow: ", server_.allowed_methods, "\r\n");
  if (trunk.prack != "off") StrAppend(&leg->invite_extra, "Supported: 100rel\r\n");
  if (trunk.prack == "required") StrAppend(&leg->invite_extra, "Require: 100rel\r\n");
  StrAppend(&leg->invite_extra, "User-Agent: ", options_.user_agent, "\r\n");
  call->dial_out = std::move(leg);
  return call;
}

void CallController::SendDialOutInvite(Call& call) {
  DialOutLeg& leg = *call.dial_out;
  leg.invite_branch = sip::TransactionLayer::NewBranch();
  std::string invite =
      leg.dialog.BuildRequest(Method::kInvite, leg.invite_branch,
                              StrCat(leg.invite_extra, leg.proxy_authorization, leg.authorization),
                              leg.invite_body, kSdpType);
  leg.invite_cseq = leg.dialog.local_cseq();
  leg.cancel = leg.dialog.BuildCancel(leg.invite_cseq, leg.invite_branch);
  const uint64_t id = call.id;
  if (transactions_->SendRequest(
          leg.hop, std::move(invite),
          [this, id](const SipMessage* response) { OnDialOutResponse(id, response); }) == 0) {
    FailDialOut(id, 500, "INVITE not sent", "failed");
  }
}

void CallController::OnDialOutResponse(uint64_t id, const SipMessage* response) {
  auto it = dialing_.find(id);
  if (it == dialing_.end()) {
    // Answered already: a retransmitted 2xx means our ACK was lost.
    auto answered = calls_.find(id);
    if (response != nullptr && response->status_code() < 300 && response->status_code() >= 200 &&
        answered != calls_.end() && answered->second->dial_out != nullptr) {
      const DialOutLeg& leg = *answered->second->dial_out;
      transactions_->SendStateless(answered->second->session->dialog().NextHop(), leg.ack);
    }
    return;
  }
  Call& call = *it->second;
  DialOutLeg& leg = *call.dial_out;
  const bool cancelling = leg.state == DialOutLeg::State::kCancelling;
  if (response == nullptr) {  // timer B, or the transport failed
    return FailDialOut(id, 408, "Request Timeout", cancelling ? leg.outcome : "no answer");
  }
  const int status = response->status_code();
  if (status < 200) return OnDialOutProvisional(call, *response);
  if (status < 300) return OnDialOutAnswered(id, *response);
  if ((status == 401 || status == 407) && !cancelling && AnswerDialOutChallenge(call, *response)) {
    return;
  }
  FailDialOut(id, status, response->reason_phrase(), cancelling ? leg.outcome : "failed");
}

void CallController::OnDialOutProvisional(Call& call, const SipMessage& response) {
  DialOutLeg& leg = *call.dial_out;
  const int status = response.status_code();
  if (status == 100) return;
  if (sip::Requires100rel(response) && !response.to().tag.empty()) {
    // RFC 3262 §4: PRACK each reliable provisional once, in RSeq order;
    // its retransmissions are absorbed by the PRACK's own transaction.
    const std::optional<uint32_t> rseq = sip::RSeqOf(response);
    if (rseq && (leg.last_rseq == 0 || *rseq == leg.last_rseq + 1)) {
      leg.last_rseq = *rseq;
      leg.dialog.Confirm(response);  // the early dialog (§12.1.2): its tag, target, routes
      std::string prack =
          leg.dialog.BuildRequest(Method::kPrack, sip::TransactionLayer::NewBranch(),
                                  StrCat("RAck: ", sip::RAckValue(*rseq, leg.invite_cseq), "\r\n"));
      transactions_->SendRequest(leg.dialog.NextHop(), std::move(prack), [](const SipMessage*) {});
    }
  }
  // Early media is passed to nobody: the callee hears the room once it answers.
  bool& told = status == 180 ? leg.ringing_told : leg.progress_told;
  if (told) return;
  told = true;
  PublishDialOut(call, status == 180 ? "ringing" : "progress");
  NotifyReferrer(leg, status, response.reason_phrase(), false);
}

bool CallController::AnswerDialOutChallenge(Call& call, const SipMessage& response) {
  DialOutLeg& leg = *call.dial_out;
  const trunk::TrunkConfig& trunk = *leg.trunk;
  if (trunk.username.empty() || leg.auth_attempts >= DialOutLeg::kMaxAuthAttempts) return false;
  std::optional<sip::DigestChallenge> challenge = sip::PickChallenge(response);
  if (!challenge) return false;
  // Once per challenge: asked again means the credentials were wrong,
  // unless the nonce only went stale (RFC 7616 §3.3).
  bool& answered = challenge->proxy ? leg.answered_407 : leg.answered_401;
  if (answered && !challenge->stale) return false;
  answered = true;
  ++leg.auth_attempts;
  const sip::DigestClientCredentials credentials{
      trunk.auth_username.empty() ? trunk.username : trunk.auth_username, trunk.password};
  (challenge->proxy ? leg.proxy_authorization : leg.authorization) = sip::AuthorizationHeader(
      *challenge, credentials, "INVITE", leg.request_uri, 1, sip::NewCnonce());
  LogInfo("dial_out", "answering a digest challenge")
      .With("call_id", call.call_id)
      .With("trunk", trunk.name)
      .With("realm", challenge->realm)
      .With("status", response.status_code());
  SendDialOutInvite(call);
  return true;
}

void CallController::OnDialOutAnswered(uint64_t id, const SipMessage& ok) {
  std::unique_ptr<Call>& slot = dialing_.at(id);
  DialOutLeg& leg = *slot->dial_out;
  leg.dialog.Confirm(ok);
  leg.ack = leg.dialog.BuildAck(leg.invite_cseq, sip::TransactionLayer::NewBranch());
  transactions_->SendStateless(leg.dialog.NextHop(), leg.ack);
  leg.answer_timer.Cancel();
  absl::StatusOr<sdp::AcceptedAnswer> accepted =
      absl::FailedPreconditionError("the 2xx carries no SDP answer");
  if (!ok.body().empty() && IsSdp(ok.content_type())) {
    absl::StatusOr<sdp::SessionDescription> answer = sdp::ParseSdp(ok.body());
    accepted = answer.ok() ? sdp::AcceptAnswer(*slot->our_offer, *answer) : answer.status();
  }
  if (accepted.ok()) {
    if (absl::StatusOr<media::IpFamily> family =
            MediaFamilyFor(accepted->audio.remote_address, options_.media, slot->media_family);
        !family.ok()) {
      accepted = family.status();
    }
  }
  if (leg.state == DialOutLeg::State::kCancelling || !accepted.ok()) {
    // Answered as we gave up, or with nothing we can take: over, with BYE.
    const bool crossed = leg.state == DialOutLeg::State::kCancelling;
    transactions_->SendRequest(
        leg.dialog.NextHop(),
        leg.dialog.BuildRequest(Method::kBye, sip::TransactionLayer::NewBranch()),
        [](const SipMessage*) {});
    if (!crossed) {
      LogInfo("dial_out", "unacceptable answer")
          .With("call_id", slot->call_id)
          .With("why", std::string(accepted.status().message()));
    }
    return FailDialOut(id, 200, ok.reason_phrase(), crossed ? leg.outcome : "bad answer");
  }
  std::unique_ptr<Call> owned = std::move(slot);
  dialing_.erase(id);
  Call& call = *owned;
  leg.state = DialOutLeg::State::kAnswered;
  leg.final_status = ok.status_code();
  leg.final_reason = std::string(ok.reason_phrase());
  leg.outcome = "answered";
  call.our_offer.reset();
  call.audio = std::move(accepted->audio);
  call.session = std::make_unique<InviteSession>(
      transactions_, timers_, &session_options_, leg.dialog, call.source, 0, SessionTimerDecision{},
      call.call_id, [this, id](std::string_view bye_why, std::string_view end_why) {
        WithCall(id, [&](Call& failed) {
          SendBye(failed, bye_why);
          EndCall(id, end_why);
        });
      });
  call.session->ConfirmedByOurAck();
  call.answered = absl::Now();
  by_dialog_.emplace(call.session->dialog().id(), id);
  calls_.emplace(id, std::move(owned));
  overload_->CallStarted(id, SourceIp::From(call.source.address), timers_->Now());
  ++calls_answered_;
  ++dial_out_counters_.answered;
  LogInfo("dial_out", "dial-out answered")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("codec", sdp::AudioCodecName(call.audio->codec));
  PublishDialOut(call, "answered");
  NotifyReferrer(leg, leg.final_status, leg.final_reason, true);
  leg.refer_call = 0;
  JoinMedia(call);  // in the room once the worker has it
}

void CallController::CancelDialOut(Call& call, std::string_view outcome) {
  DialOutLeg& leg = *call.dial_out;
  leg.state = DialOutLeg::State::kCancelling;
  leg.outcome = std::string(outcome);
  leg.answer_timer.Cancel();
  LogInfo("dial_out", "cancelling a dial-out").With("call_id", call.call_id).With("why", outcome);
  // The INVITE's final response (487, or a 2xx that crossed) ends it; a
  // callee that never sends one is given up on after 64*T1 (RFC 3261 §9.1).
  transactions_->SendRequest(leg.hop, leg.cancel, [](const SipMessage*) {});
  const uint64_t id = call.id;
  leg.answer_timer.Start(timers_, 64 * transactions_->timers().t1, [this, id] {
    auto it = dialing_.find(id);
    if (it != dialing_.end())
      FailDialOut(id, 408, "No Answer To CANCEL", it->second->dial_out->outcome);
  });
}

void CallController::FailDialOut(uint64_t id, int status, std::string_view reason,
                                 std::string_view outcome) {
  auto it = dialing_.find(id);
  if (it == dialing_.end()) return;
  std::unique_ptr<Call> call = std::move(it->second);
  dialing_.erase(it);
  DialOutLeg& leg = *call->dial_out;
  leg.state = DialOutLeg::State::kOver;
  leg.final_status = status;
  leg.final_reason = std::string(reason);
  leg.outcome = std::string(outcome);
  ++dial_out_counters_.failed;
  presence_.Free(call->room);
  trunk_guard_->DialOutEnded(*leg.trunk, call->room);
  trunk_guard_->CallEnded(*leg.trunk);
  LogInfo("dial_out", "dial-out failed")
      .With("call_id", call->call_id)
      .With("room", call->room)
      .With("status", status)
      .With("outcome", outcome);
  records_.Ended(RecordFor(*call, outcome));
  PublishDialOut(*call, "failed");
  NotifyReferrer(leg, status, reason, true);
  if (leg.shutdown) {
    --byes_in_flight_;
    MaybeFinishShutdown();
  }
}  // the call's ports close here

void CallController::DialOutCallEnded(const Call& call, std::string_view why) {
  DialOutLeg& leg = *call.dial_out;
  if (leg.state != DialOutLeg::State::kAnswered) return;
  leg.state = DialOutLeg::State::kOver;
  leg.outcome = std::string(why);
  trunk_guard_->DialOutEnded(*leg.trunk, call.room);
  trunk_guard_->CallEnded(*leg.trunk);
  PublishDialOut(call, "ended");
}

void CallController::PublishDialOut(const Call& call, std::string_view state) {
  if (events_ == nullptr) return;
  events_->Publish("dial_out", DialOutEventJson(call.room, call.id, *call.dial_out, state));
}

void CallController::AddDialOutRecord(const Call& call, CallRecord* record) const {
  const DialOutLeg& leg = *call.dial_out;
  record->direction = "out";
  record->trunk = leg.trunk->name;
  record->called_number = leg.number;
  record->caller_number = leg.caller_id;
  record->requested_by = leg.requested_by;
  record->final_status = leg.final_status;
}

void CallController::EndDialOuts(std::string_view room) {
  std::vector<uint64_t> ids;
  for (const auto& [id, call] : dialing_) {
    if (room.empty() || call->room == room) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    Call& call = *dialing_.at(id);
    if (call.dial_out->state != DialOutLeg::State::kInviting) continue;
    if (room.empty()) {  // shutdown waits for their final answers
      call.dial_out->shutdown = true;
      ++byes_in_flight_;
    }
    CancelDialOut(call, room.empty() ? "shutdown" : "room removed");
  }
}

}  // namespace tutti
