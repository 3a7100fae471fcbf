// SUBSCRIBE to a room (RFC 6665, RFC 4575): which package, which room, and
// who may see its roster; then RoomSubscriptions keeps the subscription.
// A room with a PIN shows its roster only to its participants (the
// SUBSCRIBE comes from a participant's address with its From URI); a room
// that authenticates callers also to those who authenticate the same way;
// an open room to anyone unless `roster_open_rooms` is off. What the
// roster says of each participant is built here from the call.
#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/message_writer.h"

namespace tutti {

using sip::SipMessage;
using sip::TransactionId;

void CallController::OnSubscribe(TransactionId id, const SipMessage& subscribe,
                                 const sip::MessageSource& source) {
  if (!subscribe.to().tag.empty()) {
    if (subscriptions_.InDialog(id, subscribe)) return;
    // Dialog reuse (a SUBSCRIBE inside a call, RFC 5057 advises against
    // it) is not served: a new dialog gets the same roster.
    if (FindByDialog(subscribe) != nullptr) {
      return Reject(id, 403, "Subscribe Outside The Call");
    }
    return Reject(id, 481, "Subscription Does Not Exist");
  }
  if (shutting_down_) return Reject(id, 503, "Shutting Down");
  if (!CheckRequire(*transactions_, id, subscribe)) return;
  if (EventPackage(subscribe) != kConferencePackage) return Reject(id, 489, "Bad Event");
  if (!AcceptsConferenceInfo(subscribe)) return Reject(id, 406, "Not Acceptable");
  const std::string_view user = subscribe.request_uri().user;
  const RoomConfig* room = rooms_->Find(user);
  if (room == nullptr) return Reject(id, 404, "Room Not Found");
  if (!MaySeeRoster(id, subscribe, source, *room)) return;
  subscriptions_.Subscribe(id, subscribe, source, room->name);
}

bool CallController::MaySeeRoster(TransactionId id, const SipMessage& subscribe,
                                  const sip::MessageSource& source, const RoomConfig& room) {
  if (IsParticipant(subscribe, source, room.name)) return true;
  const bool has_pin = !room.pin.empty() || !room.moderator_pin.empty();
  const bool authenticates = digest_ != nullptr && (room.auth ? *room.auth : auth_all_);
  if (!has_pin && authenticates) return Authenticated(id, subscribe, source);  // or answered 401
  if (!has_pin && options_.roster_open_rooms) return true;
  // A stranger may ask this as often as it likes: capped.
  static LogRateLimit refused_log(5, 20);
  if (uint64_t held = 0; refused_log.Allow(&held)) {
    LogInfo("events", "roster refused to a non-participant")
        .With("room", room.name)
        .With("from", source.address.ip())
        .With("suppressed", held);
  }
  Reject(id, 403, "Participants Only");
  return false;
}

bool CallController::IsParticipant(const SipMessage& subscribe, const sip::MessageSource& source,
                                   std::string_view room) {
  return FindParticipant(subscribe, source, room) != nullptr;  // call_messages.cc
}

RosterEndpoint CallController::EndpointOf(const Call& call) const {
  RosterEndpoint endpoint;
  endpoint.participant = call.id;
  endpoint.user = call.from_uri;
  endpoint.display_name = call.from_display_name;
  endpoint.held = call.audio && (call.audio->direction == sdp::Direction::kRecvOnly ||
                                 call.audio->direction == sdp::Direction::kInactive);
  endpoint.muted = call.muted || call.member.waiting;
  endpoint.talking = call.talking;
  endpoint.moderator = call.member.moderator;
  return endpoint;
}

ConferenceRoster CallController::RosterOf(std::string_view room_name) {
  ConferenceRoster roster;
  roster.display_text = std::string(room_name);
  if (const RoomConfig* room = rooms_->Find(room_name)) {
    roster.max_users = room->max_participants;
    roster.locked = room->locked;
  }
  for (const Call* call : InRoom(room_name)) roster.endpoints.push_back(EndpointOf(*call));
  return roster;
}

void CallController::RosterChanged(const Call& call, RoomSubscriptions::Change change) {
  if (call.member.in_room) subscriptions_.RoomChanged(call.room, change);
}

}  // namespace tutti
