// The notifier side of the conference event package (RFC 6665 SIP events,
// RFC 4575 conference state): subscriptions to rooms, each a dialog of its
// own, answered 200 and followed by a NOTIFY with the room's full roster;
// NOTIFYs as the room changes (at once for joins, leaves, mutes and holds,
// at most one per `talking_interval` for who is talking; one NOTIFY in
// flight per subscription, changes meanwhile coalesce into the next), and a
// terminated NOTIFY when the subscription ends (unsubscribed, expired, the
// room removed, the server stopping). A NOTIFY answered 481 or any other
// failure, or never answered, ends the subscription (RFC 6665 §4.2.2).
//
// Who may subscribe is the call controller's decision; this piece keeps
// the subscriptions, their bounds (in all, per room, per source address)
// and their timers. NOTIFYs are client transactions of the transaction
// layer (retransmitted over UDP on timers E/F), sent inside the
// subscription's dialog (its route set and remote target).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "signaling/call/call_responses.h"
#include "signaling/call/call_timers.h"
#include "signaling/call/conference_info_xml.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/dialog.h"

namespace tutti {

inline constexpr std::string_view kConferencePackage = "conference";

struct SubscriptionLimits {
  int max_subscriptions = 1000;  // in all
  int max_per_room = 100;
  int max_per_source = 20;  // per source IP address; 0: no limit
  // Expires asked for below min_expires is answered 423 (0 unsubscribes);
  // above max_expires, or absent (RFC 4575 §4.6: 3600), it is cut to max.
  absl::Duration min_expires = absl::Seconds(60);
  absl::Duration max_expires = absl::Seconds(3600);
  // Talking starts and stops are sent at most this often per subscription.
  absl::Duration talking_interval = absl::Seconds(1);
};

// The event package a SUBSCRIBE asks for: its Event header's token (RFC
// 6665 §8.2.1), lower-cased; empty without one.
std::string EventPackage(const sip::SipMessage& request);
// False when the request has an Accept header that takes no
// application/conference-info+xml (the answer is then 406).
bool AcceptsConferenceInfo(const sip::SipMessage& request);

class RoomSubscriptions {
 public:
  // The roster of a room as it is now (empty for a room that is gone).
  using RosterOf = std::function<ConferenceRoster(std::string_view room)>;
  enum class Change {
    kRoster,   // someone joined, was muted or unmuted, held or resumed: sent at once
    kTalking,  // someone started or stopped talking: rate-limited
  };

  // The pointers outlive this object.
  RoomSubscriptions(sip::CallSignaling* signaling, CallTimers* timers, const ServerIdentity* server,
                    sip::LocalEndpoint local, SubscriptionLimits limits, RosterOf roster_of);
  ~RoomSubscriptions();
  RoomSubscriptions(const RoomSubscriptions&) = delete;
  RoomSubscriptions& operator=(const RoomSubscriptions&) = delete;

  // A SUBSCRIBE out of a dialog to `room`, which the subscriber may see.
  // Answered here: 503 past a bound, 423 for too short an Expires, else
  // 200 with Expires and the first NOTIFY (a terminated one for Expires: 0,
  // a fetch).
  void Subscribe(sip::TransactionId id, const sip::SipMessage& subscribe,
                 const sip::MessageSource& source, std::string_view room);
  // A SUBSCRIBE inside a dialog: false when it belongs to no subscription
  // of ours (nothing was answered); otherwise it refreshed or ended one, or
  // was refused (CSeq out of order, another package, too short).
  bool InDialog(sip::TransactionId id, const sip::SipMessage& subscribe);

  void RoomChanged(std::string_view room, Change change);
  // A participant left `room`: the next notification shows it disconnected.
  void Departed(std::string_view room, const RosterEndpoint& endpoint);
  // Every subscription to `room` (removed), or every one (the server is
  // stopping), ends with a terminated NOTIFY.
  void EndRoom(std::string_view room);
  void EndAll();

  size_t size() const { return subscriptions_.size(); }
  size_t in_room(std::string_view room) const;
  // NOTIFYs sent and not yet answered or timed out (shutdown waits for them).
  int notifies_in_flight() const { return *in_flight_; }
  // New bounds and timing (a reload) for what comes next: subscriptions
  // over a lowered bound stay until they end (new ones are refused until
  // there is room), a refresh is clamped to the new expiry bounds, and the
  // talking interval counts from each subscription's next NOTIFY.
  void set_limits(const SubscriptionLimits& limits) { limits_ = limits; }
  // Run each time notifies_in_flight() drops to 0.
  void set_drained(std::function<void()> drained) { drained_ = std::move(drained); }

 private:
  struct Subscription;

  // The Expires asked for, clamped; nullopt when answered 423 (or 400).
  std::optional<absl::Duration> TakeExpires(sip::TransactionId id, const sip::SipMessage& request);
  bool Full(std::string_view room, const std::string& source_key) const;
  void Accept(sip::TransactionId id, Subscription& subscription, absl::Duration expires);
  void Schedule(Subscription& subscription);
  void SendNotify(Subscription& subscription, std::string_view terminated_reason = {});
  void OnNotifyAnswer(uint64_t subscription_id, const sip::SipMessage* response);
  // A terminated NOTIFY (with `reason`), then the subscription is gone.
  void Terminate(uint64_t subscription_id, std::string_view reason);
  // Gone without a NOTIFY (the subscriber refused one or never answered).
  void Remove(uint64_t subscription_id);
  Subscription* Find(uint64_t subscription_id);
  // The subscriptions to `room` (empty: to every room), oldest first.
  std::vector<uint64_t> Ids(std::string_view room) const;

  sip::CallSignaling* signaling_;
  CallTimers* timers_;
  const ServerIdentity* server_;
  sip::LocalEndpoint local_;
  SubscriptionLimits limits_;
  RosterOf roster_of_;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Subscription>> subscriptions_;
  absl::flat_hash_map<sip::DialogId, uint64_t> by_dialog_;
  absl::flat_hash_map<std::string, int> per_source_;
  // Each room's subscriptions, oldest first: a change in a room (a talker,
  // many times a second in a busy bridge) looks at its own subscribers only.
  absl::flat_hash_map<std::string, std::vector<uint64_t>> by_room_;
  // Shared with the NOTIFYs' answer callbacks, which may come after this
  // object is gone (the transaction layer outlives call control).
  std::shared_ptr<int> in_flight_ = std::make_shared<int>(0);
  std::shared_ptr<RoomSubscriptions*> self_ = std::make_shared<RoomSubscriptions*>(this);
  std::function<void()> drained_;
};

}  // namespace tutti
