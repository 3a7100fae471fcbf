// Endpoint <-> the kernel's socket addresses, for the socket code (the
// packet plane's hot path: inline, nothing allocated).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "mediaplane/endpoint.h"

namespace tutti::media {

// Room for either family's address: what recvmmsg writes and sendmmsg reads.
union SocketAddressBuffer {
  sockaddr base;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

// The sender of a datagram. An IPv4 peer of a dual-stack IPv6 socket comes
// as ::ffff:a.b.c.d, which is already how Endpoint holds IPv4.
inline Endpoint EndpointFrom(const SocketAddressBuffer& address) {
  if (address.base.sa_family == AF_INET) {
    return Endpoint(ntohl(address.v4.sin_addr.s_addr), ntohs(address.v4.sin_port));
  }
  Endpoint endpoint;
  if (address.base.sa_family == AF_INET6) {
    std::memcpy(endpoint.ip.data(), &address.v6.sin6_addr, 16);
    endpoint.port = ntohs(address.v6.sin6_port);
  }
  return endpoint;
}

// Fills `out` with the endpoint's address, of its own family, and returns
// its length. A socket of the other family refuses it (counted as a send
// error): a leg's sockets are bound in the family of its SDP address.
inline socklen_t FillSocketAddress(const Endpoint& endpoint, SocketAddressBuffer* out) {
  if (endpoint.is_ipv4()) {
    out->v4 = {};
    out->v4.sin_family = AF_INET;
    out->v4.sin_addr.s_addr = htonl(endpoint.ipv4());
    out->v4.sin_port = htons(endpoint.port);
    return sizeof(sockaddr_in);
  }
  out->v6 = {};
  out->v6.sin6_family = AF_INET6;
  std::memcpy(&out->v6.sin6_addr, endpoint.ip.data(), 16);
  out->v6.sin6_port = htons(endpoint.port);
  return sizeof(sockaddr_in6);
}

}  // namespace tutti::media
