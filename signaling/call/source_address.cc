#include "signaling/call/source_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tutti {
namespace {

constexpr int kMappedPrefixBits = 96;  // ::ffff:0:0/96

void Mask(SourceIp& ip, int prefix_bits) {
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(prefix_bits - 8 * i, 0, 8);
    ip.bytes[static_cast<size_t>(i)] &= static_cast<uint8_t>(0xff00u >> keep);
  }
}

}  // namespace

SourceIp SourceIp::From(const sip::SocketAddress& address) {
  SourceIp ip;
  if (address.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr());
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::memcpy(&ip.bytes[12], &v4->sin_addr, 4);
  } else if (address.family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr());
    std::memcpy(ip.bytes.data(), &v6->sin6_addr, 16);
  }
  return ip;
}

absl::StatusOr<SourceIp> SourceIp::Parse(std::string_view text) {
  const std::string copy(text);
  SourceIp ip;
  in_addr v4{};
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::memcpy(&ip.bytes[12], &v4, 4);
    return ip;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) return ip;
  return absl::InvalidArgumentError(absl::StrCat("\"", copy, "\" is not an IP address"));
}

absl::StatusOr<SourceSet> SourceSet::Parse(const std::vector<std::string>& entries) {
  SourceSet set;
  for (const std::string& entry : entries) {
    const size_t slash = entry.find('/');
    absl::StatusOr<SourceIp> ip = SourceIp::Parse(std::string_view(entry).substr(0, slash));
    if (!ip.ok()) return ip.status();
    const bool v4 = entry.find(':') == std::string::npos;
    int bits = 128;
    if (slash != std::string::npos) {
      int given = -1;
      if (!absl::SimpleAtoi(absl::string_view(entry).substr(slash + 1), &given) || given < 0 ||
          given > (v4 ? 32 : 128)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", entry, "\" has a bad prefix length (0-", v4 ? 32 : 128, ")"));
      }
      bits = v4 ? kMappedPrefixBits + given : given;
    }
    Mask(*ip, bits);
    set.blocks_.push_back({*ip, bits});
  }
  return set;
}

bool SourceSet::Contains(const SourceIp& ip) const {
  for (const Block& block : blocks_) {
    SourceIp masked = ip;
    Mask(masked, block.prefix_bits);
    if (masked == block.network) return true;
  }
  return false;
}

}  // namespace tutti
