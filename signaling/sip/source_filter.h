// IP allow and deny lists for the SIP listeners ([sip] allow / deny): CIDR
// blocks, IPv4 and IPv6 (ip_prefix.h). Deny wins; an empty allow list allows
// everyone not denied. Checked for every message before it is parsed, so it
// allocates nothing and walks two short lists.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/sip/ip_prefix.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

class SourceFilter {
 public:
  SourceFilter() = default;
  // An error names the first entry that is not a CIDR block.
  static absl::StatusOr<SourceFilter> Make(const std::vector<std::string>& allow,
                                           const std::vector<std::string>& deny);

  bool Allows(const SocketAddress& source) const;
  bool empty() const { return allow_.empty() && deny_.empty(); }

 private:
  IpPrefixSet allow_;
  IpPrefixSet deny_;
};

}  // namespace tutti::sip
