#include "signaling/sip/source_filter.h"

#include <netinet/in.h>

#include "absl/status/status.h"
#include "common/strings.h"

namespace tutti::sip {

absl::StatusOr<SourceFilter> SourceFilter::Make(const std::vector<std::string>& allow,
                                                const std::vector<std::string>& deny) {
  for (const auto* list : {&allow, &deny}) {
    for (const std::string& entry : *list) {
      if (!IpPrefix::Parse(entry).ok()) {
        return absl::InvalidArgumentError(
            StrCat("\"", entry, "\" is not an address or CIDR block (10.0.0.0/8, 2001:db8::/32)"));
      }
    }
  }
  SourceFilter filter;
  filter.allow_ = *IpPrefixSet::Parse(allow);
  filter.deny_ = *IpPrefixSet::Parse(deny);
  return filter;
}

bool SourceFilter::Allows(const SocketAddress& source) const {
  if (empty()) return true;
  if (source.family() != AF_INET && source.family() != AF_INET6) return false;
  const IpAddress address = IpAddress::From(source);
  if (deny_.Contains(address)) return false;
  return allow_.empty() || allow_.Contains(address);
}

}  // namespace tutti::sip
