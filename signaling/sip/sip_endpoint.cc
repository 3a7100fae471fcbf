#include "signaling/sip/sip_endpoint.h"

#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {

SipEndpoint::SipEndpoint(TransactionLayer* transactions, MessageSender* sender, int retry_after_s,
                         Admission admission)
    : transactions_(transactions),
      sender_(sender),
      retry_after_s_(retry_after_s),
      admission_(std::move(admission)) {}

void SipEndpoint::OnReceived(ReceivedBytes received) {
  // A denied source gets silence, not 403: an answer to a spoofed UDP source
  // would be reflected at whoever it names, and tells a scanner that a SIP
  // server is here. Dropped before parsing, so it costs next to nothing.
  if (source_filter_ != nullptr && !source_filter_->Allows(received.source)) {
    ++counters_.denied;
    return;
  }
  MessageSource source{received.transport, received.source, received.connection_id, received.local};
  const Framing framing =
      received.transport == TransportKind::kUdp ? Framing::kDatagram : Framing::kStream;
  ParseOutcome outcome = ParseSipMessage(std::move(received.bytes), framing);
  if (!outcome.ok()) {
    if (outcome.answerable && outcome.message.method() != Method::kAck) {
      ++counters_.malformed_answered;
      static LogRateLimit answered_log(5, 20);
      if (uint64_t held = 0; answered_log.Allow(&held)) {
        LogInfo("sip", "malformed request answered")
            .With("call_id", outcome.message.call_id())
            .With("from", source.address.ToString())
            .With("status", outcome.reject_status)
            .With("reason", outcome.reject_reason)
            .With("suppressed", held);
      }
      RejectStatelessly(outcome.message, source, outcome.reject_status, outcome.reject_reason,
                        /*retry_after=*/false);
    } else {
      ++counters_.malformed_dropped;
      static LogRateLimit dropped_log(5, 20);
      if (uint64_t held = 0; dropped_log.Allow(&held)) {
        LogInfo("sip", "malformed message dropped")
            .With("from", source.address.ToString())
            .With("reason", outcome.reject_reason)
            .With("suppressed", held);
      }
    }
    return;
  }
  const SipMessage& message = outcome.message;
  if (message.is_response()) {
    ++counters_.responses;
    transactions_->OnMessage(message, source);
    return;
  }
  ++counters_.requests;
  // Extension methods are counted together: a name per request would make
  // the table as large as an attacker likes.
  ++counters_.requests_by_method[message.method() == Method::kUnknown
                                     ? std::string("other")
                                     : std::string(message.method_name())];
  const Method method = message.method();
  const bool in_dialog = !message.to().tag.empty();
  const bool admitted_always =
      method == Method::kAck || method == Method::kCancel || (in_dialog && method == Method::kBye);
  if (!admitted_always && admission_ && !transactions_->Matches(message) &&
      !admission_(message, source)) {
    ++counters_.overload_rejected;
    RejectStatelessly(message, source, 503, "Service Unavailable", /*retry_after=*/true);
    return;
  }
  transactions_->OnMessage(message, source);
}

void SipEndpoint::RejectStatelessly(const SipMessage& request, const MessageSource& source,
                                    int status_code, std::string_view reason, bool retry_after) {
  MessageWriter response = ResponseTo(request, status_code, reason, TransactionLayer::NewTag(),
                                      StampedTopVia(request, source));
  if (retry_after) response.Header(HeaderId::kRetryAfter, StrCat(retry_after_s_));
  sender_->Send(ResponseDestination(request, source), std::move(response).Finish());
}

}  // namespace tutti::sip
