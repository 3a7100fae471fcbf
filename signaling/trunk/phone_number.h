// Phone numbers in SIP (RFC 3966 tel: URIs, RFC 3261 ;user=phone, E.164 with
// or without '+', carriers' national formats) read into tutti's one
// canonical form and written back in each trunk's format. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "signaling/sip/sip_message.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti::trunk {

// The canonical form of a dialled string (NumberRules): visual separators
// ("-", ".", " ", "(", ")") dropped, "+" / the international prefix taken
// off, a national number given the country code. Nullopt when it is not a
// number at all (letters, empty, over 32 digits).
std::optional<std::string> NormalizeNumber(std::string_view dialled, const NumberRules& rules);

// `number` (canonical) as the trunk wants it written (NumberRules::format).
std::string FormatNumber(std::string_view number, const NumberRules& rules);

// The number an INVITE calls: the Request-URI's user part (a tel: URI, a
// sip: URI with ;user=phone, or a user part that is a number), else the To
// URI's. Nullopt when neither holds a number (a call to a room by name).
std::optional<std::string> CalledNumberOf(const sip::SipMessage& invite, const NumberRules& rules);

// Who is calling, as a trunk says it: P-Asserted-Identity (RFC 3325) first,
// then Remote-Party-ID (tolerated), then From.
struct CallerIdentity {
  std::string number;        // canonical; empty when none of them holds a number
  std::string display_name;  // quotes and control characters taken off
  std::string source;        // "pai", "rpid", "from"
  bool withheld = false;     // Privacy: id / RPID privacy=full: not shown to others
};
CallerIdentity CallerOf(const sip::SipMessage& invite, const NumberRules& rules);

// The Request-URI (and To URI) of a dial-out to `number` through a trunk:
// sip:<formatted>@<domain>[;user=phone].
std::string NumberUri(std::string_view number, std::string_view domain, const NumberRules& rules);

}  // namespace tutti::trunk
