// libFuzzer target for the SIP parser, the stream framer and the response
// writer. Properties checked beyond "no crash, no sanitizer report":
//  - a response built from any request the parser accepts parses again, and
//    carries the request's Call-ID and CSeq;
//  - framing the same bytes from a stream yields messages no larger than the limit.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"
#include "signaling/sip/stream_framer.h"

namespace {

void CheckResponseRoundTrip(const tutti::sip::SipMessage& request) {
  std::string response =
      tutti::sip::ResponseTo(request, 200, {}, "fuzztag").Finish("body", "text/plain");
  tutti::sip::ParseOutcome reparsed = tutti::sip::ParseSipMessage(std::move(response));
  if (!reparsed.ok() || reparsed.message.call_id() != request.call_id() ||
      reparsed.message.cseq().number != request.cseq().number ||
      reparsed.message.body() != "body") {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (auto framing : {tutti::sip::Framing::kDatagram, tutti::sip::Framing::kStream}) {
    tutti::sip::ParseOutcome outcome = tutti::sip::ParseSipMessage(bytes, framing);
    if (outcome.ok() && outcome.message.is_request()) CheckResponseRoundTrip(outcome.message);
    if (!outcome.ok() && outcome.reject_reason.empty()) std::abort();
  }

  constexpr size_t kLimit = 2048;
  tutti::sip::StreamFramer framer(kLimit);
  framer.Append(bytes);
  std::string message, error;
  while (framer.Next(&message, &error) == tutti::sip::StreamFramer::Result::kMessage) {
    if (message.size() > kLimit) std::abort();
    tutti::sip::ParseSipMessage(message, tutti::sip::Framing::kStream);
  }
  return 0;
}
