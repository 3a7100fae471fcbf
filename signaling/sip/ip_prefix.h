// IP addresses and CIDR blocks, for the lists that say who a source is:
// [sip] allow / deny (SourceFilter) and [limits] unlimited_sources
// (OverloadGuard). One parser and one matcher, so the lists read alike.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

// An address in one 16-byte form: IPv6 as is, IPv4 as its IPv4-mapped IPv6
// address (::ffff:a.b.c.d), so one key type holds both families and a
// dual-stack socket's IPv4 caller equals the same caller over IPv4. Hashable.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  // A socket's address (other families than IPv4 and IPv6: all zeros).
  static IpAddress From(const SocketAddress& address);
  // "192.0.2.1" or "2001:db8::1"; nullopt for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool v4() const;  // IPv4, i.e. IPv4-mapped

  // The block a per-source limit or lockout counts this address under. An
  // IPv4 address is itself; a global IPv6 address is its /64 (host bits
  // cleared): a site gets a /64 or more, so a stranger owns a whole /64 and
  // counted per address would get 2^64 fresh tries. Loopback, link-local
  // (fe80::/10, where every neighbour shares the /64) and NAT64's
  // 64:ff9b::/96 (an IPv4 host each) are counted per address.
  IpAddress SourceBlock() const;
  // "192.0.2.1", "2001:db8::1"; "2001:db8:1:2::/64" for a block.
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) { return a.bytes == b.bytes; }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine_contiguous(std::move(h), ip.bytes.data(), ip.bytes.size());
  }
};

// A CIDR block: "10.0.0.0/8", "192.0.2.7" (one address), "2001:db8::/32".
// An IPv4 block holds IPv4 addresses (also those a dual-stack socket maps;
// written in the mapped form, ::ffff:10.0.0.0/104, it is 10.0.0.0/8), an
// IPv6 block IPv6 ones: "::/0" is every IPv6 caller, not every caller.
class IpPrefix {
 public:
  // Whitespace around the entry is ignored; host bits set below the prefix
  // are cleared, not an error. The error names the entry and what is wrong
  // with it ("... is not an IP address", "... has a bad prefix length (0-32)").
  static absl::StatusOr<IpPrefix> Parse(std::string_view text);

  bool Contains(const IpAddress& address) const;
  bool v4() const { return v4_; }
  int length() const { return v4_ ? bits_ - kMappedBits : bits_; }  // as IPv4 or IPv6

 private:
  static constexpr int kMappedBits = 96;  // ::ffff:0:0/96

  IpAddress network_;  // host bits cleared
  int bits_ = 0;       // of the 16-byte form: an IPv4 /8 is 104
  bool v4_ = false;
};

// Blocks to match an address against; allocates nothing to match.
class IpPrefixSet {
 public:
  IpPrefixSet() = default;
  // The error is the first bad entry's.
  static absl::StatusOr<IpPrefixSet> Parse(const std::vector<std::string>& entries);

  bool Contains(const IpAddress& address) const;
  bool empty() const { return prefixes_.empty(); }

 private:
  std::vector<IpPrefix> prefixes_;
};

}  // namespace tutti::sip
