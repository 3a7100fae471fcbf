#include "signaling/sip/header_values.h"

#include <string>

#include "common/strings.h"
#include "signaling/sip/sip_grammar.h"

namespace tutti::sip {
namespace {

using grammar::FindUnquoted;
using grammar::IsAlnum;
using grammar::IsAlpha;
using grammar::IsDigit;
using grammar::IsEscapedText;
using grammar::IsHexDigit;
using grammar::IsToken;
using grammar::IsTokenChar;
using grammar::IsUnreserved;
using grammar::IsWhitespace;
using grammar::TrimWhitespace;

absl::Status Invalid(std::string_view what, std::string_view text) {
  return absl::InvalidArgumentError(StrCat(what, ": ", text.substr(0, 80)));
}

bool HasWhitespaceOrControl(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// Calls f(name, value, has_value) for each ";name[=value]" element, names and
// values trimmed. Splits only: the callers decide what characters are valid.
// Returns false when the list does not start with ';' or f returns false.
template <typename F>
bool WalkParams(std::string_view params, F f) {
  params = TrimWhitespace(params);
  size_t start = 0;
  while (start < params.size()) {
    if (params[start] != ';') return false;
    size_t end = FindUnquoted(params, ';', start + 1);
    if (end == std::string_view::npos) end = params.size();
    const std::string_view element = params.substr(start + 1, end - start - 1);
    const size_t equals = element.find('=');
    const std::string_view name = TrimWhitespace(element.substr(0, equals));
    const bool has_value = equals != std::string_view::npos;
    const std::string_view value = has_value ? TrimWhitespace(element.substr(equals + 1)) : "";
    if (!f(name, value, has_value)) return false;
    start = end;
  }
  return true;
}

// quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; `text` starts at the
// opening quote. Returns the length including both quotes, 0 when unterminated.
size_t QuotedStringLength(std::string_view text) {
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (i + 1 >= text.size() || text[i + 1] == '\r' || text[i + 1] == '\n') return 0;
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

bool IsQuotedString(std::string_view text) {
  return !text.empty() && text.front() == '"' && QuotedStringLength(text) == text.size();
}

// gen-value = token / host / quoted-string (RFC 3261 §25.1).
bool IsGenericValue(std::string_view value) {
  if (IsQuotedString(value)) return true;
  if (value.empty()) return false;
  for (char c : value) {
    if (!IsTokenChar(c) && c != ':' && c != '[' && c != ']') return false;
  }
  return true;
}

// Header parameters: *( SEMI generic-param ), white space allowed around ';' and '='.
bool IsValidHeaderParams(std::string_view params) {
  return WalkParams(params, [](std::string_view name, std::string_view value, bool has_value) {
    return IsToken(name) && (!has_value || IsGenericValue(value));
  });
}

// paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" /
// "&" / "+" / "$"
bool IsUriParamChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
      return true;
    default:
      return false;
  }
}

bool IsValidUriParams(std::string_view params) {
  return WalkParams(params, [](std::string_view name, std::string_view value, bool has_value) {
    return !name.empty() && IsEscapedText(name, IsUriParamChar) &&
           (!has_value || (!value.empty() && IsEscapedText(value, IsUriParamChar)));
  });
}

// user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" /
// "," / ";" / "?" / "/"
bool IsUserChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
    case ';':
    case '?':
    case '/':
      return true;
    default:
      return false;
  }
}

// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
bool IsPasswordChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
      return true;
    default:
      return false;
  }
}

// hname/hvalue characters plus the '=' and '&' that separate them.
bool IsUriHeaderChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case '?':
    case ':':
    case '+':
    case '$':
    case '=':
    case '&':
      return true;
    default:
      return false;
  }
}

bool IsHostnameChar(char c) { return IsAlnum(c) || c == '-' || c == '.'; }
bool IsIpv6Char(char c) { return IsHexDigit(c) || c == ':' || c == '.'; }

struct HostPort {
  std::string_view host;
  bool is_ipv6 = false;
  uint16_t port = 0;
};

// host [ ":" port ], with the white space RFC 3261 allows around ':' in Via's
// sent-by when `allow_spaces` is set.
std::optional<HostPort> ParseHostPort(std::string_view text, bool allow_spaces) {
  HostPort result;
  size_t i = 0;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close < 3) return std::nullopt;
    result.host = text.substr(1, close - 1);
    for (char c : result.host) {
      if (!IsIpv6Char(c)) return std::nullopt;
    }
    if (result.host.find(':') == std::string_view::npos) return std::nullopt;
    result.is_ipv6 = true;
    i = close + 1;
  } else {
    while (i < text.size() && IsHostnameChar(text[i])) ++i;
    result.host = text.substr(0, i);
    if (result.host.empty() || result.host.front() == '-' || result.host.front() == '.') {
      return std::nullopt;
    }
  }
  auto skip_spaces = [&] {
    while (allow_spaces && i < text.size() && IsWhitespace(text[i])) ++i;
  };
  skip_spaces();
  if (i == text.size()) return result;
  if (text[i] != ':') return std::nullopt;
  ++i;
  skip_spaces();
  const std::optional<uint16_t> port = grammar::ParseDecimal<uint16_t>(text.substr(i), 65535);
  if (!port) return std::nullopt;
  result.port = *port;
  return result;
}

bool IsScheme(std::string_view scheme) {
  if (scheme.empty() || !IsAlpha(scheme.front())) return false;
  for (char c : scheme) {
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> FindParam(std::string_view params, std::string_view name) {
  std::optional<std::string_view> found;
  WalkParams(params, [&](std::string_view key, std::string_view value, bool) {
    if (!EqualsIgnoreCase(key, name)) return true;
    found = value;
    return false;
  });
  return found;
}

bool SipUri::is_sip() const {
  return EqualsIgnoreCase(scheme, "sip") || EqualsIgnoreCase(scheme, "sips");
}

std::optional<std::string_view> SipUri::Param(std::string_view name) const {
  return FindParam(params, name);
}

absl::StatusOr<SipUri> ParseUri(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty URI");
  if (HasWhitespaceOrControl(text)) return Invalid("white space in URI", text);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || !IsScheme(text.substr(0, colon))) {
    return Invalid("URI without a scheme", text);
  }
  SipUri uri;
  uri.scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (!uri.is_sip()) {
    // Other schemes (tel:, urn:, http:) are carried, not interpreted.
    if (rest.empty() || rest.find_first_of("<>\"") != std::string_view::npos) {
      return Invalid("malformed URI", text);
    }
    uri.opaque = rest;
    return uri;
  }

  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t password_colon = userinfo.find(':');
    uri.user = userinfo.substr(0, password_colon);
    if (password_colon != std::string_view::npos) {
      uri.password = userinfo.substr(password_colon + 1);
    }
    if (uri.user.empty() || !IsEscapedText(uri.user, IsUserChar) ||
        !IsEscapedText(uri.password, IsPasswordChar)) {
      return Invalid("malformed user part in URI", text);
    }
    rest = rest.substr(at + 1);
  }

  const size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    uri.headers = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (!IsEscapedText(uri.headers, IsUriHeaderChar)) {
      return Invalid("malformed headers in URI", text);
    }
  }
  const size_t semicolon = rest.find(';');
  if (semicolon != std::string_view::npos) {
    uri.params = rest.substr(semicolon);
    rest = rest.substr(0, semicolon);
    if (!IsValidUriParams(uri.params)) return Invalid("malformed URI parameters", text);
  }
  const std::optional<HostPort> host_port = ParseHostPort(rest, /*allow_spaces=*/false);
  if (!host_port) return Invalid("malformed host in URI", text);
  uri.host = host_port->host;
  uri.host_is_ipv6 = host_port->is_ipv6;
  uri.port = host_port->port;
  return uri;
}

std::optional<std::string_view> NameAddr::Param(std::string_view name) const {
  return FindParam(params, name);
}

absl::StatusOr<NameAddr> ParseNameAddr(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return absl::InvalidArgumentError("empty address");
  NameAddr address;
  std::string_view after_uri;
  if (text.front() == '"') {
    const size_t length = QuotedStringLength(text);
    if (length == 0) return Invalid("unterminated quoted display name", text);
    address.display_name = text.substr(1, length - 2);
    text = TrimWhitespace(text.substr(length));
    if (text.empty() || text.front() != '<') return Invalid("display name without <URI>", text);
  } else if (const size_t open = text.find('<'); open != std::string_view::npos) {
    // display-name = *(token LWS)
    const std::string_view display = TrimWhitespace(text.substr(0, open));
    for (char c : display) {
      if (!IsTokenChar(c) && !IsWhitespace(c)) return Invalid("malformed display name", text);
    }
    address.display_name = display;
    text = text.substr(open);
  } else {
    // addr-spec: the URI ends at the first ';', and may not hold ',' '?' or ';'
    // of its own (RFC 3261 §20.10) — those need the <...> form.
    const size_t semicolon = text.find(';');
    address.uri_text = TrimWhitespace(text.substr(0, semicolon));
    if (address.uri_text.find_first_of(",?") != std::string_view::npos) {
      return Invalid("URI with ',' or '?' must be in <>", text);
    }
    after_uri = semicolon == std::string_view::npos ? "" : text.substr(semicolon);
  }
  if (address.uri_text.empty()) {
    const size_t close = text.find('>');
    if (close == std::string_view::npos) return Invalid("unterminated <URI>", text);
    address.uri_text = text.substr(1, close - 1);
    after_uri = text.substr(close + 1);
  }
  auto uri = ParseUri(address.uri_text);
  if (!uri.ok()) return uri.status();
  address.uri = *uri;
  address.params = TrimWhitespace(after_uri);
  if (!IsValidHeaderParams(address.params)) return Invalid("malformed parameters", text);
  address.tag = FindParam(address.params, "tag").value_or("");
  return address;
}

std::optional<std::string_view> Via::Param(std::string_view name) const {
  return FindParam(params, name);
}

absl::StatusOr<Via> ParseVia(std::string_view text) {
  text = TrimWhitespace(text);
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
  const size_t slash1 = text.find('/');
  const size_t slash2 = slash1 == std::string_view::npos ? slash1 : text.find('/', slash1 + 1);
  if (slash2 == std::string_view::npos) return Invalid("no sent-protocol", text);
  Via via;
  via.protocol_name = TrimWhitespace(text.substr(0, slash1));
  via.protocol_version = TrimWhitespace(text.substr(slash1 + 1, slash2 - slash1 - 1));
  std::string_view rest = TrimWhitespace(text.substr(slash2 + 1));
  size_t transport_end = 0;
  while (transport_end < rest.size() && IsTokenChar(rest[transport_end])) ++transport_end;
  via.transport = rest.substr(0, transport_end);
  if (!IsToken(via.protocol_name) || !IsToken(via.protocol_version) || !IsToken(via.transport)) {
    return Invalid("malformed sent-protocol", text);
  }
  rest = rest.substr(transport_end);
  if (rest.empty() || !IsWhitespace(rest.front())) return Invalid("no sent-by", text);
  rest = TrimWhitespace(rest);

  const size_t semicolon = rest.find(';');
  const std::string_view sent_by = TrimWhitespace(rest.substr(0, semicolon));
  const std::optional<HostPort> host_port = ParseHostPort(sent_by, /*allow_spaces=*/true);
  if (!host_port) return Invalid("malformed sent-by", text);
  via.host = host_port->host;
  via.host_is_ipv6 = host_port->is_ipv6;
  via.port = host_port->port;

  if (semicolon != std::string_view::npos) {
    via.params = rest.substr(semicolon);
    if (!IsValidHeaderParams(via.params)) return Invalid("malformed Via parameters", text);
    via.branch = FindParam(via.params, "branch").value_or("");
    via.received = FindParam(via.params, "received").value_or("");
    if (std::optional<std::string_view> rport = FindParam(via.params, "rport")) {
      via.has_rport = true;
      if (!rport->empty()) {
        std::optional<uint16_t> port = grammar::ParseDecimal<uint16_t>(*rport, 65535);
        if (!port) return Invalid("malformed rport", text);
        via.rport = *port;
      }
    }
  }
  return via;
}

absl::StatusOr<CSeq> ParseCSeq(std::string_view text) {
  text = TrimWhitespace(text);
  size_t digits = 0;
  while (digits < text.size() && IsDigit(text[digits])) ++digits;
  // RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31.
  const std::optional<uint32_t> number =
      grammar::ParseDecimal<uint32_t>(text.substr(0, digits), 0x7fffffff);
  if (!number) return Invalid("malformed sequence number", text);
  const std::string_view rest = text.substr(digits);
  const std::string_view method = TrimWhitespace(rest);
  if (rest.empty() || !IsWhitespace(rest.front()) || !IsToken(method)) {
    return Invalid("malformed method", text);
  }
  return CSeq{*number, method, MethodFromName(method)};
}

}  // namespace tutti::sip
