// The SIP transaction layer (RFC 3261 §17, with the Accepted state of RFC
// 6026): matches requests and responses to transactions, absorbs
// retransmissions, retransmits over UDP on timers A/E/G, and ends
// transactions on timers B/D/F/H/I/J/K/L/M.
//
// Server transactions are answered by the transaction user (the call
// controller) through Respond(); client transactions report their responses
// (or a timeout) to a callback. ACK for a 2xx and 2xx retransmission are the
// TU's business (RFC 3261 §13.3.1.4), not the layer's.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/event_loop.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_message.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

struct TimerSettings {
  absl::Duration t1 = absl::Milliseconds(500);
  absl::Duration t2 = absl::Seconds(4);
  absl::Duration t4 = absl::Seconds(5);
  // RFC 3261 §17.2.1: 100 Trying goes out if the TU has not answered by then.
  absl::Duration trying_delay = absl::Milliseconds(200);
  // Our INVITE once a 1xx came (Proceeding): RFC 3261 §17.1.1.2 leaves its
  // end to the TU, which CANCELs when it stops waiting (a dial-out rings a
  // minute or more). This only bounds a TU that never does: past it the
  // transaction ends and reports a timeout (like a proxy's timer C, > 3 min).
  absl::Duration invite_proceeding_limit = absl::Minutes(5);
};

// What server transactions may hold at once ([limits] max_transactions,
// max_transaction_bytes). Past either, the oldest transactions that only
// linger to absorb retransmissions (final response sent) are ended early;
// when none is left to end, a new request is answered 503 without a
// transaction.
struct TransactionLimits {
  size_t max_transactions = 65536;
  size_t max_bytes = size_t{32} << 20;
  int retry_after_s = 5;
};

// Where a message came from.
struct MessageSource {
  TransportKind transport = TransportKind::kUdp;
  SocketAddress address;
  uint64_t connection_id = 0;
  SocketAddress local;  // UDP: the socket it came in on (answers leave from it)
};

// The top Via of a request as its responses carry it: with received= when
// the packet's source differs from sent-by and rport=<port> when the client
// asked for it (RFC 3261 §18.2.1, RFC 3581 §4).
std::string StampedTopVia(const SipMessage& request, const MessageSource& source);
// Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4).
Destination ResponseDestination(const SipMessage& request, const MessageSource& source);

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A request that starts a server transaction (everything but ACK and
  // CANCEL). The TU answers with TransactionLayer::Respond, now or later.
  virtual void OnRequest(TransactionId id, const SipMessage& request,
                         const MessageSource& source) = 0;
  // An ACK that belongs to no server transaction: the ACK for a 2xx.
  virtual void OnAck(const SipMessage& ack, const MessageSource& source) = 0;
  // A CANCEL matched INVITE transaction `invite_id` before its final
  // response; the layer answered the CANCEL with 200, the TU now ends the
  // INVITE (487 Request Terminated).
  virtual void OnCancel(TransactionId invite_id) = 0;
};

class TransactionLayer final : public CallSignaling {
 public:
  // Called with every response of a client transaction that the TU must see
  // (provisionals, the final, 2xx retransmissions of an INVITE), or with
  // nullptr when the transaction timed out: timer F (non-INVITE), timer B
  // (an INVITE with no response at all), 64*T1 after the TU sent a CANCEL
  // for it with no final response (§9.1), or invite_proceeding_limit.
  using ResponseCallback = CallSignaling::ResponseCallback;

  TransactionLayer(EventLoop* loop, MessageSender* sender, TransactionUser* user,
                   TimerSettings timers = {});
  ~TransactionLayer() override;
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  void set_user(TransactionUser* user) { user_ = user; }
  void set_limits(TransactionLimits limits) { limits_ = limits; }

  // Every valid parsed message enters here.
  void OnMessage(const SipMessage& message, const MessageSource& source);

  // A request that matches a live server transaction (a retransmission,
  // absorbed here without new work).
  bool Matches(const SipMessage& request) const;

  // Server side. The request the transaction was created for, or null once
  // the final response is sent (only what answers retransmissions is kept
  // from then on) or the transaction is gone.
  const SipMessage* Request(TransactionId id) const override;
  // A response builder for the live transaction `id` (its top Via stamped,
  // the To tag added when given): add headers, Finish(), then Respond().
  MessageWriter ResponseFor(TransactionId id, int status_code, std::string_view reason = {},
                            std::string_view to_tag = {}) const override;
  // Sends the response and moves the transaction on. False when the
  // transaction is gone or already has its final response.
  bool Respond(TransactionId id, int status_code, std::string bytes) override;
  bool IsPending(TransactionId id) const;  // a server INVITE with no final response yet

  // Client side. `bytes` is a complete request whose top Via carries a branch
  // made by NewBranch(). Returns the transaction id.
  TransactionId SendRequest(const Destination& next_hop, std::string bytes,
                            ResponseCallback callback) override;
  // Sends a message outside any transaction (ACK for a 2xx, its retransmissions).
  void SendStateless(const Destination& destination, std::string_view bytes) override;
  static std::string NewBranch();
  // A random tag for To/From (RFC 3261 §19.3), 64 bits of randomness.
  static std::string NewTag();

  const TimerSettings& timers() const override { return timers_; }
  size_t server_transactions() const { return servers_.size(); }
  size_t client_transactions() const { return clients_.size(); }
  uint64_t retransmissions_absorbed() const { return retransmissions_absorbed_; }
  uint64_t stray_responses() const { return stray_responses_; }
  // Estimated bytes the server transactions hold (messages, keys, overhead).
  size_t server_transaction_bytes() const { return held_bytes_; }
  // Transactions ended early to make room, requests refused for want of it,
  // and times memory was given back to the system after a drain.
  uint64_t transactions_evicted() const { return evicted_; }
  uint64_t transactions_refused() const { return refused_full_; }
  uint64_t memory_trims() const { return memory_trims_; }

  // Final and provisional responses this layer sent, by status code.
  const std::map<int, uint64_t>& responses_sent() const { return responses_sent_; }

 private:
  std::map<int, uint64_t> responses_sent_;
  struct ServerTransaction;
  struct ClientTransaction;

  void OnRequestMessage(const SipMessage& request, const MessageSource& source);
  void OnCancelRequest(const SipMessage& cancel);
  void OnResponseMessage(const SipMessage& response);
  void RetransmitServer(TransactionId id);
  void RetransmitClient(TransactionId id);
  void TerminateServer(TransactionId id);
  void TerminateClient(TransactionId id);
  void SendAckForFailure(ClientTransaction& transaction, const SipMessage& response);
  // (Re)arms a client transaction's end: past `delay` it ends and its TU
  // hears nullptr.
  void ArmClientTimeout(ClientTransaction& transaction, absl::Duration delay);
  // A CANCEL the TU sends for our INVITE in Proceeding: the INVITE now ends
  // 64*T1 later if no final response comes (RFC 3261 §9.1).
  void OnCancelSent(const SipMessage& cancel);
  // TCP and TLS: no retransmissions, and no lingering for them (RFC 3261 §17).
  bool Reliable(TransportKind transport) const { return transport != TransportKind::kUdp; }
  // Room for one more server transaction, ending lingering ones if needed.
  bool MakeRoom();
  void RefuseForRoom(const SipMessage& request, const MessageSource& source);
  // Recounts what `t` holds into held_bytes_.
  void Account(ServerTransaction& t);
  // Drops what a transaction no longer needs once its final response is sent.
  void Strip(ServerTransaction& t);
  void GiveBackMemoryAfterDrain();

  EventLoop* loop_;
  MessageSender* sender_;
  TransactionUser* user_;
  TimerSettings timers_;
  TransactionId next_id_ = 1;
  absl::flat_hash_map<TransactionId, std::unique_ptr<ServerTransaction>> servers_;
  absl::flat_hash_map<std::string, TransactionId> server_keys_;
  absl::flat_hash_map<TransactionId, std::unique_ptr<ClientTransaction>> clients_;
  absl::flat_hash_map<std::string, TransactionId> client_keys_;
  uint64_t retransmissions_absorbed_ = 0;
  uint64_t stray_responses_ = 0;
  TransactionLimits limits_;
  // Transactions with their final response sent that only absorb
  // retransmissions (not accepted INVITEs), oldest first: ended early when
  // the limits are reached.
  std::list<TransactionId> lingering_;
  TransactionId delivering_ = 0;  // the request the TU is handling now
  size_t held_bytes_ = 0;
  size_t high_water_ = 0;  // most server transactions since the last drain
  size_t freed_since_trim_ = 0;
  uint64_t evicted_ = 0;
  uint64_t refused_full_ = 0;
  uint64_t memory_trims_ = 0;
};

}  // namespace tutti::sip
