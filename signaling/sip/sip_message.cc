#include "signaling/sip/sip_message.h"

#include <array>

#include "common/strings.h"

namespace tutti::sip {
namespace {

struct HeaderName {
  HeaderId id;
  std::string_view name;
  char compact;  // RFC 3261 §7.3.3 and extensions; 0 when there is none
};

constexpr std::array<HeaderName, 28> kKnownHeaders = {{
    {HeaderId::kVia, "Via", 'v'},
    {HeaderId::kFrom, "From", 'f'},
    {HeaderId::kTo, "To", 't'},
    {HeaderId::kCallId, "Call-ID", 'i'},
    {HeaderId::kCSeq, "CSeq", 0},
    {HeaderId::kContact, "Contact", 'm'},
    {HeaderId::kMaxForwards, "Max-Forwards", 0},
    {HeaderId::kContentLength, "Content-Length", 'l'},
    {HeaderId::kContentType, "Content-Type", 'c'},
    {HeaderId::kContentEncoding, "Content-Encoding", 'e'},
    {HeaderId::kRoute, "Route", 0},
    {HeaderId::kRecordRoute, "Record-Route", 0},
    {HeaderId::kAllow, "Allow", 0},
    {HeaderId::kSupported, "Supported", 'k'},
    {HeaderId::kRequire, "Require", 0},
    {HeaderId::kProxyRequire, "Proxy-Require", 0},
    {HeaderId::kUnsupported, "Unsupported", 0},
    {HeaderId::kAccept, "Accept", 0},
    {HeaderId::kExpires, "Expires", 0},
    {HeaderId::kSessionExpires, "Session-Expires", 'x'},
    {HeaderId::kMinSe, "Min-SE", 0},
    {HeaderId::kEvent, "Event", 'o'},
    {HeaderId::kSubscriptionState, "Subscription-State", 0},
    {HeaderId::kReferTo, "Refer-To", 'r'},
    {HeaderId::kUserAgent, "User-Agent", 0},
    {HeaderId::kServer, "Server", 0},
    {HeaderId::kRetryAfter, "Retry-After", 0},
    {HeaderId::kTimestamp, "Timestamp", 0},
}};

// Compact forms of headers the stack does not model, so that FindHeader("Subject")
// also finds "s:".
constexpr std::array<std::pair<char, std::string_view>, 9> kOtherCompactForms = {{
    {'s', "Subject"},
    {'u', "Allow-Events"},
    {'b', "Referred-By"},
    {'a', "Accept-Contact"},
    {'j', "Reject-Contact"},
    {'d', "Request-Disposition"},
    {'y', "Identity"},
    {'n', "Identity-Info"},
    {'z', "Session-ID"},
}};

// The full name of a header as written: compact single letters expanded.
std::string_view FullName(std::string_view name) {
  if (name.size() != 1) return name;
  const char letter = AsciiLower(name.front());
  for (const HeaderName& known : kKnownHeaders) {
    if (known.compact == letter) return known.name;
  }
  for (const auto& [compact, full] : kOtherCompactForms) {
    if (compact == letter) return full;
  }
  return name;
}

}  // namespace

HeaderId HeaderIdFromName(std::string_view name) {
  const std::string_view full = FullName(name);
  for (const HeaderName& known : kKnownHeaders) {
    if (EqualsIgnoreCase(known.name, full)) return known.id;
  }
  return HeaderId::kOther;
}

std::string_view CanonicalHeaderName(HeaderId id) {
  for (const HeaderName& known : kKnownHeaders) {
    if (known.id == id) return known.name;
  }
  return {};
}

const HeaderField* SipMessage::FindHeader(HeaderId id) const {
  for (const HeaderField& field : headers_) {
    if (field.id == id) return &field;
  }
  return nullptr;
}

const HeaderField* SipMessage::FindHeader(std::string_view name) const {
  const HeaderId id = HeaderIdFromName(name);
  if (id != HeaderId::kOther) return FindHeader(id);
  const std::string_view full = FullName(name);
  for (const HeaderField& field : headers_) {
    if (field.id == HeaderId::kOther && EqualsIgnoreCase(FullName(field.name), full)) {
      return &field;
    }
  }
  return nullptr;
}

std::string_view SipMessage::HeaderValue(HeaderId id) const {
  const HeaderField* field = FindHeader(id);
  return field ? field->value : std::string_view();
}

int SipMessage::CountHeaders(HeaderId id) const {
  int count = 0;
  for (const HeaderField& field : headers_) count += field.id == id ? 1 : 0;
  return count;
}

}  // namespace tutti::sip
