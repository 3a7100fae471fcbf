// What call control needs of the SIP transaction layer: answer a server
// transaction, send a request and hear its answer, send outside any
// transaction (2xx retransmission). TransactionLayer is the one real
// implementation; the call-control unit tests drive a fake.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_message.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

using TransactionId = uint64_t;
struct TimerSettings;

class CallSignaling {
 public:
  // Every response of a client transaction the TU must see, or nullptr when
  // it timed out.
  using ResponseCallback = std::function<void(const SipMessage* response)>;

  virtual ~CallSignaling() = default;
  // The request server transaction `id` was made for; null once it has its
  // final response or is gone.
  virtual const SipMessage* Request(TransactionId id) const = 0;
  // A response builder for the live server transaction `id`.
  virtual MessageWriter ResponseFor(TransactionId id, int status_code, std::string_view reason = {},
                                    std::string_view to_tag = {}) const = 0;
  // False when the transaction is gone or already has its final response.
  virtual bool Respond(TransactionId id, int status_code, std::string bytes) = 0;
  virtual TransactionId SendRequest(const Destination& next_hop, std::string bytes,
                                    ResponseCallback callback) = 0;
  virtual void SendStateless(const Destination& destination, std::string_view bytes) = 0;
  virtual const TimerSettings& timers() const = 0;
};

}  // namespace tutti::sip
