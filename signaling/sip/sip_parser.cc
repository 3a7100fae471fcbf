#include "signaling/sip/sip_parser.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "common/strings.h"
#include "signaling/sip/sip_grammar.h"

namespace tutti::sip {

namespace {

using grammar::FindUnquoted;
using grammar::IsToken;
using grammar::IsWhitespace;
using grammar::TrimWhitespace;

constexpr size_t kMaxHeaderFields = 256;

// Headers whose value is a comma-separated list (RFC 3261 §7.3.1): each element
// becomes its own HeaderField.
bool IsListHeader(HeaderId id) {
  switch (id) {
    case HeaderId::kVia:
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
    case HeaderId::kContact:
    case HeaderId::kAllow:
    case HeaderId::kSupported:
    case HeaderId::kRequire:
    case HeaderId::kProxyRequire:
    case HeaderId::kUnsupported:
    case HeaderId::kAccept:
      return true;
    default:
      return false;
  }
}

// Headers that may appear once: a second one makes the message ambiguous.
constexpr std::array<HeaderId, 7> kSingleHeaders = {
    HeaderId::kFrom,        HeaderId::kTo,          HeaderId::kCallId,
    HeaderId::kCSeq,        HeaderId::kMaxForwards, HeaderId::kContentLength,
    HeaderId::kContentType,
};

// Call-ID = word [ "@" word ]: visible characters, no white space.
bool IsCallId(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

// "SIP/2.0", case-insensitively (RFC 3261 §7.1).
bool IsSipVersionSyntax(std::string_view text) {
  return text.size() > 4 && EqualsIgnoreCase(text.substr(0, 4), "SIP/");
}

}  // namespace

// Fills a SipMessage from its bytes. One object per message; every view it
// stores points into the message's own buffer.
class SipParser {
 public:
  SipParser(std::string bytes, Framing framing)
      : buffer_(std::make_shared<std::string>(std::move(bytes))), framing_(framing) {}

  ParseOutcome Run() {
    outcome_.message.buffer_ = buffer_;
    outcome_.message.headers_.reserve(24);
    const size_t start = SkipLeadingLineBreaks();
    if (start == buffer_->size()) {
      Reject(400, "Empty message");
      return std::move(outcome_);
    }
    UnfoldAndFindBody(start);
    const std::string_view text(*buffer_);
    size_t line_end = text.find('\n', start);
    if (line_end == std::string_view::npos || line_end > header_end_) line_end = header_end_;
    ParseStartLine(StripLineEnd(text.substr(start, line_end - start)));
    if (line_end < header_end_) {
      ParseHeaderLines(text.substr(line_end + 1, header_end_ - line_end - 1));
    }
    CheckEssentialHeaders();
    CheckBody();
    if (outcome_.ok() && deferred_status_ != 0) Reject(deferred_status_, deferred_reason_);
    return std::move(outcome_);
  }

 private:
  void Reject(int status, std::string_view reason) {
    if (outcome_.reject_status != 0) return;  // the first fault is the one reported
    outcome_.reject_status = status;
    outcome_.reject_reason = std::string(reason);
  }

  // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives).
  size_t SkipLeadingLineBreaks() const {
    size_t i = 0;
    while (i < buffer_->size() && ((*buffer_)[i] == '\r' || (*buffer_)[i] == '\n')) ++i;
    return i;
  }

  static std::string_view StripLineEnd(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  // Finds the blank line that ends the header section and joins folded header
  // lines (a line break followed by SP/HTAB) by overwriting the line break with
  // spaces in place, which RFC 3261 §7.3.1 makes equivalent. Bare LF line ends
  // are accepted as well as CRLF.
  void UnfoldAndFindBody(size_t start) {
    std::string& text = *buffer_;
    header_end_ = text.size();
    body_start_ = text.size();
    size_t line_start = start;
    bool start_line = true;
    while (line_start < text.size()) {
      const size_t newline = text.find('\n', line_start);
      if (newline == std::string::npos) break;  // no blank line: the headers run to the end
      const size_t content_end =
          (newline > line_start && text[newline - 1] == '\r') ? newline - 1 : newline;
      if (content_end == line_start) {
        header_end_ = line_start;
        body_start_ = newline + 1;
        return;
      }
      const size_t next = newline + 1;
      if (!start_line && next < text.size() && (text[next] == ' ' || text[next] == '\t')) {
        for (size_t i = content_end; i <= newline; ++i) text[i] = ' ';
      }
      start_line = false;
      line_start = next;
    }
  }

  void ParseStartLine(std::string_view line) {
    SipMessage& message = outcome_.message;
    if (IsSipVersionSyntax(line.substr(0, line.find(' ')))) {
      ParseStatusLine(line);
      return;
    }
    message.is_request_ = true;
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
    const size_t first_space = line.find(' ');
    const size_t second_space =
        first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
    if (second_space == std::string_view::npos ||
        line.find(' ', second_space + 1) != std::string_view::npos) {
      Reject(400, "Malformed Request-Line");
      return;
    }
    const std::string_view method = line.substr(0, first_space);
    const std::string_view uri = line.substr(first_space + 1, second_space - first_space - 1);
    const std::string_view version = line.substr(second_space + 1);
    if (!IsToken(method)) {
      Reject(400, "Malformed Request-Line: bad method");
      return;
    }
    message.method_name_ = method;
    message.method_ = MethodFromName(method);
    message.request_uri_text_ = uri;
    if (!IsSipVersionSyntax(version)) {
      Reject(400, "Malformed Request-Line: bad SIP-Version");
      return;
    }
    if (!EqualsIgnoreCase(version, "SIP/2.0")) {
      Reject(505, "Version Not Supported");
      return;
    }
    absl::StatusOr<SipUri> parsed_uri = ParseUri(uri);
    if (!parsed_uri.ok()) {
      Reject(400, "Malformed Request-URI");
      return;
    }
    message.request_uri_ = *parsed_uri;
    // A carrier may call a tel: URI (RFC 3966): the number is the call's.
    if (!parsed_uri->is_sip() && !EqualsIgnoreCase(parsed_uri->scheme, "tel")) {
      // Answered only once the rest of the message is known to be sound.
      deferred_status_ = 416;
      deferred_reason_ = "Unsupported URI Scheme";
    }
  }

  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. A missing reason
  // phrase (and its SP) is tolerated, as RFC 4475 §3.1.1.13 asks.
  void ParseStatusLine(std::string_view line) {
    SipMessage& message = outcome_.message;
    message.is_request_ = false;
    const size_t space = line.find(' ');
    if (!EqualsIgnoreCase(line.substr(0, space), "SIP/2.0")) {
      Reject(505, "Version Not Supported");
      return;
    }
    const std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
    const size_t code_end = std::min(rest.find(' '), rest.size());
    const std::optional<int> code = grammar::ParseDecimal<int>(rest.substr(0, code_end), 699);
    if (code_end != 3 || !code || *code < 100) {
      Reject(400, "Malformed Status-Line");
      return;
    }
    message.status_code_ = *code;
    message.reason_phrase_ = code_end < rest.size() ? rest.substr(code_end + 1) : "";
  }

  void ParseHeaderLines(std::string_view section) {
    size_t line_start = 0;
    while (line_start < section.size()) {
      size_t newline = section.find('\n', line_start);
      if (newline == std::string_view::npos) newline = section.size();
      const std::string_view line = StripLineEnd(section.substr(line_start, newline - line_start));
      line_start = newline + 1;
      if (!ParseHeaderLine(line)) return;
    }
  }

  // header = name HCOLON value; HCOLON = *( SP / HTAB ) ":" SWS
  bool ParseHeaderLine(std::string_view line) {
    const size_t colon = line.find(':');
    const std::string_view name =
        colon == std::string_view::npos ? "" : TrimWhitespace(line.substr(0, colon));
    if (line.empty() || IsWhitespace(line.front()) || !IsToken(name)) {
      Reject(400, "Malformed header line");
      return false;
    }
    const HeaderId id = HeaderIdFromName(name);
    const std::string_view value = TrimWhitespace(line.substr(colon + 1));
    if (!IsListHeader(id)) return AddField(HeaderField{id, name, value});
    size_t element_start = 0;
    while (element_start <= value.size()) {
      size_t comma = FindUnquoted(value, ',', element_start);
      if (comma == std::string_view::npos) comma = value.size();
      const std::string_view element =
          TrimWhitespace(value.substr(element_start, comma - element_start));
      if (!element.empty() && !AddField(HeaderField{id, name, element})) return false;
      element_start = comma + 1;
    }
    // A list header with no elements at all is still a header that was present.
    if (value.empty()) return AddField(HeaderField{id, name, value});
    return true;
  }

  bool AddField(HeaderField field) {
    if (outcome_.message.headers_.size() >= kMaxHeaderFields) {
      Reject(400, "Too many header fields");
      return false;
    }
    outcome_.message.headers_.push_back(field);
    return true;
  }

  void CheckEssentialHeaders() {
    SipMessage& message = outcome_.message;
    for (HeaderId id : kSingleHeaders) {
      if (message.CountHeaders(id) > 1) {
        Reject(400, StrCat("Multiple ", CanonicalHeaderName(id), " headers"));
      }
    }
    bool via_ok = false;
    if (const HeaderField* via = message.FindHeader(HeaderId::kVia)) {
      absl::StatusOr<Via> parsed = ParseVia(via->value);
      // Any SIP version in Via still tells where to answer: a SIP/7.0 request
      // deserves its 505 (RFC 4475 §3.1.2.16).
      via_ok = parsed.ok() && EqualsIgnoreCase(parsed->protocol_name, "SIP");
      if (via_ok) {
        message.top_via_ = *parsed;
      } else {
        Reject(400, "Malformed Via header");
        // Broken parameters still leave a readable sent-by to send the 400
        // to (RFC 4475 §3.1.2.1 asks for that answer).
        absl::StatusOr<Via> sent_by = ParseVia(via->value.substr(0, via->value.find(';')));
        if (sent_by.ok()) {
          message.top_via_ = *sent_by;
          via_ok = true;
        }
      }
    } else {
      Reject(400, "Missing Via header");
    }
    ParseAddressHeader(HeaderId::kFrom, &message.from_);
    ParseAddressHeader(HeaderId::kTo, &message.to_);
    if (const HeaderField* call_id = message.FindHeader(HeaderId::kCallId)) {
      message.call_id_ = call_id->value;
      if (!IsCallId(call_id->value)) Reject(400, "Malformed Call-ID header");
    } else {
      Reject(400, "Missing Call-ID header");
    }
    if (const HeaderField* cseq = message.FindHeader(HeaderId::kCSeq)) {
      absl::StatusOr<CSeq> parsed = ParseCSeq(cseq->value);
      if (parsed.ok()) {
        message.cseq_ = *parsed;
        if (message.is_request_ && !message.method_name_.empty() &&
            parsed->method_name != message.method_name_) {
          Reject(400, "CSeq method does not match request method");
        }
      } else {
        Reject(400, "Malformed CSeq header");
      }
    } else {
      Reject(400, "Missing CSeq header");
    }
    outcome_.answerable = message.is_request_ && via_ok &&
                          message.FindHeader(HeaderId::kFrom) != nullptr &&
                          message.FindHeader(HeaderId::kTo) != nullptr &&
                          message.FindHeader(HeaderId::kCallId) != nullptr &&
                          message.FindHeader(HeaderId::kCSeq) != nullptr;

    if (const HeaderField* max_forwards = message.FindHeader(HeaderId::kMaxForwards)) {
      std::optional<int> hops = grammar::ParseDecimal<int>(max_forwards->value, 255);
      if (hops) {
        message.max_forwards_ = *hops;
      } else {
        Reject(400, "Malformed Max-Forwards header");
      }
    }
    if (message.is_request_) CheckContacts();
  }

  void ParseAddressHeader(HeaderId id, NameAddr* out) {
    const HeaderField* field = outcome_.message.FindHeader(id);
    if (field == nullptr) {
      Reject(400, StrCat("Missing ", CanonicalHeaderName(id), " header"));
      return;
    }
    absl::StatusOr<NameAddr> parsed = ParseNameAddr(field->value);
    if (parsed.ok()) {
      *out = *parsed;
    } else {
      Reject(400, StrCat("Malformed ", CanonicalHeaderName(id), " header"));
    }
  }

  // A request's Contact becomes a dialog's remote target, so it must parse
  // ("*" is the REGISTER wildcard).
  void CheckContacts() {
    for (const HeaderField& field : outcome_.message.headers_) {
      if (field.id != HeaderId::kContact || field.value == "*") continue;
      if (!ParseNameAddr(field.value).ok()) {
        Reject(400, "Malformed Contact header");
        return;
      }
    }
  }

  // RFC 3261 §18.3: Content-Length frames the body. On a datagram a missing
  // Content-Length means the rest of the datagram, and bytes beyond it are
  // discarded; on a stream the framer already cut the message to its length.
  void CheckBody() {
    SipMessage& message = outcome_.message;
    const std::string_view available = std::string_view(*buffer_).substr(body_start_);
    const HeaderField* length_field = message.FindHeader(HeaderId::kContentLength);
    if (length_field == nullptr) {
      message.body_ = framing_ == Framing::kDatagram ? available : std::string_view();
      return;
    }
    const std::optional<size_t> length =
        grammar::ParseDecimal<size_t>(length_field->value, size_t{1} << 31);
    if (!length) {
      Reject(400, "Malformed Content-Length header");
      return;
    }
    if (*length > available.size()) {
      Reject(400, "Content-Length exceeds body");
      return;
    }
    message.body_ = available.substr(0, *length);
  }

  std::shared_ptr<std::string> buffer_;
  Framing framing_;
  ParseOutcome outcome_;
  size_t header_end_ = 0;
  size_t body_start_ = 0;
  int deferred_status_ = 0;
  std::string_view deferred_reason_;
};

ParseOutcome ParseSipMessage(std::string bytes, Framing framing) {
  return SipParser(std::move(bytes), framing).Run();
}

}  // namespace tutti::sip
