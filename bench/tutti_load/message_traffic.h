// tutti-load's pager-mode messages (--messages_per_second): during the
// measured window the calls take turns sending SIP MESSAGEs (RFC 3428) to
// their room, inside their dialog or outside it to the room's URI, each a
// client transaction of its own (Timer E retransmissions, Timer F
// timeout); every MESSAGE the server relays to a member is answered 200
// and counted once, with the time it took from its sender. A delivery to
// its own sender or to a member of another room is counted apart: the
// server must relay to every other member of the room and to nobody else.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench/tutti_load/load_call.h"
#include "bench/tutti_load/sip_messages.h"
#include "signaling/sip/sip_message.h"

namespace tutti::load {

struct MessageOptions {
  double per_second = 0;  // MESSAGEs sent per second, all calls together; 0: none
  bool in_dialog = true;  // false: out of dialog, to the room's URI
  int body_bytes = 64;    // text/plain body, at least the tag's own length
};

struct MessageResult {
  int64_t sent = 0;  // MESSAGE transactions started
  int64_t accepted = 0;
  int64_t failed = 0;
  std::map<int, int64_t> failures_by_status;  // 408: no final response (Timer F)
  int64_t retransmissions = 0;
  int64_t skipped = 0;  // turns of a call that was not up
  // Relayed deliveries: each accepted message, once to every other member
  // of its room that was up when it was sent.
  int64_t deliveries_expected = 0;
  int64_t deliveries = 0;  // distinct (message, member) pairs received
  int64_t duplicates = 0;  // the same again (the server's retransmissions)
  int64_t echoes = 0;      // to the message's own sender
  int64_t wrong_room = 0;  // to a member of another room
  int64_t foreign = 0;     // a MESSAGE with no tutti-load tag, or to no call of ours
  int64_t cpim = 0;        // deliveries in message/cpim
  double window_s = 0;     // from the first MESSAGE to the last delivery or response
  double messages_per_s = 0;
  double deliveries_per_s = 0;
  struct Latency {  // from sending to a member's receipt
    double p50 = 0;
    double p99 = 0;
    double max = 0;
  } latency_ms;
};

// What tutti-load writes into every MESSAGE body: which message, from whom,
// when (its steady clock, so a delivery's latency is one subtraction).
struct MessageTag {
  int64_t id = 0;
  int sender = 0;
  int64_t sent_us = 0;
};
std::string MessageBody(const MessageTag& tag, int size);
// Found anywhere in a body, so also inside a message/cpim wrapper.
std::optional<MessageTag> FindMessageTag(std::string_view body);

class MessageTraffic {
 public:
  using Sender = std::function<void(const std::string&)>;
  MessageTraffic(const MessageOptions& options, std::string run_tag, int room_size,
                 const UacEndpoint* endpoint, std::function<std::string(int)> room_name,
                 Sender send);

  // Sends the messages due by now_us at the configured rate since the
  // first call of this; calls[] take turns.
  void SendDue(int64_t now_us, std::vector<LoadCall>& calls);
  // A response to one of our MESSAGEs: true when it was one.
  bool OnResponse(const sip::SipMessage& response, int64_t now_us);
  // A MESSAGE the server sent to one of our calls: counted and answered.
  void OnRequest(const sip::SipMessage& request, const std::vector<LoadCall>& calls,
                 int64_t now_us);
  void Timers(int64_t now_us);
  // Nothing in flight, and every expected delivery came or none came for
  // quiet_us.
  bool Drained(int64_t now_us, int64_t quiet_us) const;
  void Finish(MessageResult* result);
  int64_t deliveries() const { return result_.deliveries; }
  int64_t accepted() const { return result_.accepted; }

 private:
  struct Transaction {
    std::string text;
    int64_t first_sent_us = 0;
    int64_t sent_us = 0;
    int64_t interval_us = 0;
    int64_t expected = 0;  // deliveries it should make
  };
  void Send(LoadCall& call, const std::vector<LoadCall>& calls, int64_t now_us);
  int64_t OthersUp(const LoadCall& call, const std::vector<LoadCall>& calls) const;
  std::optional<int64_t> TransactionOf(std::string_view branch) const;

  MessageOptions options_;
  std::string run_tag_;
  int room_size_;
  const UacEndpoint* endpoint_;
  std::function<std::string(int)> room_name_;
  Sender send_;
  int64_t start_us_ = -1;
  int64_t next_id_ = 0;
  int64_t turn_ = 0;
  int64_t last_event_us_ = 0;
  std::unordered_map<int64_t, Transaction> in_flight_;
  // (due time, transaction id), earliest first; ids no longer in flight are skipped.
  std::priority_queue<std::pair<int64_t, int64_t>, std::vector<std::pair<int64_t, int64_t>>,
                      std::greater<>>
      timers_;
  std::unordered_set<uint64_t> received_;  // message id * calls + member
  std::vector<double> latency_ms_;
  MessageResult result_;
};

}  // namespace tutti::load
