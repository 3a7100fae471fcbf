// SIP transports (RFC 3261 §18): where messages come from and go to.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tutti::sip {

// kTls is SIP over TLS on TCP (RFC 3261 §26.2); SDES keys may travel only there.
enum class TransportKind : uint8_t { kUdp, kTcp, kTls };
std::string_view TransportName(TransportKind kind);  // "UDP", "TCP", "TLS" as in Via

// An IPv4 or IPv6 socket address. An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer, or what
// someone writes in a URI) is held as the IPv4 address it is, so an IPv4
// caller is never shown, compared or counted in the mapped form.
class SocketAddress {
 public:
  SocketAddress() = default;
  // "192.0.2.1", "2001:db8::1" or "[2001:db8::1]"; nullopt for anything else.
  static std::optional<SocketAddress> FromIpPort(std::string_view ip, uint16_t port);
  static SocketAddress FromSockaddr(const sockaddr* address, socklen_t length);

  std::string ip() const;
  uint16_t port() const;
  // "1.2.3.4:5060" or "[::1]:5060".
  std::string ToString() const;
  bool is_set() const { return length_ != 0; }

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  bool is_ipv6() const { return storage_.ss_family == AF_INET6; }
  // 0.0.0.0 or ::, i.e. "every address" when bound.
  bool is_wildcard() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.ip() == b.ip() && a.port() == b.port();
  }
  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    return H::combine(std::move(h), a.ip(), a.port());
  }

 private:
  // ::ffff:a.b.c.d becomes a.b.c.d.
  void UnmapIpv4();

  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

// "host:port", with an IPv6 host in brackets ("[::1]:5060", RFC 3986 §3.2.2),
// for logs and for anything that writes a host and port together.
std::string JoinHostPort(std::string_view host, uint16_t port);
// An IPv6 literal in brackets, anything else as it is: a URI's or Via's host.
std::string UriHost(std::string_view host);

// Where a message goes: a transport and an address; on TCP also the
// connection it should reuse if that connection is still open.
struct Destination {
  TransportKind transport = TransportKind::kUdp;
  SocketAddress address;
  uint64_t connection_id = 0;  // 0: none known; the transport finds or opens one
  // UDP: the local socket (its bound address) to send from, so an answer
  // leaves from where the request came in; unset or gone: any socket of the
  // destination's family.
  SocketAddress local;
};

// A message as it arrived, before parsing.
struct ReceivedBytes {
  TransportKind transport = TransportKind::kUdp;
  SocketAddress source;
  uint64_t connection_id = 0;  // TCP only
  SocketAddress local;         // UDP: the bound address of the socket it came in on
  std::string bytes;
};

using ReceiveHandler = std::function<void(ReceivedBytes)>;

// Sends whole messages. Implemented by SipTransports (udp + tcp together).
class MessageSender {
 public:
  virtual ~MessageSender() = default;
  // Fire and forget: failures are logged and counted by the transport; SIP's
  // own timers deal with messages that never arrive.
  virtual void Send(const Destination& destination, std::string_view bytes) = 0;
};

}  // namespace tutti::sip
