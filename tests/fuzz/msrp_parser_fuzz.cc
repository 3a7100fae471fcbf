// libFuzzer target for MSRP (RFC 4975) framing, MSRP URIs and CPIM (RFC
// 3862). Properties checked beyond "no crash, no sanitizer report":
//  - every frame read from a stream, written back with WriteMessage, reads
//    the same, and is no larger than the limits allow;
//  - a frame cut short of its last byte, or in its middle, needs more
//    bytes (never an error, never another message): the parser is
//    incremental;
//  - an error carries a reason and 400 or 413;
//  - a URI that parses formats to one that parses to the same URI (§6.1);
//  - a CPIM message that parses is written back to the same fields, and
//    CpimAddress never lets a name or URI end its header.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "signaling/msrp/cpim.h"
#include "signaling/msrp/msrp_message.h"

namespace {

using tutti::msrp::FrameResult;
using tutti::msrp::MsrpMessage;

void Check(bool condition) {
  if (!condition) std::abort();
}

bool SameMessage(const MsrpMessage& a, const MsrpMessage& b) {
  return a.is_request == b.is_request && a.transaction_id == b.transaction_id &&
         a.method == b.method && a.status_code == b.status_code && a.comment == b.comment &&
         a.to_path == b.to_path && a.from_path == b.from_path && a.message_id == b.message_id &&
         a.byte_range == b.byte_range && a.success_report == b.success_report &&
         a.failure_report == b.failure_report && a.report_status == b.report_status &&
         a.report_comment == b.report_comment && a.content_type == b.content_type &&
         a.other_headers == b.other_headers && a.body == b.body && a.continuation == b.continuation;
}

void CheckFrame(std::string_view stream, const FrameResult& result,
                const tutti::msrp::ParseLimits& limits) {
  Check(result.consumed > 0 && result.consumed <= stream.size());
  const MsrpMessage& message = result.message;
  Check(message.body.size() <= limits.max_body_bytes);
  Check(message.to_path.size() <= limits.max_path_uris);
  Check(message.from_path.size() <= limits.max_path_uris);
  const std::string written = tutti::msrp::WriteMessage(message);
  // The writer puts a space after every header's colon, where the frame
  // may have had none: its header block may be a byte a line longer.
  tutti::msrp::ParseLimits relaxed = limits;
  relaxed.max_header_bytes += limits.max_headers + 2;
  const FrameResult again = tutti::msrp::ParseFrame(written, relaxed);
  Check(again.kind == FrameResult::Kind::kMessage && again.consumed == written.size());
  Check(SameMessage(message, again.message));
  for (size_t cut : {result.consumed - 1, result.consumed / 2}) {
    Check(tutti::msrp::ParseFrame(stream.substr(0, cut), limits).kind ==
          FrameResult::Kind::kNeedMore);
  }
}

void FuzzFrames(std::string_view stream, const tutti::msrp::ParseLimits& limits) {
  for (int frames = 0; frames < 16 && !stream.empty(); ++frames) {
    const FrameResult result = tutti::msrp::ParseFrame(stream, limits);
    if (result.kind == FrameResult::Kind::kError) {
      Check(!result.error.empty());
      Check(result.error_status == 400 || result.error_status == 413);
      return;
    }
    if (result.kind == FrameResult::Kind::kNeedMore) return;
    CheckFrame(stream, result, limits);
    stream.remove_prefix(result.consumed);
  }
}

void FuzzUri(std::string_view text) {
  const auto uri = tutti::msrp::ParseUri(text);
  if (!uri) return;
  const auto again = tutti::msrp::ParseUri(tutti::msrp::FormatUri(*uri));
  Check(again.has_value() && tutti::msrp::SameUri(*uri, *again) && again->host == uri->host &&
        again->session_id == uri->session_id && again->transport == uri->transport);
}

void FuzzCpim(std::string_view text) {
  if (const auto message = tutti::msrp::ParseCpim(text)) {
    const auto again = tutti::msrp::ParseCpim(tutti::msrp::WriteCpim(*message));
    Check(again.has_value() && again->from == message->from && again->to == message->to &&
          again->date_time == message->date_time &&
          again->other_headers == message->other_headers &&
          again->content_type == message->content_type && again->body == message->body);
  }
  const size_t half = text.size() / 2;
  const std::string address = tutti::msrp::CpimAddress(text.substr(0, half), text.substr(half));
  Check(!address.empty() && address.back() == '>');
  for (char c : address) Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  tutti::msrp::CpimMessage wrapper;
  wrapper.from = address;
  wrapper.content_type = "text/plain";
  const auto wrapped = tutti::msrp::ParseCpim(tutti::msrp::WriteCpim(wrapper));
  Check(wrapped.has_value() && wrapped->from == address && wrapped->other_headers.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzFrames(bytes, {});
  tutti::msrp::ParseLimits small;
  small.max_header_bytes = 256;
  small.max_body_bytes = 64;
  small.max_path_uris = 2;
  small.max_headers = 6;
  FuzzFrames(bytes, small);
  FuzzUri(bytes);
  FuzzCpim(bytes);
  return 0;
}
