#include "signaling/sip/transport.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/strings.h"

namespace tutti::sip {

std::string_view TransportName(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return "UDP";
    case TransportKind::kTcp:
      return "TCP";
    case TransportKind::kTls:
      return "TLS";
  }
  return "UDP";
}

std::optional<SocketAddress> SocketAddress::FromIpPort(std::string_view ip, uint16_t port) {
  SocketAddress result;
  std::string text(ip);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    result.length_ = sizeof(sockaddr_in);
    return result;
  }
  result.storage_ = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    result.length_ = sizeof(sockaddr_in6);
    result.UnmapIpv4();
    return result;
  }
  return std::nullopt;
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (length > 0 && length <= sizeof(result.storage_)) {
    std::memcpy(&result.storage_, address, length);
    result.length_ = length;
    result.UnmapIpv4();
  }
  return result;
}

void SocketAddress::UnmapIpv4() {
  if (storage_.ss_family != AF_INET6 || length_ < sizeof(sockaddr_in6)) return;
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
  if (!IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) return;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = v6->sin6_port;
  std::memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
  storage_ = {};
  std::memcpy(&storage_, &v4, sizeof(v4));
  length_ = sizeof(v4);
}

bool SocketAddress::is_wildcard() const {
  if (storage_.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
  }
  if (storage_.ss_family == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
  }
  return false;
}

std::string SocketAddress::ip() const {
  char text[INET6_ADDRSTRLEN] = {0};
  if (storage_.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
              sizeof(text));
  } else if (storage_.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

uint16_t SocketAddress::port() const {
  if (storage_.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (storage_.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string SocketAddress::ToString() const { return JoinHostPort(ip(), port()); }

std::string UriHost(std::string_view host) {
  if (host.find(':') == std::string_view::npos || host.front() == '[') return std::string(host);
  return StrCat("[", host, "]");
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  return StrCat(UriHost(host), ":", port);
}

}  // namespace tutti::sip
