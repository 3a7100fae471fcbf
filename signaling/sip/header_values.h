// Parsers for the structured header values the stack reads: SIP URIs,
// name-addr/addr-spec (From, To, Contact, Route), Via and CSeq.
// Pure functions over text; results are views into the input.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "signaling/sip/sip_method.h"

namespace tutti::sip {

// sip:, sips: (RFC 3261 §19.1) and, kept opaque, any other absolute URI (tel:, urn:, http:).
struct SipUri {
  std::string_view scheme;    // lower-cased comparison is the caller's job; "sip", "sips", "tel"
  std::string_view user;      // escaped as written; empty when absent
  std::string_view password;  // empty when absent
  std::string_view host;      // IPv6 references without the brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;         // 0 when absent
  std::string_view params;   // ";transport=tcp;lr" as written, empty when none
  std::string_view headers;  // "?subject=x" part without '?', empty when none
  std::string_view opaque;   // for non-SIP schemes: everything after "scheme:"

  bool is_sip() const;  // scheme is sip or sips (case-insensitive)
  // Parameter value, "" for a flag parameter, nullopt when absent; names case-insensitive.
  std::optional<std::string_view> Param(std::string_view name) const;
};

// Parses an absolute URI. SIP/SIPS URIs are checked strictly (host, port range,
// user part characters); other schemes only need "scheme:" and a non-empty rest.
absl::StatusOr<SipUri> ParseUri(std::string_view text);

// name-addr ("Bob" <sip:bob@host>;tag=x) or addr-spec (sip:bob@host;tag=x).
// In the addr-spec form, parameters after the URI belong to the header (RFC 3261 §20.10).
struct NameAddr {
  std::string_view display_name;  // without quotes, escapes left as written; may be empty
  std::string_view uri_text;      // the URI alone, without < >
  SipUri uri;
  std::string_view params;  // header parameters ";tag=x;expires=3", empty when none
  std::string_view tag;     // the tag parameter, empty when absent

  std::optional<std::string_view> Param(std::string_view name) const;
};
absl::StatusOr<NameAddr> ParseNameAddr(std::string_view text);

// One Via value (RFC 3261 §20.42, RFC 3581).
struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", ... as written
  std::string_view host;              // IPv6 without brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;          // 0 when absent
  std::string_view params;    // ";branch=z9hG4bK..;rport" as written
  std::string_view branch;    // empty when absent
  std::string_view received;  // empty when absent
  bool has_rport = false;
  uint16_t rport = 0;  // 0 when the rport parameter has no value

  std::optional<std::string_view> Param(std::string_view name) const;
};
absl::StatusOr<Via> ParseVia(std::string_view text);

struct CSeq {
  uint32_t number = 0;  // RFC 3261: less than 2**31
  std::string_view method_name;
  Method method = Method::kUnknown;
};
absl::StatusOr<CSeq> ParseCSeq(std::string_view text);

// Looks a parameter up in a ";name=value;flag" list. Names are case-insensitive.
// Returns "" for a flag, the value (quotes kept) otherwise, nullopt when absent.
std::optional<std::string_view> FindParam(std::string_view params, std::string_view name);

}  // namespace tutti::sip
