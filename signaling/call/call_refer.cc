// REFER (RFC 3515) from a participant, inside its call's dialog:
//  - Refer-To a room of ours (sip:<room>@<our host>): a blind transfer,
//    the call leaves its room for that one (its media leg moves there);
//  - Refer-To a number or a trunk's sip: URI: RFC 4579's "add a
//    participant": a dial-out into the referrer's room, with the toll-fraud
//    guard of any dial-out (refused: 403 before any 202).
// Accepted with 202; the progress in NOTIFYs (Event: refer, message/sipfrag)
// unless the referrer asked for none (Refer-Sub: false, RFC 4488).
#include <string>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/media_security.h"
#include "signaling/sip/header_values.h"
#include "signaling/trunk/phone_number.h"

namespace tutti {

using sip::HeaderId;
using sip::SipMessage;

namespace {

// Dial-outs a participant's REFERs may have ringing at once.
constexpr int kMaxRefersPerCall = 3;

bool WantsNoNotify(const SipMessage& refer) {
  const sip::HeaderField* refer_sub = refer.FindHeader("Refer-Sub");
  return refer_sub != nullptr && EqualsIgnoreCase(StripWhitespace(refer_sub->value), "false");
}

}  // namespace

void CallController::OnRefer(sip::TransactionId id, const SipMessage& refer,
                             const sip::MessageSource& source) {
  (void)source;
  if (refer.to().tag.empty()) {
    // RFC 4579's REFER to the conference URI outside a dialog is not taken:
    // it would be a stranger's word; participants REFER inside their call.
    return Reject(id, 403, "Forbidden", "REFER is taken inside a participant's call only");
  }
  Call* call = FindByDialog(refer);
  if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
  if (!call->session->AcceptInDialog(id, refer)) return;
  if (call->dial_in || !call->member.in_room ||
      call->session->state() != InviteSession::State::kConfirmed) {
    return Reject(id, 403, "Forbidden", "only participants in a room may REFER");
  }
  if (refer.CountHeaders(HeaderId::kReferTo) != 1) {
    return Reject(id, 400, "Bad Request", "a REFER needs one Refer-To");
  }
  absl::StatusOr<sip::NameAddr> target = sip::ParseNameAddr(refer.HeaderValue(HeaderId::kReferTo));
  if (!target.ok()) return Reject(id, 400, "Bad Request", "malformed Refer-To");
  const sip::SipUri& uri = target->uri;
  if (!uri.headers.empty() && AsciiLowered(uri.headers).find("replaces") != std::string::npos) {
    return Reject(id, 501, "Not Implemented", "Refer-To with Replaces is not supported");
  }
  if (std::optional<std::string_view> method = uri.Param("method");
      method && !EqualsIgnoreCase(*method, "INVITE")) {
    return Reject(id, 501, "Not Implemented", "Refer-To may only ask for an INVITE");
  }
  const bool ours = uri.is_sip() && (EqualsIgnoreCase(uri.host, options_.local.host) ||
                                     EqualsIgnoreCase(uri.host, options_.local.host6));
  if (const RoomConfig* room = ours ? rooms_->Find(uri.user) : nullptr; room != nullptr) {
    return ReferToRoom(id, refer, *call, *room);
  }
  // A number at our own host is the number; anything else is for the trunks to judge.
  ReferDialOut(id, refer, *call, ours ? std::string(uri.user) : std::string(target->uri_text));
}

void CallController::ReferToRoom(sip::TransactionId id, const SipMessage& refer, Call& call,
                                 const RoomConfig& room) {
  // A transfer lets nobody skip what the room asks of a caller.
  std::string why;
  if (!room.pin.empty() || !room.moderator_pin.empty()) why = "the room asks for a PIN";
  if (room.locked) why = "the room is locked";
  if (ParseSrtpPolicy(room.srtp.empty() ? options_.srtp_default : room.srtp) ==
          sdp::SrtpPolicy::kRequired &&
      !(call.audio && call.audio->encrypted())) {
    why = "the room requires SRTP";
  }
  if (!why.empty()) return Reject(id, 403, "Forbidden", why);
  if (room.name != call.room && presence_.Full(room)) return Reject(id, 486, "Room Full");
  // The new room mixed on another worker that is full ([media] full_worker).
  if (room.name != call.room && !AdmitMoveToRoom(call, rooms_->ConferenceId(room.name))) {
    return Reject(id, 503, "Room Media Worker Full");
  }
  AcceptRefer(id, refer);
  const bool quiet = WantsNoNotify(refer);
  if (!quiet) SendReferNotify(call, refer.cseq().number, 200, "OK", true);
  if (room.name != call.room) TransferToRoom(call, room);
}

void CallController::ReferDialOut(sip::TransactionId id, const SipMessage& refer, Call& call,
                                  std::string target) {
  if (call.refers_in_flight >= kMaxRefersPerCall) {
    return Reject(id, 403, "Forbidden", "too many REFERs of this call in progress");
  }
  DialOutRequest request;
  request.room = call.room;
  request.target = std::move(target);
  request.requested_by = StrCat("refer:", call.call_id);
  absl::StatusOr<uint64_t> placed = DialOut(std::move(request));
  if (!placed.ok()) {
    // The toll-fraud guard's word is 403, a bad target 400, a limit 503.
    const absl::StatusCode code = placed.status().code();
    const int status = code == absl::StatusCode::kPermissionDenied  ? 403
                       : code == absl::StatusCode::kInvalidArgument ? 400
                                                                    : 503;
    return Reject(id, status, status == 403 ? "Forbidden" : "",
                  std::string(placed.status().message()));
  }
  AcceptRefer(id, refer);
  auto it = dialing_.find(*placed);
  if (it == dialing_.end()) return;  // over already (the INVITE could not go): told in events
  DialOutLeg& leg = *it->second->dial_out;
  leg.refer_call = call.id;
  leg.refer_cseq = refer.cseq().number;
  leg.refer_quiet = WantsNoNotify(refer);
  ++call.refers_in_flight;
  if (!leg.refer_quiet) SendReferNotify(call, leg.refer_cseq, 100, "Trying", false);
}

void CallController::AcceptRefer(sip::TransactionId id, const SipMessage& refer) {
  ++dial_out_counters_.refers;
  sip::MessageWriter accepted = transactions_->ResponseFor(id, 202);
  if (WantsNoNotify(refer)) accepted.Header("Refer-Sub", "false");
  accepted.Header(HeaderId::kServer, options_.user_agent);
  transactions_->Respond(id, 202, std::move(accepted).Finish());
}

void CallController::NotifyReferrer(const DialOutLeg& leg, int status, std::string_view reason,
                                    bool final) {
  if (leg.refer_call == 0) return;
  WithCall(leg.refer_call, [&](Call& referrer) {
    if (final && referrer.refers_in_flight > 0) --referrer.refers_in_flight;
    if (!leg.refer_quiet) SendReferNotify(referrer, leg.refer_cseq, status, reason, final);
  });
}

void CallController::SendReferNotify(Call& referrer, uint32_t refer_cseq, int status,
                                     std::string_view reason, bool final) {
  if (referrer.session->state() != InviteSession::State::kConfirmed) return;
  const std::string headers =
      StrCat("Event: refer;id=", refer_cseq, "\r\nSubscription-State: ",
             final ? "terminated;reason=noresource" : "active;expires=60", "\r\n");
  referrer.session->SendRequest(
      sip::Method::kNotify, Sipfrag(status, reason), "message/sipfrag;version=2.0",
      [&headers](std::string bytes) {
        bytes.insert(bytes.find("Content-Length:"), headers);
        return bytes;
      },
      [](const SipMessage*) {});
}

void CallController::TransferToRoom(Call& call, const RoomConfig& room) {
  LogInfo("call", "transferred by REFER")
      .With("call_id", call.call_id)
      .With("from_room", call.room)
      .With("room", room.name);
  // Out of its room as if it had left ...
  Publish("participant_left", call, "\"why\":\"transferred\"");
  subscriptions_.Departed(call.room, EndpointOf(call));
  ClearPresenterOf(call);
  EndChat(call);  // its chat stream was the old room's
  presence_.Free(call.room);
  video_codecs_.Leave(call.room, call.id);
  OnLeftRoom(call);
  // ... and into the new one as a caller from the IVR enters (EnterRoom).
  call.room = room.name;
  presence_.Take(call.room);
  call.member.moderator = false;
  call.member.waiting = presence_.MustWait(&room, call.room, call.member);
  AdmitVideo(call, room);
  if (!call.media.joined()) return OnEnteredRoom(call);
  // The old room's worker hands the participant back (OnDetached), which
  // then goes to the new room's.
  if (!call.media.MoveTo(rooms_->ConferenceId(room.name))) Kick(call.id, "media busy");
}

}  // namespace tutti
