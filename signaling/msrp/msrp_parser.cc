// The incremental MSRP frame parser (RFC 4975 §7 and the grammar of §9).
//
// ParseFrame is called with everything a connection has buffered, so it
// keeps no state between calls; what bounds its work is the limits: the
// header block is only looked at within max_header_bytes, the body only
// within max_body_bytes plus one end-line, so one call is linear in the
// limits and a stranger who never sends an end-line is refused once the
// limit is passed rather than buffered for ever.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "common/strings.h"
#include "signaling/msrp/msrp_grammar.h"
#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kDashes = "-------";
constexpr std::string_view kMagic = "MSRP ";

bool IsContinuationFlag(char c) { return c == '$' || c == '+' || c == '#'; }

bool IsUpAlpha(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// hname = ALPHA *token-char (§9).
bool IsHeaderName(std::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// The known headers, each allowed once.
enum HeaderBit : uint32_t {
  kToPath = 1u << 0,
  kFromPath = 1u << 1,
  kMessageId = 1u << 2,
  kByteRange = 1u << 3,
  kSuccessReport = 1u << 4,
  kFailureReport = 1u << 5,
  kStatus = 1u << 6,
  kContentType = 1u << 7,
};

class FrameReader {
 public:
  FrameReader(std::string_view buffer, const ParseLimits& limits)
      : buffer_(buffer), limits_(limits) {}

  FrameResult Read() {
    Step step = ReadStartLine();
    if (step == Step::kDone) step = ReadHeaders();
    if (step == Step::kDone && has_body_) step = ReadBody();
    if (step == Step::kNeedMore) {
      result_.kind = FrameResult::Kind::kNeedMore;
      result_.message = {};
    } else if (step == Step::kDone) {
      result_.kind = FrameResult::Kind::kMessage;
      result_.consumed = position_;
    }
    return std::move(result_);
  }

 private:
  enum class Step { kDone, kNeedMore, kError };

  Step Fail(std::string why, int status = 400) {
    result_.kind = FrameResult::Kind::kError;
    result_.error = std::move(why);
    result_.error_status = status;
    result_.message = {};
    return Step::kError;
  }

  // The next CRLF-terminated line of the header block (the start line
  // included); a line that would end past max_header_bytes is an error as
  // soon as that many bytes are buffered.
  Step NextLine(std::string_view* line) {
    const size_t limit = limits_.max_header_bytes;
    const std::string_view window = buffer_.substr(0, limit);
    const size_t end = position_ <= window.size() ? window.find(kCrlf, position_) : window.npos;
    if (end == window.npos) {
      if (buffer_.size() >= limit) return Fail("header block above the limit");
      return Step::kNeedMore;
    }
    *line = buffer_.substr(position_, end - position_);
    position_ = end + kCrlf.size();
    return Step::kDone;
  }

  Step ReadStartLine() {
    // Garbage is refused on its first bytes, not after a header block of it.
    const size_t prefix = std::min(buffer_.size(), kMagic.size());
    if (buffer_.substr(0, prefix) != kMagic.substr(0, prefix)) return Fail("not an MSRP frame");
    std::string_view line;
    if (Step step = NextLine(&line); step != Step::kDone) return step;
    line.remove_prefix(kMagic.size());
    const size_t space = line.find(' ');
    if (space == line.npos) return Fail("start line without a method or status");
    const std::string_view tid = line.substr(0, space);
    if (!IsIdent(tid)) return Fail("bad transaction id");
    result_.transaction_id = std::string(tid);
    message().transaction_id = std::string(tid);
    return ReadMethodOrStatus(line.substr(space + 1));
  }

  Step ReadMethodOrStatus(std::string_view rest) {
    MsrpMessage& m = message();
    const bool looks_like_code = rest.size() >= 3 && absl::ascii_isdigit(rest[0]) &&
                                 absl::ascii_isdigit(rest[1]) && absl::ascii_isdigit(rest[2]);
    if (!looks_like_code) {
      if (!IsUpAlpha(rest)) return Fail("bad method");
      m.is_request = true;
      m.method = std::string(rest);
      return Step::kDone;
    }
    if (rest.size() > 3 && rest[3] != ' ') return Fail("bad status code");
    if (!ParseStatusCode(rest.substr(0, 3), &m.status_code)) return Fail("bad status code");
    const std::string_view comment = rest.size() > 3 ? rest.substr(4) : std::string_view();
    if (!IsText(comment)) return Fail("bad status comment");
    m.is_request = false;
    m.comment = std::string(comment);
    return Step::kDone;
  }

  bool IsEndLine(std::string_view line, char* flag) const {
    const std::string_view tid = result_.transaction_id;
    if (line.size() != kDashes.size() + tid.size() + 1) return false;
    if (!line.starts_with(kDashes) || line.substr(kDashes.size(), tid.size()) != tid) {
      return false;
    }
    *flag = line.back();
    return IsContinuationFlag(*flag);
  }

  Step ReadHeaders() {
    for (;;) {
      std::string_view line;
      if (Step step = NextLine(&line); step != Step::kDone) return step;
      char flag = 0;
      if (IsEndLine(line, &flag)) return EndWithoutBody(static_cast<Continuation>(flag));
      if (line.empty()) return StartBody();
      if (seen_ & kContentType) return Fail("Content-Type is not the last header");
      if (Step step = ReadHeader(line); step != Step::kDone) return step;
    }
  }

  Step CheckPaths() {
    if ((seen_ & (kToPath | kFromPath)) != (kToPath | kFromPath)) {
      return Fail("To-Path and From-Path are mandatory");
    }
    return Step::kDone;
  }

  Step EndWithoutBody(Continuation flag) {
    if (Step step = CheckPaths(); step != Step::kDone) return step;
    if (seen_ & kContentType) return Fail("Content-Type without a body");
    message().continuation = flag;
    return Step::kDone;
  }

  Step StartBody() {
    if (Step step = CheckPaths(); step != Step::kDone) return step;
    if (!(seen_ & kContentType)) return Fail("a body needs a Content-Type");
    if (!message().is_request) return Fail("a response has no body");
    has_body_ = true;
    return Step::kDone;
  }

  Step ReadHeader(std::string_view line) {
    if (++header_count_ > limits_.max_headers) return Fail("too many headers");
    const size_t colon = line.find(':');
    if (colon == line.npos) return Fail("header without a colon");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = StripWhitespace(line.substr(colon + 1));
    if (!IsHeaderName(name)) return Fail("bad header name");
    if (!IsText(value)) return Fail("control characters in a header");
    // To-Path, then From-Path, before anything else (§9: headers).
    if (header_count_ == 1 && !EqualsIgnoreCase(name, "To-Path")) {
      return Fail("To-Path must be the first header");
    }
    if (header_count_ == 2 && !EqualsIgnoreCase(name, "From-Path")) {
      return Fail("From-Path must be the second header");
    }
    return ReadHeaderValue(name, value);
  }

  Step ReadHeaderValue(std::string_view name, std::string_view value) {
    MsrpMessage& m = message();
    const auto is = [&](std::string_view known) { return EqualsIgnoreCase(name, known); };
    if (is("To-Path")) return Once(kToPath) ? ReadPath(value, &m.to_path) : Duplicate(name);
    if (is("From-Path")) return Once(kFromPath) ? ReadPath(value, &m.from_path) : Duplicate(name);
    if (is("Message-ID")) {
      if (!Once(kMessageId)) return Duplicate(name);
      if (!IsIdent(value)) return Fail("bad Message-ID");
      m.message_id = std::string(value);
      return Step::kDone;
    }
    if (is("Byte-Range")) {
      if (!Once(kByteRange)) return Duplicate(name);
      ByteRange range;
      if (!ParseByteRange(value, &range)) return Fail("bad Byte-Range");
      m.byte_range = range;
      return Step::kDone;
    }
    if (is("Success-Report")) {
      if (!Once(kSuccessReport)) return Duplicate(name);
      return ReadReportFlag(value, /*partial_allowed=*/false, &m.success_report);
    }
    if (is("Failure-Report")) {
      if (!Once(kFailureReport)) return Duplicate(name);
      return ReadReportFlag(value, /*partial_allowed=*/true, &m.failure_report);
    }
    if (is("Status")) {
      if (!Once(kStatus)) return Duplicate(name);
      if (!ParseReportStatus(value, &m.report_status, &m.report_comment)) {
        return Fail("bad Status");
      }
      return Step::kDone;
    }
    if (is("Content-Type")) {
      if (!Once(kContentType)) return Duplicate(name);
      if (!IsMediaType(value)) return Fail("bad Content-Type");
      m.content_type = std::string(value);
      return Step::kDone;
    }
    m.other_headers.emplace_back(std::string(name), std::string(value));
    return Step::kDone;
  }

  bool Once(HeaderBit bit) {
    if (seen_ & bit) return false;
    seen_ |= bit;
    return true;
  }
  Step Duplicate(std::string_view name) { return Fail(StrCat("duplicate ", name)); }

  Step ReadPath(std::string_view value, std::vector<std::string>* path) {
    for (std::string_view uri : SplitNonEmpty(value, ' ')) {
      if (path->size() >= limits_.max_path_uris) return Fail("too many URIs in a path");
      if (!ParseUri(uri)) return Fail("bad MSRP URI in a path");
      path->emplace_back(uri);
    }
    if (path->empty()) return Fail("empty path");
    return Step::kDone;
  }

  Step ReadReportFlag(std::string_view value, bool partial_allowed, std::string* out) {
    std::string lower = AsciiLowered(value);
    if (lower != "yes" && lower != "no" && !(partial_allowed && lower == "partial")) {
      return Fail("bad report header");
    }
    *out = std::move(lower);
    return Step::kDone;
  }

  // The body runs to the first "\r\n-------<tid>" followed by a flag and
  // CRLF: the bytes before it may hold anything, fake end-lines included.
  Step ReadBody() {
    const MsrpMessage& m = message();
    // A chunk that says it is larger than the limit is refused before its
    // bytes arrive.
    if (m.byte_range && m.byte_range->end &&
        *m.byte_range->end + 1 - m.byte_range->start > limits_.max_body_bytes) {
      return Fail("chunk above the body limit", 413);
    }
    const size_t body_start = position_;
    const std::string marker = StrCat(kCrlf, kDashes, result_.transaction_id);
    const size_t end_line_size = marker.size() + 1 + kCrlf.size();
    const size_t window_size = limits_.max_body_bytes + end_line_size;
    const std::string_view window = buffer_.substr(body_start, window_size);
    for (size_t from = 0;;) {
      const size_t at = window.find(marker, from);
      if (at == window.npos || at + end_line_size > window.size()) break;
      const char flag = window[at + marker.size()];
      if (IsContinuationFlag(flag) && window.substr(at + marker.size() + 1, 2) == kCrlf) {
        message().body = std::string(window.substr(0, at));
        message().continuation = static_cast<Continuation>(flag);
        position_ = body_start + at + end_line_size;
        return Step::kDone;
      }
      from = at + 1;
    }
    if (window.size() >= window_size) return Fail("chunk above the body limit", 413);
    return Step::kNeedMore;
  }

  MsrpMessage& message() { return result_.message; }

  const std::string_view buffer_;
  const ParseLimits& limits_;
  size_t position_ = 0;
  size_t header_count_ = 0;
  uint32_t seen_ = 0;
  bool has_body_ = false;
  FrameResult result_;
};

}  // namespace

FrameResult ParseFrame(std::string_view buffer, const ParseLimits& limits) {
  return FrameReader(buffer, limits).Read();
}

}  // namespace tutti::msrp
