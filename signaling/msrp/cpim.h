// Common Presence and Instant Messaging message format (message/cpim, RFC
// 3862): the wrapper that names a relayed message's original sender, used
// by both the pager-mode relay (SIP MESSAGE) and the MSRP chat switch.
// Pure functions; implemented in cpim.cc (fuzzed beside the MSRP parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti::msrp {

struct CpimMessage {
  // Message headers (RFC 3862 §3.3): From and To as written
  // ("Alice <sip:alice@example.com>"), DateTime (RFC 3339), and the others.
  std::string from;
  std::string to;
  std::string date_time;
  std::vector<std::pair<std::string, std::string>> other_headers;
  // The encapsulated MIME entity.
  std::string content_type;
  std::string body;
};

// nullopt when `text` is no CPIM message (missing blank lines, no
// Content-Type in the encapsulated part, a header that does not parse).
std::optional<CpimMessage> ParseCpim(std::string_view text);
std::string WriteCpim(const CpimMessage& message);

// "Display Name <uri>" for a CPIM From/To, quoting the name when needed;
// just "<uri>" for an empty name.
std::string CpimAddress(std::string_view display_name, std::string_view uri);

}  // namespace tutti::msrp
