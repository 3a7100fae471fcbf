#include "signaling/call/room_subscriptions.h"

#include <algorithm>

#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/call/overload_guard.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti {

using sip::HeaderId;
using sip::SipMessage;
using sip::TransactionId;

namespace {

// Departed participants a subscription remembers until its next NOTIFY
// shows them disconnected; past it they simply vanish from the roster.
constexpr size_t kMaxDeparted = 16;
// Participants a NOTIFY lists: a full roster of a big room would not fit a
// UDP datagram (about 600 bytes each). The rest are counted in user-count.
constexpr size_t kMaxListed = 64;
// RFC 4575 §4.6: a subscription without Expires lasts an hour.
constexpr absl::Duration kDefaultExpires = absl::Seconds(3600);

bool IsTokenText(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  });
}

// The NOTIFYs' Event header: the package, with the SUBSCRIBE's id
// parameter when it had one (RFC 6665 §8.2.1); a strange id is left out.
std::string NotifyEventHeader(const SipMessage& subscribe) {
  const std::string_view value = subscribe.HeaderValue(HeaderId::kEvent);
  const size_t semicolon = value.find(';');
  if (semicolon != std::string_view::npos) {
    if (auto id = sip::FindParam(value.substr(semicolon), "id"); id && IsTokenText(*id)) {
      return StrCat(kConferencePackage, ";id=", *id);
    }
  }
  return std::string(kConferencePackage);
}

}  // namespace

struct RoomSubscriptions::Subscription {
  uint64_t id = 0;
  std::string room;
  std::string conference_uri;  // the Request-URI subscribed to
  std::string source_ip;       // for logs
  std::string source_key;      // its per-source count's key (an IPv6 source's /64)
  std::string event;           // the NOTIFYs' Event header
  sip::Dialog dialog;
  absl::Time expires_at;
  uint32_t version = 0;
  bool roster_changed = false;   // a change to send at once
  bool talking_changed = false;  // a change to send within talking_interval
  bool in_flight = false;        // a NOTIFY awaits its answer
  absl::Time last_sent = absl::InfinitePast();
  std::vector<RosterEndpoint> departed;  // shown once as disconnected
  OwnedTimer send_timer;
  OwnedTimer expiry_timer;
};

std::string EventPackage(const SipMessage& request) {
  std::string_view value = request.HeaderValue(HeaderId::kEvent);
  value = StripWhitespace(value.substr(0, value.find(';')));
  return AsciiLowered(value);
}

bool AcceptsConferenceInfo(const SipMessage& request) {
  bool any = false;
  for (const sip::HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kAccept) continue;
    any = true;
    const std::string_view type = StripWhitespace(field.value.substr(0, field.value.find(';')));
    if (EqualsIgnoreCase(type, kConferenceInfoType) || type == "*/*" ||
        EqualsIgnoreCase(type, "application/*")) {
      return true;
    }
  }
  return !any;
}

RoomSubscriptions::RoomSubscriptions(sip::CallSignaling* signaling, CallTimers* timers,
                                     const ServerIdentity* server, sip::LocalEndpoint local,
                                     SubscriptionLimits limits, RosterOf roster_of)
    : signaling_(signaling),
      timers_(timers),
      server_(server),
      local_(std::move(local)),
      limits_(limits),
      roster_of_(std::move(roster_of)) {}

RoomSubscriptions::~RoomSubscriptions() { *self_ = nullptr; }

size_t RoomSubscriptions::in_room(std::string_view room) const {
  auto it = by_room_.find(std::string(room));
  return it == by_room_.end() ? 0 : it->second.size();
}

std::optional<absl::Duration> RoomSubscriptions::TakeExpires(TransactionId id,
                                                             const SipMessage& request) {
  const sip::HeaderField* header = request.FindHeader(HeaderId::kExpires);
  if (header == nullptr) return std::min(kDefaultExpires, limits_.max_expires);
  const std::string_view text = StripWhitespace(header->value);
  if (text.empty() || text.size() > 10 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    Reject(*signaling_, *server_, id, 400, "Malformed Expires");
    return std::nullopt;
  }
  const absl::Duration asked = absl::Seconds(std::stoll(std::string(text)));
  if (asked > absl::ZeroDuration() && asked < limits_.min_expires) {
    // RFC 6665 §4.2.1.1: 423 with the shortest interval we take.
    sip::MessageWriter response =
        signaling_->ResponseFor(id, 423, "Interval Too Brief", sip::TransactionLayer::NewTag());
    response.Header("Min-Expires", StrCat(absl::ToInt64Seconds(limits_.min_expires)));
    response.Header(HeaderId::kServer, server_->user_agent);
    signaling_->Respond(id, 423, std::move(response).Finish());
    return std::nullopt;
  }
  return std::min(asked, limits_.max_expires);
}

bool RoomSubscriptions::Full(std::string_view room, const std::string& source_key) const {
  if (subscriptions_.size() >= static_cast<size_t>(limits_.max_subscriptions)) return true;
  if (in_room(room) >= static_cast<size_t>(limits_.max_per_room)) return true;
  if (limits_.max_per_source <= 0) return false;
  auto it = per_source_.find(source_key);
  return it != per_source_.end() && it->second >= limits_.max_per_source;
}

void RoomSubscriptions::Subscribe(TransactionId id, const SipMessage& subscribe,
                                  const sip::MessageSource& source, std::string_view room) {
  // Counted per source as calls and lockouts are: an IPv6 stranger owns a /64.
  const std::string source_key = SourceKey(source.address);
  if (Full(room, source_key)) {
    // A stranger can have this said as often as it asks: capped.
    static LogRateLimit limit_log(5, 20);
    if (uint64_t held = 0; limit_log.Allow(&held)) {
      LogWarn("events", "subscription limit reached")
          .With("room", room)
          .With("from", source.address.ip())
          .With("subscriptions", static_cast<int64_t>(subscriptions_.size()))
          .With("suppressed", held);
    }
    return Reject(*signaling_, *server_, id, 503, "Too Many Subscriptions");
  }
  const std::optional<absl::Duration> expires = TakeExpires(id, subscribe);
  if (!expires) return;
  auto subscription = std::make_unique<Subscription>();
  subscription->id = next_id_++;
  subscription->room = std::string(room);
  subscription->conference_uri = std::string(subscribe.request_uri_text());
  subscription->source_ip = source.address.ip();
  subscription->source_key = source_key;
  subscription->event = NotifyEventHeader(subscribe);
  // The dialog a SUBSCRIBE makes is the UAS side of it, as for an INVITE
  // (RFC 6665 §4.1.2.1 refers to RFC 3261 §12.1.1).
  subscription->dialog =
      sip::Dialog::FromInvite(subscribe, source, sip::TransactionLayer::NewTag(), local_);
  Subscription& added =
      *subscriptions_.emplace(subscription->id, std::move(subscription)).first->second;
  by_dialog_.emplace(added.dialog.id(), added.id);
  ++per_source_[source_key];
  by_room_[added.room].push_back(added.id);
  LogInfo("events", "subscribed")
      .With("room", added.room)
      .With("from", added.source_ip)
      .With("expires_s", absl::ToInt64Seconds(*expires));
  Accept(id, added, *expires);
}

bool RoomSubscriptions::InDialog(TransactionId id, const SipMessage& subscribe) {
  auto it = by_dialog_.find(sip::IncomingDialogId(subscribe));
  if (it == by_dialog_.end()) return false;
  Subscription& subscription = *subscriptions_.at(it->second);
  if (!subscription.dialog.AcceptRemoteCSeq(subscribe)) {
    Reject(*signaling_, *server_, id, 500, "CSeq Out Of Order");
    return true;
  }
  if (EventPackage(subscribe) != kConferencePackage) {
    Reject(*signaling_, *server_, id, 489, "Bad Event");
    return true;
  }
  const std::optional<absl::Duration> expires = TakeExpires(id, subscribe);
  if (!expires) return true;
  // RFC 6665 §4.1.2.x: a refreshing SUBSCRIBE is a target refresh request.
  subscription.dialog.RefreshRemoteTarget(subscribe);
  Accept(id, subscription, *expires);
  return true;
}

void RoomSubscriptions::Accept(TransactionId id, Subscription& subscription,
                               absl::Duration expires) {
  sip::MessageWriter response =
      signaling_->ResponseFor(id, 200, {}, subscription.dialog.id().local_tag);
  response.Header(HeaderId::kContact, subscription.dialog.local_contact());
  response.Header(HeaderId::kExpires, StrCat(absl::ToInt64Seconds(expires)));
  response.Header("Allow-Events", kConferencePackage);
  response.Header(HeaderId::kServer, server_->user_agent);
  signaling_->Respond(id, 200, std::move(response).Finish());
  if (expires == absl::ZeroDuration()) {
    // An unsubscribe, or a fetch: the state once more, terminated.
    return Terminate(subscription.id, "timeout");
  }
  subscription.expires_at = timers_->Now() + expires;
  const uint64_t key = subscription.id;
  subscription.expiry_timer.Start(timers_, expires, [this, key] { Terminate(key, "timeout"); });
  // RFC 6665 §4.2.2: a NOTIFY at once after accepting or refreshing.
  subscription.roster_changed = true;
  subscription.send_timer.Cancel();
  if (!subscription.in_flight) SendNotify(subscription);
}

void RoomSubscriptions::RoomChanged(std::string_view room, Change change) {
  auto it = by_room_.find(std::string(room));
  if (it == by_room_.end()) return;
  for (uint64_t key : it->second) {
    Subscription* subscription = Find(key);
    (change == Change::kRoster ? subscription->roster_changed : subscription->talking_changed) =
        true;
    Schedule(*subscription);
  }
}

void RoomSubscriptions::Departed(std::string_view room, const RosterEndpoint& endpoint) {
  auto it = by_room_.find(std::string(room));
  if (it == by_room_.end()) return;
  for (uint64_t key : it->second) {
    Subscription* subscription = Find(key);
    if (subscription->departed.size() < kMaxDeparted) {
      subscription->departed.push_back(endpoint);
      subscription->departed.back().connected = false;
    }
    subscription->roster_changed = true;
    Schedule(*subscription);
  }
}

void RoomSubscriptions::Schedule(Subscription& subscription) {
  // The answer to the NOTIFY in flight schedules the next.
  if (subscription.in_flight) return;
  if (!subscription.roster_changed && !subscription.talking_changed) return;
  absl::Duration delay = absl::ZeroDuration();
  if (!subscription.roster_changed) {
    if (subscription.send_timer.pending()) return;
    delay = std::max(absl::ZeroDuration(),
                     subscription.last_sent + limits_.talking_interval - timers_->Now());
  }
  // Through a timer even when due now, so that what changes together (a
  // room emptied at once) goes in one NOTIFY.
  const uint64_t key = subscription.id;
  subscription.send_timer.Start(timers_, delay, [this, key] {
    if (Subscription* due = Find(key)) SendNotify(*due);
  });
}

void RoomSubscriptions::SendNotify(Subscription& subscription, std::string_view terminated_reason) {
  ConferenceRoster roster = roster_of_(subscription.room);
  if (roster.endpoints.size() > kMaxListed) {
    roster.unlisted += static_cast<int>(roster.endpoints.size() - kMaxListed);
    roster.endpoints.resize(kMaxListed);
  }
  for (RosterEndpoint& gone : subscription.departed) roster.endpoints.push_back(std::move(gone));
  subscription.departed.clear();
  subscription.roster_changed = false;
  subscription.talking_changed = false;
  subscription.send_timer.Cancel();
  const absl::Time now = timers_->Now();
  subscription.last_sent = now;
  const std::string state =
      terminated_reason.empty()
          ? StrCat("active;expires=",
                   std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(
                                            subscription.expires_at - now, absl::Seconds(1)))))
          : StrCat("terminated;reason=", terminated_reason);
  const std::string body =
      ConferenceInfoXml(subscription.conference_uri, roster, ++subscription.version);
  std::string notify = subscription.dialog.BuildRequest(
      sip::Method::kNotify, sip::TransactionLayer::NewBranch(),
      StrCat("Event: ", subscription.event, "\r\nSubscription-State: ", state,
             "\r\nUser-Agent: ", server_->user_agent, "\r\n"),
      body, kConferenceInfoType);
  subscription.in_flight = terminated_reason.empty();
  ++*in_flight_;
  signaling_->SendRequest(
      subscription.dialog.NextHop(), std::move(notify),
      [self = self_, in_flight = in_flight_,
       key = terminated_reason.empty() ? subscription.id : 0](const SipMessage* response) {
        if (response != nullptr && response->status_code() < 200) return;
        --*in_flight;
        if (*self != nullptr) (*self)->OnNotifyAnswer(key, response);
      });
}

void RoomSubscriptions::OnNotifyAnswer(uint64_t subscription_id, const SipMessage* response) {
  if (Subscription* subscription = Find(subscription_id)) {
    subscription->in_flight = false;
    if (response == nullptr || response->status_code() >= 300) {
      // RFC 6665 §4.2.2: a 481 or a timeout ends the subscription; so does
      // any other refusal (the subscriber does not want it).
      LogInfo("events", "subscription ended by the subscriber")
          .With("room", subscription->room)
          .With("from", subscription->source_ip)
          .With("status", response != nullptr ? response->status_code() : 408);
      Remove(subscription_id);
    } else {
      Schedule(*subscription);
    }
  }
  if (*in_flight_ == 0 && drained_) drained_();
}

void RoomSubscriptions::Terminate(uint64_t subscription_id, std::string_view reason) {
  Subscription* subscription = Find(subscription_id);
  if (subscription == nullptr) return;
  LogInfo("events", "subscription terminated")
      .With("room", subscription->room)
      .With("from", subscription->source_ip)
      .With("reason", reason);
  SendNotify(*subscription, reason);
  Remove(subscription_id);
}

void RoomSubscriptions::Remove(uint64_t subscription_id) {
  auto it = subscriptions_.find(subscription_id);
  if (it == subscriptions_.end()) return;
  const Subscription& subscription = *it->second;
  by_dialog_.erase(subscription.dialog.id());
  if (--per_source_[subscription.source_key] == 0) per_source_.erase(subscription.source_key);
  auto room = by_room_.find(subscription.room);
  std::erase(room->second, subscription_id);
  if (room->second.empty()) by_room_.erase(room);
  subscriptions_.erase(it);
}

RoomSubscriptions::Subscription* RoomSubscriptions::Find(uint64_t subscription_id) {
  auto it = subscriptions_.find(subscription_id);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

std::vector<uint64_t> RoomSubscriptions::Ids(std::string_view room) const {
  if (!room.empty()) {
    auto it = by_room_.find(std::string(room));
    return it == by_room_.end() ? std::vector<uint64_t>() : it->second;
  }
  std::vector<uint64_t> ids;
  for (const auto& [key, subscription] : subscriptions_) ids.push_back(key);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void RoomSubscriptions::EndRoom(std::string_view room) {
  // RFC 6665 §4.2.2: noresource, the room is no more.
  for (uint64_t key : Ids(room)) Terminate(key, "noresource");
}

void RoomSubscriptions::EndAll() {
  // Stopping: "probation" asks the subscriber to come back later (after
  // retry-after, RFC 6665 §4.1.3) rather than at once ("deactivated").
  const std::string reason = StrCat("probation;retry-after=", std::max(server_->retry_after_s, 1));
  for (uint64_t key : Ids({})) Terminate(key, reason);
}

}  // namespace tutti
