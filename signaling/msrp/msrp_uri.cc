// MSRP URIs (RFC 4975 §6, §9):
//   msrp[s]://[userinfo@]host[:port][/session-id];transport *(;param)
// The userinfo and any parameter after the transport are accepted and
// dropped: §6.1 leaves them out of a URI's identity.
#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "common/strings.h"
#include "signaling/msrp/msrp_grammar.h"
#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {
namespace {

// Bounds on what a stranger's URI may make us keep.
constexpr size_t kMaxUriLength = 512;
constexpr size_t kMaxHostLength = 255;

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

bool IsSubDelim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

bool AllOf(std::string_view text, bool (*accept)(char)) {
  for (char c : text) {
    if (!accept(c)) return false;
  }
  return true;
}

// userinfo = *( unreserved / pct-encoded / sub-delims / ":" ), pct-encoded
// checked only for its characters.
bool IsUserinfoChar(char c) { return IsUnreserved(c) || IsSubDelim(c) || c == ':' || c == '%'; }
// session-id = 1*( unreserved / "+" / "=" / "/" )
bool IsSessionIdChar(char c) { return IsUnreserved(c) || c == '+' || c == '=' || c == '/'; }
bool IsParamChar(char c) { return IsUnreserved(c) || c == '=' || c == '%' || c == '!' || c == '*'; }

bool IsIpv6(std::string_view host, std::array<unsigned char, 16>* bytes) {
  if (host.size() >= INET6_ADDRSTRLEN) return false;
  const std::string text(host);
  return inet_pton(AF_INET6, text.c_str(), bytes->data()) == 1;
}

bool ParsePort(std::string_view digits, uint16_t* port) {
  if (digits.empty() || digits.size() > 5) return false;
  uint32_t value = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

// host [":" port], the host an IPv6 literal in brackets, an IPv4 address
// or a name.
bool ParseHostPort(std::string_view text, MsrpUri* uri) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == text.npos) return false;
    host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return false;
      port = after.substr(1);
      if (port.empty()) return false;
    }
    std::array<unsigned char, 16> bytes;
    if (!IsIpv6(host, &bytes)) return false;
  } else {
    const size_t colon = text.find(':');
    if (colon != text.npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty() || host.size() > kMaxHostLength || !AllOf(host, IsUnreserved)) return false;
  }
  if (!port.empty() && !ParsePort(port, &uri->port)) return false;
  uri->host = std::string(host);
  return true;
}

bool ParseAuthority(std::string_view authority, MsrpUri* uri) {
  const size_t at = authority.rfind('@');
  if (at != authority.npos) {
    if (!AllOf(authority.substr(0, at), IsUserinfoChar)) return false;
    authority.remove_prefix(at + 1);
  }
  return ParseHostPort(authority, uri);
}

// ";" transport *( ";" URI-parameter ): the transport kept (lower case),
// the rest checked and dropped.
bool ParseTransportAndParams(std::string_view text, MsrpUri* uri) {
  if (!text.starts_with(';')) return false;
  text.remove_prefix(1);
  const size_t semicolon = text.find(';');
  const std::string_view transport = text.substr(0, semicolon);
  if (transport.empty() || !AllOf(transport, [](char c) { return IsTokenChar(c); })) return false;
  uri->transport = AsciiLowered(transport);
  if (semicolon == text.npos) return true;
  text.remove_prefix(semicolon + 1);
  while (true) {
    const size_t next = text.find(';');
    const std::string_view param = text.substr(0, next);
    if (param.empty() || !AllOf(param, IsParamChar)) return false;
    if (next == text.npos) return true;
    text.remove_prefix(next + 1);
  }
}

}  // namespace

std::optional<MsrpUri> ParseUri(std::string_view text) {
  if (text.size() > kMaxUriLength) return std::nullopt;
  MsrpUri uri;
  if (EqualsIgnoreCase(text.substr(0, 8), "msrps://")) {
    uri.secure = true;
    text.remove_prefix(8);
  } else if (EqualsIgnoreCase(text.substr(0, 7), "msrp://")) {
    text.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const size_t authority_end = text.find_first_of("/;");
  if (authority_end == text.npos) return std::nullopt;  // the transport is mandatory
  if (!ParseAuthority(text.substr(0, authority_end), &uri)) return std::nullopt;
  text.remove_prefix(authority_end);
  if (text.starts_with('/')) {
    text.remove_prefix(1);
    const size_t session_end = text.find(';');
    const std::string_view session_id = text.substr(0, session_end);
    if (session_id.empty() || !AllOf(session_id, IsSessionIdChar)) return std::nullopt;
    uri.session_id = std::string(session_id);
    text.remove_prefix(session_id.size());
  }
  if (!ParseTransportAndParams(text, &uri)) return std::nullopt;
  return uri;
}

std::string FormatUri(const MsrpUri& uri) {
  const bool ipv6 = uri.host.find(':') != std::string::npos;
  std::string out =
      StrCat(uri.secure ? "msrps://" : "msrp://", ipv6 ? "[" : "", uri.host, ipv6 ? "]" : "");
  if (uri.port != 0) StrAppend(&out, ":", uri.port);
  if (!uri.session_id.empty()) StrAppend(&out, "/", uri.session_id);
  StrAppend(&out, ";", uri.transport);
  return out;
}

bool SameUri(const MsrpUri& a, const MsrpUri& b) {
  if (a.secure != b.secure || a.port != b.port || a.session_id != b.session_id ||
      !EqualsIgnoreCase(a.transport, b.transport)) {
    return false;
  }
  // An IPv6 address may be written in several ways (::1, 0:0::1).
  std::array<unsigned char, 16> a_bytes, b_bytes;
  if (IsIpv6(a.host, &a_bytes) && IsIpv6(b.host, &b_bytes)) return a_bytes == b_bytes;
  return EqualsIgnoreCase(a.host, b.host);
}

}  // namespace tutti::msrp
