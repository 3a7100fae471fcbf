// Calls from SIP trunks: an INVITE from a trunk's address goes where the
// dial plan sends its number (a room, or the IVR with the room perhaps
// pre-filled), within the trunk's limits, with the caller's number for its
// name, the API, events and the call record. Others may call rooms by name
// when [trunks] allows it, never numbers. Early media (183 with SDP while
// the IVR talks) and RFC 3262 reliable provisionals for carriers that ask.
#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/sip/reliable_provisional.h"
#include "signaling/trunk/phone_number.h"

namespace tutti {

using sip::HeaderId;
using sip::SipMessage;
using sip::TransactionId;

const trunk::TrunkConfig* CallController::TrunkOf(const sip::MessageSource& source) const {
  return trunks_ == nullptr ? nullptr : trunks_->FromSource(source.address);
}

std::optional<CallController::InboundRoute> CallController::RouteInbound(
    TransactionId id, const SipMessage& invite, const sip::MessageSource& source) {
  if (const trunk::TrunkConfig* trunk = TrunkOf(source)) return RouteTrunkCall(id, invite, *trunk);
  const std::string_view user = invite.request_uri().user;
  InboundRoute route;
  route.room = std::string(user);
  route.ivr = !options_.ivr_number.empty() && user == options_.ivr_number;
  const bool names_room = route.ivr || rooms_->Find(user) != nullptr;
  // A number not in a trunk's call is someone trying the carrier's way in
  // (or toll fraud's): only rooms by name, and only where allowed.
  if (!options_.trunk_policy.allow_room_calls_from_anywhere ||
      (!names_room && CallsNumber(invite))) {
    ++inbound_trunk_counters_.refused_stranger;
    static LogRateLimit stranger_log(5, 20);  // a stranger may say this as often as it likes
    if (uint64_t held = 0; stranger_log.Allow(&held)) {
      LogInfo("call", "call from no trunk refused")
          .With("call_id", invite.call_id())
          .With("from", source.address.ip())
          .With("to", invite.request_uri_text())
          .With("suppressed", held);
    }
    Reject(id, 403, "Forbidden");
    return std::nullopt;
  }
  return route;
}

std::optional<CallController::InboundRoute> CallController::RouteTrunkCall(
    TransactionId id, const SipMessage& invite, const trunk::TrunkConfig& trunk) {
  ++inbound_trunk_counters_.calls;
  if (trunk.prack == "off" && sip::Requires100rel(invite)) {
    sip::MessageWriter response =
        transactions_->ResponseFor(id, 420, "Bad Extension", sip::TransactionLayer::NewTag());
    response.Header(HeaderId::kUnsupported, "100rel");
    transactions_->Respond(id, 420, std::move(response).Finish());
    return std::nullopt;
  }
  InboundRoute route;
  route.trunk = &trunk;
  std::optional<trunk::CallDestination> destination;
  if (std::optional<std::string> number = trunk::CalledNumberOf(invite, trunk.numbers)) {
    route.called_number = std::move(*number);
    if (dial_plan_ != nullptr) destination = dial_plan_->Route(trunk.name, route.called_number);
  }
  if (!destination) {
    ++inbound_trunk_counters_.refused_no_route;
    LogInfo("call", "trunk call to no number of ours")
        .With("call_id", invite.call_id())
        .With("trunk", trunk.name)
        .With("number", route.called_number);
    Reject(id, 404, "Not Found");
    return std::nullopt;
  }
  route.room = std::move(destination->room);
  // A pattern's pre-filled room is a call to that room (the IVR asks only
  // for its PIN); none, or one that does not exist: the IVR asks for it.
  route.ivr = destination->kind == trunk::CallDestination::Kind::kIvr &&
              (route.room.empty() || rooms_->Find(route.room) == nullptr);
  LogInfo("call", "trunk call")
      .With("call_id", invite.call_id())
      .With("trunk", trunk.name)
      .With("number", route.called_number)
      .With("to", route.ivr ? std::string("ivr") : route.room);
  return route;
}

bool CallController::CallsNumber(const SipMessage& invite) const {
  const sip::SipUri& uri = invite.request_uri();
  if (EqualsIgnoreCase(uri.scheme, "tel")) return true;
  if (std::optional<std::string_view> user = uri.Param("user"); user && *user == "phone") {
    return true;
  }
  if (uri.user.starts_with("+") || uri.user.starts_with("%2B") || uri.user.starts_with("%2b")) {
    return true;
  }
  if (dial_plan_ == nullptr) return false;
  const std::optional<std::string> number = trunk::CalledNumberOf(invite, trunk::NumberRules{});
  if (!number) return false;
  for (const trunk::DialPlanRule& rule : dial_plan_->rules()) {
    if (trunk::MatchesPattern(rule.match, *number)) return true;
  }
  return false;
}

void CallController::TakeTrunkCaller(Call& call, const SipMessage& invite,
                                     const Admission& admitted) {
  const trunk::TrunkConfig& trunk = *admitted.trunk;
  const trunk::CallerIdentity caller = trunk::CallerOf(invite, trunk.numbers);
  call.trunk = HoldTrunk(trunk);
  call.called_number = admitted.called_number;
  call.caller_number = caller.number;
  call.caller_withheld = caller.withheld;
  // Its name in the room (roster, chat): the trunk's word for the caller.
  if (caller.withheld) {
    call.from_display_name = "anonymous";
  } else if (!caller.display_name.empty()) {
    call.from_display_name = caller.display_name;
  } else if (!caller.number.empty()) {
    call.from_display_name = caller.number;
  }
  LogInfo("call", "trunk caller")
      .With("call_id", call.call_id)
      .With("trunk", trunk.name)
      .With("caller", call.shown_caller_number())
      .With("identity", caller.source);
}

bool CallController::AdmitTrunkLimits(TransactionId id, const Call& call) {
  if (call.trunk == nullptr || trunk_guard_ == nullptr) return true;
  if (trunk_guard_->AdmitInbound(*call.trunk, timers_->Now())) return true;
  ++inbound_trunk_counters_.refused_busy;
  static LogRateLimit busy_log(5, 20);
  if (uint64_t held = 0; busy_log.Allow(&held)) {
    LogWarn("call", "trunk call limit reached")
        .With("call_id", call.call_id)
        .With("trunk", call.trunk->name)
        .With("calls", trunk_guard_->calls(call.trunk->name))
        .With("suppressed", held);
  }
  Reject(id, 503, "Trunk Busy");  // with Retry-After
  return false;
}

std::vector<sdp::AudioCodec> CallController::ReOfferCodecs(const Call& call,
                                                           const sdp::SessionDescription& offer,
                                                           const sdp::LocalMedia& local) const {
  if (!call.audio) return local.codecs;
  sdp::LocalMedia kept = local;
  kept.codecs = {call.audio->codec};
  const absl::StatusOr<sdp::AnswerResult> trial =
      sdp::AnswerOffer(offer, kept, sdp::OfferKind::kReOffer);
  if (trial.ok() && trial->has_audio) return kept.codecs;
  LogInfo("call", "re-INVITE changes the codec")
      .With("call_id", call.call_id)
      .With("from", sdp::AudioCodecName(call.audio->codec));
  return local.codecs;
}

void CallController::TrunkCallEnded(const Call& call) {
  if (call.trunk != nullptr && trunk_guard_ != nullptr) trunk_guard_->CallEnded(*call.trunk);
}

void CallController::ChooseProvisionals(Call& call, const SipMessage& invite) {
  const bool asked =
      sip::Requires100rel(invite) ||
      (call.trunk != nullptr && call.trunk->prack != "off" && sip::Supports100rel(invite));
  if (asked) call.session->UseReliableProvisionals();
}

void CallController::SendAnswer(Call& call, std::string_view body) {
  // Early media needs the caller's offer: our 183 carries the answer.
  const bool early = call.trunk != nullptr && call.trunk->early_media && call.dial_in &&
                     call.remote_offer && !body.empty();
  if (early) {
    call.early_answer = std::string(body);
    call.session->Progress(body);
    ++inbound_trunk_counters_.early_media;
    return;
  }
  call.session->Answer(body);
  call.answered = absl::Now();
  ++calls_answered_;
}

void CallController::AnswerEarlyMedia(Call& call) {
  // RFC 3262 §3 / RFC 3261 §13.2.1: the 200 repeats the answer the 183 gave.
  call.session->Answer(call.early_answer);
  call.answered = absl::Now();
  ++calls_answered_;
  LogInfo("call", "call answered after early media")
      .With("call_id", call.call_id)
      .With("trunk", call.trunk != nullptr ? call.trunk->name : std::string());
}

void CallController::OnPrack(TransactionId id, const SipMessage& prack) {
  Call* call = FindByDialog(prack);
  if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
  if (!call->session->AcceptInDialog(id, prack)) return;
  call->session->OnPrack(id, prack);
}

}  // namespace tutti
