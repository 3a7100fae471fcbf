// Which IP family a call's media runs in. The caller's SDP address decides
// (our answer's c= is of the same family, from the media address of that
// family); a family tutti has no media address of, or an address that is no
// IP address at all, is refused with 488 and Warning 301 rather than
// answered into silence. A call's ports are bound in one family, so its
// media cannot move to the other within the call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "mediaplane/endpoint.h"

namespace tutti {

struct MediaAddresses {
  std::string ipv4;  // c= for IPv4 callers
  std::string ipv6;  // c= for IPv6 callers; empty: no IPv6 media
  // Why there is no IPv6 media (told to callers in the Warning).
  std::string no_ipv6_why = "IPv6 media is not configured here";
  const std::string& For(media::IpFamily family) const {
    return family == media::IpFamily::kIpv4 ? ipv4 : ipv6;
  }
};

// The family of the media at `remote_address` (an SDP c= address).
// FailedPrecondition, saying why (Warning 301), when it is not an IP
// address, is IPv6 without an IPv6 media address, or (with `bound`: the
// family the call's ports are bound in) is not of that family. The hold
// address 0.0.0.0 fits any bound family.
absl::StatusOr<media::IpFamily> MediaFamilyFor(std::string_view remote_address,
                                               const MediaAddresses& local,
                                               std::optional<media::IpFamily> bound);

// "192.0.2.1:4000", "[2001:db8::1]:4000" for logs; a host name as given.
std::string MediaAddressText(std::string_view address, uint16_t port);

// Warning code for MediaFamilyFor's refusals: 301, "Incompatible network
// address formats" (RFC 3261 §20.43).
inline constexpr int kIncompatibleAddressWarnCode = 301;

}  // namespace tutti
