// IP allow and deny lists for the SIP listeners ([sip] allow / deny): CIDR
// blocks, IPv4 and IPv6. Deny wins; an empty allow list allows everyone not
// denied. Checked for every message before it is parsed, so it allocates
// nothing and walks two short lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

struct Cidr {
  bool v6 = false;
  uint8_t bytes[16] = {};  // the network, host bits cleared
  int prefix = 0;          // bits that must match
};
// "10.0.0.0/8", "192.0.2.7" (one address), "2001:db8::/32". Nullopt when
// malformed (host bits set below the prefix are cleared, not an error).
std::optional<Cidr> ParseCidr(std::string_view text);

class SourceFilter {
 public:
  SourceFilter() = default;
  // An error names the first entry that is not a CIDR block.
  static absl::StatusOr<SourceFilter> Make(const std::vector<std::string>& allow,
                                           const std::vector<std::string>& deny);

  bool Allows(const SocketAddress& source) const;
  bool empty() const { return allow_.empty() && deny_.empty(); }

 private:
  std::vector<Cidr> allow_;
  std::vector<Cidr> deny_;
};

}  // namespace tutti::sip
