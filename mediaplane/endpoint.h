// A media peer's address: IPv4 or IPv6 and a UDP port. The mixer compares
// endpoints on every packet (the latch), so this is 18 bytes, trivially
// copyable, and compared as two words and a port.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tutti::media {

enum class IpFamily : uint8_t { kIpv4, kIpv6 };
std::string_view IpFamilyName(IpFamily family);  // "IPv4", "IPv6"

struct Endpoint {
  // IPv4 is held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d, RFC 4291
  // §2.5.5.2), so one representation covers both families and an address
  // compares equal however it arrived. Network byte order.
  std::array<uint8_t, 16> ip{};
  uint16_t port = 0;  // host byte order

  constexpr Endpoint() = default;
  // An IPv4 address in host byte order.
  constexpr Endpoint(uint32_t ipv4, uint16_t port_number)
      : ip(MappedIpv4(ipv4)), port(port_number) {}
  static constexpr Endpoint Ipv6(const std::array<uint8_t, 16>& bytes, uint16_t port_number) {
    Endpoint endpoint;
    endpoint.ip = bytes;
    endpoint.port = port_number;
    return endpoint;
  }

  constexpr bool is_ipv4() const {
    const auto words = std::bit_cast<std::array<uint32_t, 4>>(ip);
    return words[0] == 0 && words[1] == 0 && words[2] == std::bit_cast<uint32_t>(kMappedMarker);
  }
  IpFamily family() const { return is_ipv4() ? IpFamily::kIpv4 : IpFamily::kIpv6; }
  // The IPv4 address in host byte order; 0 for an IPv6 one.
  constexpr uint32_t ipv4() const {
    if (!is_ipv4()) return 0;
    return uint32_t{ip[12]} << 24 | uint32_t{ip[13]} << 16 | uint32_t{ip[14]} << 8 | ip[15];
  }
  // 0.0.0.0 or ::, the old-style hold address: nothing is sent there.
  constexpr bool is_unspecified() const { return (is_ipv4() && ipv4() == 0) || ip == kZero; }
  constexpr Endpoint WithPort(uint16_t port_number) const {
    Endpoint endpoint = *this;
    endpoint.port = port_number;
    return endpoint;
  }

  friend constexpr bool operator==(const Endpoint& a, const Endpoint& b) {
    const auto x = std::bit_cast<std::array<uint64_t, 2>>(a.ip);
    const auto y = std::bit_cast<std::array<uint64_t, 2>>(b.ip);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0 && a.port == b.port;
  }

 private:
  static constexpr std::array<uint8_t, 4> kMappedMarker{0, 0, 0xff, 0xff};
  static constexpr std::array<uint8_t, 16> kZero{};
  static constexpr std::array<uint8_t, 16> MappedIpv4(uint32_t ipv4) {
    return {0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0xff,
            0xff,
            static_cast<uint8_t>(ipv4 >> 24),
            static_cast<uint8_t>(ipv4 >> 16),
            static_cast<uint8_t>(ipv4 >> 8),
            static_cast<uint8_t>(ipv4)};
  }
};

// "a.b.c.d" or an IPv6 address in any RFC 4291 text form (an IPv4-mapped
// one becomes IPv4); nullopt for anything else (host names, scopes).
std::optional<Endpoint> ParseEndpoint(std::string_view ip, uint16_t port);
// The address alone: "192.0.2.1", "2001:db8::1".
std::string IpToString(const Endpoint& endpoint);
// For logs and records: "192.0.2.1:4000", "[2001:db8::1]:4000".
std::string ToString(const Endpoint& endpoint);

}  // namespace tutti::media
