// MSRP messages as bytes (RFC 4975 §7), and the random identifiers.
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <string>

#include "absl/random/random.h"
#include "common/strings.h"
#include "signaling/msrp/msrp_grammar.h"
#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// 16 of 62 symbols: 95 bits; 20: 119 bits (the RFC asks for 64 and 80).
constexpr size_t kTransactionIdLength = 16;
constexpr size_t kMessageIdLength = 20;
constexpr size_t kSessionIdLength = 24;

void AppendPath(std::string* out, std::string_view name, const std::vector<std::string>& path) {
  StrAppend(out, name, ":");
  for (const std::string& uri : path) StrAppend(out, " ", uri);
  StrAppend(out, kCrlf);
}

void AppendEndLine(std::string* out, std::string_view transaction_id, Continuation flag) {
  StrAppend(out, "-------", transaction_id);
  out->push_back(static_cast<char>(flag));
  StrAppend(out, kCrlf);
}

std::string PseudoRandomId(size_t length) {
  static thread_local absl::BitGen bitgen;
  std::string id(length, 'x');
  for (char& c : id) c = kAlphanumeric[absl::Uniform<size_t>(bitgen, 0, kAlphanumeric.size())];
  return id;
}

// From the kernel's generator: a session id is what lets a connection in,
// so it must not be guessable from ids seen before.
std::string KernelRandomId(size_t length) {
  std::string id;
  id.reserve(length);
  std::array<unsigned char, 64> bytes;
  while (id.size() < length) {
    const ssize_t got = getrandom(bytes.data(), bytes.size(), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return PseudoRandomId(length);  // no getrandom(2): BitGen is seeded from the OS too
    }
    for (ssize_t i = 0; i < got && id.size() < length; ++i) {
      // 248 = 4 * 62: dropping the bytes above it keeps every symbol equally likely.
      if (bytes[i] < 248) id.push_back(kAlphanumeric[bytes[i] % kAlphanumeric.size()]);
    }
  }
  return id;
}

}  // namespace

std::string WriteMessage(const MsrpMessage& message) {
  std::string out;
  out.reserve(256 + message.body.size());
  if (message.is_request) {
    StrAppend(&out, "MSRP ", message.transaction_id, " ", message.method, kCrlf);
  } else {
    StrAppend(&out, "MSRP ", message.transaction_id, " ", message.status_code,
              message.comment.empty() ? "" : " ", message.comment, kCrlf);
  }
  AppendPath(&out, "To-Path", message.to_path);
  AppendPath(&out, "From-Path", message.from_path);
  if (!message.message_id.empty()) StrAppend(&out, "Message-ID: ", message.message_id, kCrlf);
  if (message.byte_range) {
    StrAppend(&out, "Byte-Range: ", FormatByteRange(*message.byte_range), kCrlf);
  }
  if (!message.success_report.empty()) {
    StrAppend(&out, "Success-Report: ", message.success_report, kCrlf);
  }
  if (!message.failure_report.empty()) {
    StrAppend(&out, "Failure-Report: ", message.failure_report, kCrlf);
  }
  if (message.report_status != 0) {
    StrAppend(&out, "Status: 000 ", message.report_status,
              message.report_comment.empty() ? "" : " ", message.report_comment, kCrlf);
  }
  for (const auto& [name, value] : message.other_headers) {
    StrAppend(&out, name, ": ", value, kCrlf);
  }
  // §7.1: Content-Type last, then a blank line, the body and the CRLF
  // that comes before the end-line.
  if (!message.content_type.empty()) {
    StrAppend(&out, "Content-Type: ", message.content_type, kCrlf, kCrlf, message.body, kCrlf);
  }
  AppendEndLine(&out, message.transaction_id, message.continuation);
  return out;
}

// §7.2: the response goes back one hop, to the first URI of the request's
// From-Path, and names as its sender the URI the request was sent to (the
// first of its To-Path: a relay in front would have taken itself off).
std::string WriteResponse(const MsrpMessage& request, int status_code, std::string_view comment) {
  MsrpMessage response;
  response.is_request = false;
  response.transaction_id = request.transaction_id;
  response.status_code = status_code;
  response.comment = std::string(comment);
  if (!request.from_path.empty()) response.to_path.push_back(request.from_path.front());
  if (!request.to_path.empty()) response.from_path.push_back(request.to_path.front());
  return WriteMessage(response);
}

std::string WriteReport(const std::vector<std::string>& to_path,
                        const std::vector<std::string>& from_path, std::string_view message_id,
                        const ByteRange& range, int status_code, std::string_view comment) {
  MsrpMessage report;
  report.method = "REPORT";
  report.transaction_id = NewTransactionId();
  report.to_path = to_path;
  report.from_path = from_path;
  report.message_id = std::string(message_id);
  report.byte_range = range;
  report.report_status = status_code;
  report.report_comment = std::string(comment);
  return WriteMessage(report);
}

std::string NewTransactionId() { return PseudoRandomId(kTransactionIdLength); }
std::string NewMessageId() { return PseudoRandomId(kMessageIdLength); }
std::string NewSessionId() { return KernelRandomId(kSessionIdLength); }

}  // namespace tutti::msrp
