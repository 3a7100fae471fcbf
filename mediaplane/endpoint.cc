#include "mediaplane/endpoint.h"

#include <arpa/inet.h>

#include <cstring>

namespace tutti::media {

std::string_view IpFamilyName(IpFamily family) {
  return family == IpFamily::kIpv4 ? "IPv4" : "IPv6";
}

std::optional<Endpoint> ParseEndpoint(std::string_view ip, uint16_t port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ip.empty() || ip.size() >= sizeof(text)) return std::nullopt;
  std::memcpy(text, ip.data(), ip.size());
  in_addr v4{};
  if (inet_pton(AF_INET, text, &v4) == 1) return Endpoint(ntohl(v4.s_addr), port);
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text, v6.data()) == 1) return Endpoint::Ipv6(v6, port);
  return std::nullopt;
}

std::string IpToString(const Endpoint& endpoint) {
  char text[INET6_ADDRSTRLEN] = {};
  if (endpoint.is_ipv4()) {
    in_addr v4{};
    v4.s_addr = htonl(endpoint.ipv4());
    inet_ntop(AF_INET, &v4, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, endpoint.ip.data(), text, sizeof(text));
  }
  return text;
}

std::string ToString(const Endpoint& endpoint) {
  const bool v6 = !endpoint.is_ipv4();
  std::string out;
  if (v6) out.push_back('[');
  out.append(IpToString(endpoint));
  if (v6) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(endpoint.port));
  return out;
}

}  // namespace tutti::media
