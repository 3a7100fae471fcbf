#include "signaling/call/media_family.h"

#include "absl/status/status.h"
#include "common/strings.h"

namespace tutti {

absl::StatusOr<media::IpFamily> MediaFamilyFor(std::string_view remote_address,
                                               const MediaAddresses& local,
                                               std::optional<media::IpFamily> bound) {
  const std::optional<media::Endpoint> remote = media::ParseEndpoint(remote_address, 0);
  if (!remote) {
    return absl::FailedPreconditionError(
        StrCat("media address ", remote_address, " is not an IPv4 or IPv6 address"));
  }
  const media::IpFamily family = remote->family();
  if (bound) {
    if (family == *bound || remote->is_unspecified()) return *bound;
    return absl::FailedPreconditionError(StrCat("media cannot move from ",
                                                media::IpFamilyName(*bound), " to ",
                                                media::IpFamilyName(family), " within a call"));
  }
  if (local.For(family).empty()) return absl::FailedPreconditionError(local.no_ipv6_why);
  return family;
}

std::string MediaAddressText(std::string_view address, uint16_t port) {
  if (const std::optional<media::Endpoint> endpoint = media::ParseEndpoint(address, port)) {
    return media::ToString(*endpoint);
  }
  return StrCat(address, ":", port);
}

}  // namespace tutti
