// Pager-mode instant messages (RFC 3428) and the rooms' chat. A MESSAGE
// from a member of a room - inside its call's dialog, or outside any dialog
// to the room's URI from the call's address and From URI - is answered 202
// (RFC 3428 §7: a relay cannot know the outcome when it answers), kept in
// the room's history, published on the event stream, handed to the MSRP
// service for the room's MSRP members, and sent as a MESSAGE inside each
// other pager member's dialog, From the room with the sender's display
// name (and, for a member whose INVITE accepted message/cpim, wrapped in
// CPIM naming the sender). Strangers get 403 and nothing is relayed. Each
// delivery is a client transaction (retransmitted, timed out by the
// transaction layer); when none succeeds the sender is told by a MESSAGE
// from the room. Bodies never reach the log.
#include <memory>
#include <utility>

#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/chat_format.h"
#include "signaling/msrp/cpim.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/message_writer.h"

namespace tutti {

using sip::SipMessage;
using sip::TransactionId;

namespace {

// Same address of record: user and host (hosts without case), sip: and sips: alike.
bool SameAddressOfRecord(const sip::SipUri& a, std::string_view b_text) {
  auto b = sip::ParseUri(b_text);
  return b.ok() && a.user == b->user && EqualsIgnoreCase(a.host, b->host);
}

// What came of one message's MESSAGEs to the room's pager members.
struct RelayOutcome {
  size_t pending = 0;
  bool delivered = false;
  std::string why;  // the first failure
};

}  // namespace

void CallController::OnMessage(TransactionId id, const SipMessage& message,
                               const sip::MessageSource& source) {
  if (!options_.messaging.enabled) return Reject(id, 405, "Method Not Allowed");
  if (!CheckRequire(*transactions_, id, message)) return;
  Call* sender = MessageSender(id, message, source);
  if (sender == nullptr) return;
  std::optional<msrp::ChatMessage> chat = MessageContent(id, message, *sender);
  if (!chat) return;
  ++messaging_counters_.received;
  if (!TakeChatMessage(std::move(*chat), id)) {
    ++messaging_counters_.refused_busy;
    Reject(id, 503, "Too Many Messages In Flight");
  }
}

CallController::Call* CallController::MessageSender(TransactionId id, const SipMessage& message,
                                                    const sip::MessageSource& source) {
  Call* sender = nullptr;
  std::string_view room;
  if (!message.to().tag.empty()) {
    sender = FindByDialog(message);
    if (sender == nullptr) {
      Reject(id, 481, "Call/Transaction Does Not Exist");
      return nullptr;
    }
    if (!sender->session->AcceptInDialog(id, message)) return nullptr;
    room = sender->room;
    if (!sender->member.in_room) sender = nullptr;  // still in the IVR
  } else {
    const RoomConfig* config = rooms_->Find(message.request_uri().user);
    if (config == nullptr) {
      Reject(id, 404, "Room Not Found");
      return nullptr;
    }
    room = config->name;
    sender = FindParticipant(message, source, config->name);
  }
  if (sender != nullptr) return sender;
  ++messaging_counters_.refused_stranger;
  // A stranger may try this as often as it likes: capped.
  static LogRateLimit refused_log(5, 20);
  if (uint64_t held = 0; refused_log.Allow(&held)) {
    LogInfo("chat", "MESSAGE refused to a non-member")
        .With("room", room)
        .With("from", source.address.ip())
        .With("suppressed", held);
  }
  Reject(id, 403, "Not a member of this room");
  return nullptr;
}

std::optional<msrp::ChatMessage> CallController::MessageContent(TransactionId id,
                                                                const SipMessage& message,
                                                                const Call& sender) {
  const MessagingOptions& limits = options_.messaging;
  if (message.body().size() > limits.max_message_bytes) {
    ++messaging_counters_.refused_too_large;
    Reject(id, 413, "Message Too Large");
    return std::nullopt;
  }
  if (message.body().empty()) {
    Reject(id, 400, "Empty Message");
    return std::nullopt;
  }
  msrp::ChatMessage chat;
  chat.content_type = std::string(message.content_type());
  chat.body = std::string(message.body());
  bool acceptable = true;
  if (MediaTypeOf(chat.content_type) == kCpimType) {
    std::optional<msrp::CpimMessage> cpim = msrp::ParseCpim(chat.body);
    if (!cpim) {
      Reject(id, 400, "Malformed CPIM");
      return std::nullopt;
    }
    chat.content_type = std::move(cpim->content_type);
    chat.body = std::move(cpim->body);
    acceptable = MediaTypeOf(chat.content_type) != kCpimType;  // one wrapper only
  }
  acceptable = acceptable && HeaderSafe(chat.content_type) &&
               (limits.relay_other_types || TypeListed(chat.content_type, limits.content_types));
  if (!acceptable) {
    ++messaging_counters_.refused_type;
    sip::MessageWriter response = transactions_->ResponseFor(id, 415, "Unsupported Media Type",
                                                             sip::TransactionLayer::NewTag());
    response.Header(sip::HeaderId::kAccept, absl::StrJoin(limits.content_types, ", "));
    response.Header(sip::HeaderId::kServer, server_.user_agent);
    transactions_->Respond(id, 415, std::move(response).Finish());
    return std::nullopt;
  }
  chat.room = sender.room;
  chat.sender_call = sender.id;
  chat.sender_uri = sender.from_uri;
  chat.sender_name = sender.from_display_name.empty() ? std::string(message.from().display_name)
                                                      : sender.from_display_name;
  chat.time = absl::Now();
  chat.via = msrp::ChatVia::kSip;
  return chat;
}

std::optional<msrp::ChatMessage> CallController::TakeChatMessage(msrp::ChatMessage message,
                                                                 TransactionId accepted) {
  auto sender = calls_.find(message.sender_call);
  const Call* except = sender == calls_.end() ? nullptr : sender->second.get();
  std::vector<Call*> pager;
  bool msrp_members = false;
  for (Call* member : InRoom(message.room, except)) {
    if (member->chat.has_value()) {
      msrp_members = true;
    } else {
      pager.push_back(member);
    }
  }
  const bool from_msrp = message.via == msrp::ChatVia::kMsrp;
  if (!room_chat_.StartDeliveries(message.room, pager.size(),
                                  options_.messaging.max_in_flight_per_room)) {
    if (!from_msrp) return std::nullopt;
    ++messaging_counters_.refused_busy;
    pager.clear();
  }
  if (accepted != 0) {
    transactions_->Respond(
        accepted, 202,
        transactions_->ResponseFor(accepted, 202, "Accepted", sip::TransactionLayer::NewTag())
            .Finish());
  }
  msrp::ChatMessage kept = room_chat_.Add(std::move(message));
  LogDebug("chat", "message taken")
      .With("room", kept.room)
      .With("id", kept.id)
      .With("from", kept.sender_uri)
      .With("via", msrp::ChatViaName(kept.via))
      .With("type", kept.content_type)
      .With("bytes", kept.body.size())
      .With("pager_members", pager.size());
  if (events_ != nullptr) events_->Publish("message", ChatEventJson(kept));
  if (msrp_ != nullptr && !from_msrp) msrp_->Deliver(kept);
  // Whether anyone took it is known only of pager members: a pager sender
  // is told of none when there was nobody else, or only pager members.
  RelayToMembers(kept, pager, kept.via == msrp::ChatVia::kSip && !msrp_members);
  return kept;
}

void CallController::RelayToMembers(const msrp::ChatMessage& kept,
                                    const std::vector<Call*>& members, bool tell_sender) {
  if (members.empty()) {
    if (tell_sender) TellSender(kept.sender_call, "not delivered: nobody else is in the room");
    return;
  }
  auto outcome = std::make_shared<RelayOutcome>();
  outcome->pending = members.size();
  for (Call* member : members) {
    ++messaging_counters_.relayed;
    SendChat(*member, kept,
             [this, outcome, tell_sender, room = kept.room,
              sender = kept.sender_call](const SipMessage* response) {
               if (response != nullptr && response->status_code() < 200) return;
               room_chat_.FinishDelivery(room);
               if (response == nullptr) {
                 ++messaging_counters_.delivery_timeouts;
                 if (outcome->why.empty()) outcome->why = "no answer";
               } else if (response->status_code() < 300) {
                 ++messaging_counters_.delivered;
                 outcome->delivered = true;
               } else {
                 ++messaging_counters_.delivery_failed;
                 if (outcome->why.empty()) {
                   outcome->why = StrCat(response->status_code(), " ", response->reason_phrase());
                 }
               }
               if (--outcome->pending > 0 || outcome->delivered || !tell_sender) return;
               TellSender(sender, StrCat("not delivered: ", outcome->why));
             });
  }
}

void CallController::SendChat(Call& member, const msrp::ChatMessage& message,
                              sip::CallSignaling::ResponseCallback answered) {
  const RelayBody relay = RelayBodyFor(message, RoomUri(member.room), member.accepts_cpim);
  // Named by its display name, else by its URI: a text/plain member has no
  // other way to tell who wrote.
  const std::string& name = message.sender_name.empty() ? message.sender_uri : message.sender_name;
  const sip::TransactionId sent = member.session->SendRequest(
      sip::Method::kMessage, relay.body, relay.content_type,
      [&name](std::string request) { return WithFromDisplayName(std::move(request), name); },
      answered);
  // Refused before it left: it ends like one never answered, so that what
  // waits for it (the room's count in flight, the sender's outcome) ends too.
  if (sent == 0) {
    LogWarn("chat", "MESSAGE not sent").With("call_id", member.call_id).With("room", member.room);
    answered(nullptr);
  }
}

void CallController::TellSender(uint64_t sender_call, std::string_view why) {
  auto it = calls_.find(sender_call);
  if (it == calls_.end()) return;  // gone meanwhile
  Call& sender = *it->second;
  ++messaging_counters_.senders_told;
  LogInfo("chat", "message reached nobody")
      .With("call_id", sender.call_id)
      .With("room", sender.room)
      .With("why", why);
  msrp::ChatMessage notice;
  notice.room = sender.room;
  notice.sender_uri = RoomUri(sender.room);
  notice.sender_name = sender.room;
  notice.body = std::string(why);
  notice.time = absl::Now();
  SendChat(sender, notice, [](const SipMessage*) {});
}

void CallController::ReplayChat(Call& member) {
  const size_t count = options_.messaging.replay_on_join;
  if (count == 0 || !options_.messaging.enabled || member.chat.has_value()) return;
  for (const msrp::ChatMessage& message : room_chat_.Last(member.room, count)) {
    ++messaging_counters_.replayed;
    SendChat(member, message, [](const SipMessage*) {});
  }
}

void CallController::OnChatReceived(msrp::ChatReceived& received) {
  const RoomConfig* room = rooms_->Find(received.message.room);
  if (room == nullptr) return;  // deleted meanwhile
  msrp::ChatMessage message = std::move(received.message);
  message.room = room->name;
  message.sender_call = received.call_id;
  message.via = msrp::ChatVia::kMsrp;
  if (message.time == absl::Time()) message.time = absl::Now();
  ++messaging_counters_.received;
  TakeChatMessage(std::move(message));
}

absl::StatusOr<msrp::ChatMessage> CallController::PostMessage(std::string_view room_name,
                                                              std::string_view sender_name,
                                                              std::string_view content_type,
                                                              std::string body) {
  control_thread_.Check();
  const MessagingOptions& limits = options_.messaging;
  const RoomConfig* room = rooms_->Find(room_name);
  if (room == nullptr) return absl::NotFoundError("no such room");
  if (!limits.enabled) return absl::FailedPreconditionError("messaging is disabled");
  if (body.size() > limits.max_message_bytes) {
    return absl::OutOfRangeError(
        StrCat("a message is at most ", limits.max_message_bytes, " bytes"));
  }
  if (content_type.empty()) content_type = "text/plain";
  if (!HeaderSafe(content_type) || MediaTypeOf(content_type) == kCpimType ||
      !(limits.relay_other_types || TypeListed(content_type, limits.content_types))) {
    return absl::InvalidArgumentError("content type not relayed");
  }
  msrp::ChatMessage message;
  message.room = room->name;
  message.sender_uri = RoomUri(room->name);
  message.sender_name = sender_name.empty() ? "operator" : std::string(sender_name);
  message.content_type = std::string(content_type);
  message.body = std::move(body);
  message.time = absl::Now();
  message.via = msrp::ChatVia::kApi;
  ++messaging_counters_.posted_by_api;
  std::optional<msrp::ChatMessage> kept = TakeChatMessage(std::move(message));
  if (!kept) {
    ++messaging_counters_.refused_busy;
    return absl::ResourceExhaustedError("too many messages in flight in the room");
  }
  return *std::move(kept);
}

std::vector<msrp::ChatMessage> CallController::Messages(std::string_view room_name,
                                                        uint64_t after_id, size_t limit) const {
  control_thread_.Check();
  const RoomConfig* room = rooms_->Find(room_name);
  if (room == nullptr) return {};
  return room_chat_.After(room->name, after_id, limit);
}

CallController::Call* CallController::FindParticipant(const SipMessage& request,
                                                      const sip::MessageSource& source,
                                                      std::string_view room) {
  const std::string ip = source.address.ip();
  for (Call* call : InRoom(room)) {
    if (call->source.address.ip() == ip &&
        SameAddressOfRecord(request.from().uri, call->from_uri)) {
      return call;
    }
  }
  return nullptr;
}

std::string CallController::RoomUri(std::string_view room) const {
  return StrCat("sip:", room, "@", options_.local.host);
}

}  // namespace tutti
