// MSRP (RFC 4975) on the wire: the message model, the incremental parser
// of a TCP byte stream, the writer, and MSRP URIs. Pure functions over
// bytes, no I/O; fuzzed (tests/fuzz/msrp_parser_fuzz.cc).
//
// Implemented in msrp_parser.cc, msrp_writer.cc and msrp_uri.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti::msrp {

// The end-line's flag (RFC 4975 §7.1): the last chunk of a message, more
// chunks follow, or the sender gave the message up.
enum class Continuation : char { kEnd = '$', kMore = '+', kAbort = '#' };

// Byte-Range: start-end/total, 1-based and inclusive; "*" for an end or a
// total not known (nullopt).
struct ByteRange {
  uint64_t start = 1;
  std::optional<uint64_t> end;
  std::optional<uint64_t> total;
  bool operator==(const ByteRange&) const = default;
};

struct MsrpMessage {
  bool is_request = true;
  std::string transaction_id;
  // Requests: the method as written ("SEND", "REPORT", or an unknown one,
  // which the receiver answers 501).
  std::string method;
  // Responses: the status code and its comment.
  int status_code = 0;
  std::string comment;
  // To-Path and From-Path, the URIs as written, in order.
  std::vector<std::string> to_path;
  std::vector<std::string> from_path;
  std::string message_id;               // Message-ID, "" when absent
  std::optional<ByteRange> byte_range;  // absent: 1-*/* (§7.1.1)
  std::string success_report;           // "yes", "no" or "" (absent: no)
  std::string failure_report;           // "yes", "no", "partial" or "" (absent: yes)
  // REPORT's Status header: "000 200 OK" read as its code and comment.
  int report_status = 0;
  std::string report_comment;
  std::string content_type;  // "" for a message without a body
  // Every other header, name and value as written (Use-Path, Expires...).
  std::vector<std::pair<std::string, std::string>> other_headers;
  std::string body;  // this chunk's bytes
  Continuation continuation = Continuation::kEnd;
};

struct ParseLimits {
  size_t max_header_bytes = 8 * 1024;  // start line to the blank line
  size_t max_body_bytes = 64 * 1024;   // one chunk's content
  size_t max_path_uris = 8;
  size_t max_headers = 32;
};

// One step of reading a TCP stream: not enough bytes yet (read more and
// call again with the whole buffer), one message (drop `consumed` bytes
// from the front), or bytes that are no MSRP. On an error the connection
// cannot be trusted to be in step any more: the caller answers
// `error_status` when the transaction id was read (e.g. 400, 413 for a
// chunk above the limit) and closes the connection.
struct FrameResult {
  enum class Kind { kNeedMore, kMessage, kError } kind = Kind::kNeedMore;
  size_t consumed = 0;
  MsrpMessage message;  // kMessage
  // kError: why (for the log and the response's comment), the status to
  // answer with, and the transaction id when the start line had one.
  std::string error;
  int error_status = 400;
  std::string transaction_id;
};
FrameResult ParseFrame(std::string_view buffer, const ParseLimits& limits = {});

// The bytes of a message: start line, headers in RFC 4975's order
// (To-Path, From-Path first), the body when there is one, the end-line
// with its flag. The caller fills the fields; the writer checks nothing.
std::string WriteMessage(const MsrpMessage& message);
// A transaction response to `request` (§7.2): the same transaction id,
// To-Path the request's From-Path's first URI... as RFC 4975 §7.2 says,
// From-Path our URI, no body.
std::string WriteResponse(const MsrpMessage& request, int status_code, std::string_view comment);
// A REPORT (§7.1.2) for a message received: its Message-ID, the
// Byte-Range of what the report covers, Status "000 <code> <comment>".
std::string WriteReport(const std::vector<std::string>& to_path,
                        const std::vector<std::string>& from_path, std::string_view message_id,
                        const ByteRange& range, int status_code, std::string_view comment);

// Random identifiers (80 bits or more of randomness, URI-safe).
std::string NewTransactionId();
std::string NewMessageId();
std::string NewSessionId();

// msrp://host:port/session-id;tcp (or msrps://); §9.
struct MsrpUri {
  bool secure = false;  // msrps
  std::string host;     // IPv6 without brackets
  uint16_t port = 0;
  std::string session_id;
  std::string transport = "tcp";
};
std::optional<MsrpUri> ParseUri(std::string_view text);
std::string FormatUri(const MsrpUri& uri);
// §6.1: scheme, host (case-insensitive), port, session-id (case-sensitive)
// and transport must all match.
bool SameUri(const MsrpUri& a, const MsrpUri& b);

}  // namespace tutti::msrp
