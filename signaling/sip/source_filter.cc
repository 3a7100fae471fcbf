#include "signaling/sip/source_filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "absl/status/status.h"
#include "common/strings.h"

namespace tutti::sip {
namespace {

bool Matches(const Cidr& block, bool v6, const uint8_t* bytes) {
  if (block.v6 != v6) return false;
  const int whole = block.prefix / 8;
  if (std::memcmp(block.bytes, bytes, static_cast<size_t>(whole)) != 0) return false;
  const int rest = block.prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (bytes[whole] & mask) == block.bytes[whole];
}

bool InAny(const std::vector<Cidr>& blocks, bool v6, const uint8_t* bytes) {
  for (const Cidr& block : blocks) {
    if (Matches(block, v6, bytes)) return true;
  }
  return false;
}

}  // namespace

std::optional<Cidr> ParseCidr(std::string_view text) {
  text = StripWhitespace(text);
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr out;
  if (inet_pton(AF_INET, address.c_str(), out.bytes) == 1) {
    out.prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), out.bytes) == 1) {
    out.v6 = true;
    out.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    int prefix = -1;
    const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (error != std::errc() || end != bits.data() + bits.size() || bits.empty() || prefix < 0 ||
        prefix > out.prefix) {
      return std::nullopt;
    }
    out.prefix = prefix;
  }
  // Clear the host bits, so matching compares networks.
  for (int bit = out.prefix; bit < (out.v6 ? 128 : 32); ++bit) {
    out.bytes[bit / 8] = static_cast<uint8_t>(out.bytes[bit / 8] & ~(0x80 >> (bit % 8)));
  }
  return out;
}

absl::StatusOr<SourceFilter> SourceFilter::Make(const std::vector<std::string>& allow,
                                                const std::vector<std::string>& deny) {
  SourceFilter filter;
  for (const auto* list : {&allow, &deny}) {
    for (const std::string& entry : *list) {
      std::optional<Cidr> block = ParseCidr(entry);
      if (!block) {
        return absl::InvalidArgumentError(
            StrCat("\"", entry, "\" is not an address or CIDR block (10.0.0.0/8, 2001:db8::/32)"));
      }
      (list == &allow ? filter.allow_ : filter.deny_).push_back(*block);
    }
  }
  return filter;
}

bool SourceFilter::Allows(const SocketAddress& source) const {
  if (empty()) return true;
  bool v6 = false;
  const uint8_t* bytes = nullptr;
  if (source.family() == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(source.sockaddr_ptr())->sin_addr);
  } else if (source.family() == AF_INET6) {
    const in6_addr& address =
        reinterpret_cast<const sockaddr_in6*>(source.sockaddr_ptr())->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&address)) {
      bytes = address.s6_addr + 12;  // a dual-stack socket's IPv4 caller
    } else {
      v6 = true;
      bytes = address.s6_addr;
    }
  } else {
    return false;
  }
  if (InAny(deny_, v6, bytes)) return false;
  return allow_.empty() || InAny(allow_, v6, bytes);
}

}  // namespace tutti::sip
