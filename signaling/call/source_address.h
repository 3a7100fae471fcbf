// A caller's IP address as a small hashable key, and lists of addresses and
// CIDR blocks (`[limits] unlimited_sources`) to match it against. IPv4 is
// kept as its IPv4-mapped IPv6 form, so one list holds both families.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/sip/transport.h"

namespace tutti {

struct SourceIp {
  std::array<uint8_t, 16> bytes{};

  static SourceIp From(const sip::SocketAddress& address);
  // "192.0.2.1" or "2001:db8::1"; nullopt-like error for anything else.
  static absl::StatusOr<SourceIp> Parse(std::string_view text);

  friend bool operator==(const SourceIp& a, const SourceIp& b) { return a.bytes == b.bytes; }
  template <typename H>
  friend H AbslHashValue(H h, const SourceIp& ip) {
    return H::combine_contiguous(std::move(h), ip.bytes.data(), ip.bytes.size());
  }
};

// Addresses and CIDR blocks ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
class SourceSet {
 public:
  // Checks every entry; the error names the first bad one.
  static absl::StatusOr<SourceSet> Parse(const std::vector<std::string>& entries);

  bool Contains(const SourceIp& ip) const;
  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    SourceIp network;  // host bits cleared
    int prefix_bits;   // of the 128-bit (mapped) form
  };
  std::vector<Block> blocks_;
};

}  // namespace tutti
