// What a room's chat message looks like outside the controller: the body
// and Content-Type of a MESSAGE relayed to one member (message/cpim naming
// the sender for a member that accepts it, the content alone otherwise),
// the display name that names the sender in From, the SSE event's JSON, and
// the checks on what a sender may send. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "signaling/msrp/chat_message.h"
#include "signaling/sip/sip_message.h"

namespace tutti {

inline constexpr std::string_view kCpimType = "message/cpim";

// "text/plain" of "Text/Plain; charset=UTF-8": lower case, no parameters.
std::string MediaTypeOf(std::string_view content_type);
// Whether `content_type`'s media type is one of `types` (compared as MediaTypeOf).
bool TypeListed(std::string_view content_type, const std::vector<std::string>& types);
// Whether a request's Accept headers name message/cpim (or message/*):
// what the member's INVITE said it takes.
bool AcceptsCpim(const sip::SipMessage& request);
// Whether `value` may go into a header as it is: no control characters.
bool HeaderSafe(std::string_view value);
// Valid UTF-8 (no overlong forms, no surrogates).
bool IsUtf8(std::string_view text);
// A quoted display name (RFC 3261 §25.1 quoted-string) of at most 64
// bytes of `name`, control characters left out: safe in a header whatever
// the API or a peer gave. Empty for an empty name.
std::string QuotedDisplayName(std::string_view name);
// `request` (as Dialog::BuildRequest made it) with `display_name` (quoted)
// in its From header; unchanged when the name is empty or From unusual.
std::string WithFromDisplayName(std::string request, std::string_view display_name);

struct RelayBody {
  std::string content_type;
  std::string body;
};
// The body of the MESSAGE that takes `message` to a member: wrapped in
// message/cpim (From the sender, To the room) when it `accepts_cpim`.
RelayBody RelayBodyFor(const msrp::ChatMessage& message, std::string_view room_uri,
                       bool accepts_cpim);
// The event stream's `message` event: room, id, from, name, content_type,
// body (left out when not UTF-8; `size` says how big), via, time (RFC 3339);
// a header field that is not UTF-8 is empty.
std::string ChatEventJson(const msrp::ChatMessage& message);

}  // namespace tutti
