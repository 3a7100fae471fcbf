// The SIP message model (RFC 3261 §7): one owned buffer and views into it.
//
// A SipMessage is produced by ParseSipMessage (sip_parser.h). Every string_view
// it hands out points into its own immutable buffer, which is shared (not
// copied) when the message is copied, so a transaction can keep the request it
// answers without copying bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/header_values.h"
#include "signaling/sip/sip_method.h"

namespace tutti::sip {

// Headers the stack reads. Everything else is kOther and found by name.
enum class HeaderId : uint8_t {
  kOther,
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kContact,
  kMaxForwards,
  kContentLength,
  kContentType,
  kContentEncoding,
  kRoute,
  kRecordRoute,
  kAllow,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAccept,
  kExpires,
  kSessionExpires,
  kMinSe,
  kEvent,
  kSubscriptionState,
  kReferTo,
  kUserAgent,
  kServer,
  kRetryAfter,
  kTimestamp,
};

// Case-insensitive; understands the compact forms of RFC 3261 §7.3.3 and
// RFC 3515/4028 (v f t i m l c e k s o u r x ...).
HeaderId HeaderIdFromName(std::string_view name);
// The full, canonically capitalised name ("Call-ID", "CSeq"); empty for kOther.
std::string_view CanonicalHeaderName(HeaderId id);

struct HeaderField {
  HeaderId id = HeaderId::kOther;
  std::string_view name;  // as written on the wire
  // Leading/trailing white space trimmed; folded lines (CRLF + WSP) read as
  // spaces. Headers that are comma-separated lists (Via, Route, Record-Route,
  // Contact, Allow, Supported, Require, Proxy-Require, Unsupported, Accept)
  // appear as one HeaderField per list element, in order.
  std::string_view value;
};

class SipMessage {
 public:
  SipMessage() = default;

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }

  // Request line. method() is kUnknown for extension methods; method_name()
  // always holds the token.
  Method method() const { return method_; }
  std::string_view method_name() const { return method_name_; }
  std::string_view request_uri_text() const { return request_uri_text_; }
  const SipUri& request_uri() const { return request_uri_; }

  // Status line.
  int status_code() const { return status_code_; }
  std::string_view reason_phrase() const { return reason_phrase_; }

  const std::vector<HeaderField>& headers() const { return headers_; }
  // First header with this id (or, for kOther, use the name overload); null when absent.
  const HeaderField* FindHeader(HeaderId id) const;
  // Case-insensitive by name; compact forms match their full names too.
  const HeaderField* FindHeader(std::string_view name) const;
  // Value of the first such header, empty when absent.
  std::string_view HeaderValue(HeaderId id) const;
  int CountHeaders(HeaderId id) const;

  // The essentials, parsed and checked by the parser for every message it
  // accepts: top Via, From, To, Call-ID, CSeq.
  const Via& top_via() const { return top_via_; }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  // -1 when absent (allowed on requests from some peers; the stack treats it as 70).
  int max_forwards() const { return max_forwards_; }

  std::string_view body() const { return body_; }
  std::string_view content_type() const { return HeaderValue(HeaderId::kContentType); }
  // The whole message exactly as received.
  std::string_view raw() const { return buffer_ ? std::string_view(*buffer_) : std::string_view(); }

 private:
  friend class SipParser;  // sip_parser.cc fills the fields

  std::shared_ptr<const std::string> buffer_;
  bool is_request_ = false;
  Method method_ = Method::kUnknown;
  std::string_view method_name_;
  std::string_view request_uri_text_;
  SipUri request_uri_;
  int status_code_ = 0;
  std::string_view reason_phrase_;
  std::vector<HeaderField> headers_;
  Via top_via_;
  NameAddr from_;
  NameAddr to_;
  std::string_view call_id_;
  CSeq cseq_;
  int max_forwards_ = -1;
  std::string_view body_;
};

}  // namespace tutti::sip
