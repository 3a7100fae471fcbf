// Where received bytes become SIP messages: parse, answer what is malformed
// (400 naming the fault, 416, 505) or drop it when it cannot be answered,
// shed load with 503 before any work, and hand the rest to the transaction
// layer. Counts what it does for /metrics and logs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "signaling/sip/sip_message.h"
#include "signaling/sip/source_filter.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

struct EndpointCounters {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t malformed_answered = 0;
  uint64_t malformed_dropped = 0;
  uint64_t overload_rejected = 0;
  uint64_t denied = 0;  // from a source [sip] allow/deny refuses: dropped unread
  std::map<std::string, uint64_t> requests_by_method;
  std::map<int, uint64_t> stateless_responses;  // 400s, 503s... sent without a transaction
};

class SipEndpoint {
 public:
  // Asked for every request that would start a new server transaction,
  // except ACK, CANCEL and BYE inside a dialog (which end calls and are never
  // refused) and retransmissions (absorbed by the transaction layer), in or
  // out of a dialog: the callee tells them apart by the To tag. Return false
  // to answer 503 with Retry-After without any further work.
  using Admission = std::function<bool(const SipMessage& request, const MessageSource& source)>;

  SipEndpoint(TransactionLayer* transactions, MessageSender* sender, int retry_after_s,
              Admission admission);

  void OnReceived(ReceivedBytes received);
  // IP allow/deny lists; may be null (everyone). Must outlive the endpoint.
  void set_source_filter(const SourceFilter* filter) { source_filter_ = filter; }
  const EndpointCounters& counters() const { return counters_; }
  // [limits] retry_after_s from a reloaded configuration (issue 19).
  void set_retry_after_s(int retry_after_s) { retry_after_s_ = retry_after_s; }

 private:
  void RejectStatelessly(const SipMessage& request, const MessageSource& source, int status_code,
                         std::string_view reason, bool retry_after);

  TransactionLayer* transactions_;
  MessageSender* sender_;
  int retry_after_s_;
  Admission admission_;
  const SourceFilter* source_filter_ = nullptr;
  EndpointCounters counters_;
};

}  // namespace tutti::sip
