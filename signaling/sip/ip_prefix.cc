#include "signaling/sip/ip_prefix.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "absl/status/status.h"
#include "common/strings.h"

namespace tutti::sip {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
// 64:ff9b::/96 (RFC 6052): each address there is an IPv4 host seen through NAT64.
constexpr uint8_t kNat64Prefix[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

void MapV4(const void* v4, IpAddress* ip) {
  std::memcpy(ip->bytes.data(), kMappedPrefix, sizeof(kMappedPrefix));
  std::memcpy(&ip->bytes[12], v4, 4);
}

// Whether the first `bits` bits of a and b are equal.
bool SameLeadingBits(const IpAddress& a, const IpAddress& b, int bits) {
  const size_t whole = static_cast<size_t>(bits / 8);
  if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return ((a.bytes[whole] ^ b.bytes[whole]) & mask) == 0;
}

}  // namespace

IpAddress IpAddress::From(const SocketAddress& address) {
  IpAddress ip;
  if (address.family() == AF_INET) {
    MapV4(&reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr())->sin_addr, &ip);
  } else if (address.family() == AF_INET6) {
    std::memcpy(ip.bytes.data(),
                &reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr())->sin6_addr, 16);
  }
  return ip;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  const std::string copy(text);
  IpAddress ip;
  in_addr v4{};
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    MapV4(&v4, &ip);
    return ip;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

bool IpAddress::v4() const {
  return std::memcmp(bytes.data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0;
}

IpAddress IpAddress::SourceBlock() const {
  if (v4()) return *this;
  const bool loopback =
      std::all_of(bytes.begin(), bytes.end() - 1, [](uint8_t b) { return b == 0; });
  const bool link_local = bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  const bool nat64 = std::memcmp(bytes.data(), kNat64Prefix, sizeof(kNat64Prefix)) == 0;
  if (loopback || link_local || nat64) return *this;
  IpAddress block = *this;
  std::fill(block.bytes.begin() + 8, block.bytes.end(), 0);
  return block;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {0};
  if (v4()) {
    inet_ntop(AF_INET, &bytes[12], text, sizeof(text));
    return text;
  }
  inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  return text;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(std::string_view text) {
  const std::string_view entry = StripWhitespace(text);
  const size_t slash = entry.find('/');
  const std::optional<IpAddress> address = IpAddress::Parse(entry.substr(0, slash));
  if (!address) return absl::InvalidArgumentError(StrCat("\"", entry, "\" is not an IP address"));
  IpPrefix prefix;
  prefix.network_ = *address;
  const bool written_v4 = entry.substr(0, slash).find(':') == std::string_view::npos;
  const int most = written_v4 ? 32 : 128;
  int length = most;
  if (slash != std::string_view::npos) {
    const std::string_view bits = entry.substr(slash + 1);
    const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), length);
    if (bits.empty() || error != std::errc() || end != bits.data() + bits.size() || length < 0 ||
        length > most) {
      return absl::InvalidArgumentError(
          StrCat("\"", entry, "\" has a bad prefix length (0-", most, ")"));
    }
  }
  prefix.bits_ = written_v4 ? kMappedBits + length : length;
  // Clear the host bits, so the network is what the entry means.
  for (int bit = prefix.bits_; bit < 128; ++bit) {
    uint8_t& byte = prefix.network_.bytes[static_cast<size_t>(bit / 8)];
    byte = static_cast<uint8_t>(byte & ~(0x80 >> (bit % 8)));
  }
  // Within ::ffff:0:0/96 a block holds IPv4 addresses only; a shorter one
  // (::/0) is an IPv6 block, which IPv4 callers are not in.
  prefix.v4_ = prefix.bits_ >= kMappedBits && prefix.network_.v4();
  return prefix;
}

bool IpPrefix::Contains(const IpAddress& address) const {
  if (address.v4() != v4_) return false;
  return SameLeadingBits(network_, address, bits_);
}

absl::StatusOr<IpPrefixSet> IpPrefixSet::Parse(const std::vector<std::string>& entries) {
  IpPrefixSet set;
  for (const std::string& entry : entries) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(entry);
    if (!prefix.ok()) return prefix.status();
    set.prefixes_.push_back(*prefix);
  }
  return set;
}

bool IpPrefixSet::Contains(const IpAddress& address) const {
  for (const IpPrefix& prefix : prefixes_) {
    if (prefix.Contains(address)) return true;
  }
  return false;
}

}  // namespace tutti::sip
