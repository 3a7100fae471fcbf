// Ethernet, 802.1Q, ARP, IPv4, UDP and ICMP echo: parsed and written over
// plain byte spans, so the DPDK packet plane's protocol logic is testable and
// fuzzable without EAL, mbufs or a NIC.
//
// Addresses and ports are in host byte order everywhere in this interface;
// only the frame bytes are big-endian. Nothing here allocates except
// MacAddress::ToString, so everything else may run per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tutti::dpdk {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  friend bool operator==(const MacAddress&, const MacAddress&) = default;
  bool broadcast() const;
  // Group bit set: broadcast or multicast. Unicast-only senders (ARP sender,
  // frame source) with this bit are bogus.
  bool multicast() const { return (bytes[0] & 0x01) != 0; }
  bool zero() const { return *this == MacAddress{}; }
  // "aa:bb:cc:dd:ee:ff", lower case.
  std::string ToString() const;
  // Six hex pairs separated by ':' or '-' (one separator kind throughout),
  // either case. nullopt for anything else.
  static std::optional<MacAddress> Parse(std::string_view text);
};

inline constexpr MacAddress kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kVlanTagSize = 4;
inline constexpr size_t kIpv4HeaderSize = 20;  // without options
inline constexpr size_t kUdpHeaderSize = 8;
inline constexpr size_t kArpPacketSize = 28;     // Ethernet/IPv4 ARP body
inline constexpr size_t kMinEthernetFrame = 60;  // without FCS; shorter frames are padded

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad S-tag
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;

// What ParseFrame found. Fields are filled as far as parsing got: a
// kBadChecksum or kFragment frame still has its MACs, VLAN and IPv4 addresses
// (and ports/ARP/ICMP fields when the checksum that failed came after them);
// fields past the point of failure stay zero.
//
// ParseFrame does not know our MAC or IP: checking that a frame is addressed
// to us (dst MAC, dst IP, ARP target IP) is the caller's job.
struct ParsedFrame {
  enum class Kind : uint8_t {
    kUdp,          // IPv4/UDP, unfragmented, lengths consistent
    kArp,          // Ethernet/IPv4 ARP request or reply
    kIcmpEcho,     // ICMP echo request (type 8, code 0)
    kNotOurs,      // well-formed but nothing we serve: IPv6, other ethertypes,
                   // other IP protocols, other ICMP types, other ARP ops or
                   // hardware/protocol types, and stacked VLAN tags (QinQ)
    kMalformed,    // truncated or self-contradictory headers
    kFragment,     // an IPv4 fragment (MF set or offset != 0), any protocol
    kBadChecksum,  // IPv4 header, UDP or ICMP checksum wrong (only when verifying)
  };

  Kind kind = Kind::kMalformed;
  MacAddress dst_mac;
  MacAddress src_mac;
  uint16_t vlan = 0;  // 802.1Q VLAN id; 0 = untagged or priority-tagged (VID 0)

  // Offset of the IPv4 header or ARP body: 14, or 18 behind a VLAN tag.
  size_t l3_offset = 0;
  size_t ip_header_size = 0;  // IHL * 4, options included
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint8_t ttl = 0;

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  size_t payload_offset = 0;  // UDP payload: frame[payload_offset, +payload_size)
  size_t payload_size = 0;

  uint16_t arp_op = 0;  // kArpOpRequest or kArpOpReply
  MacAddress arp_sender_mac;
  uint32_t arp_sender_ip = 0;
  uint32_t arp_target_ip = 0;

  size_t icmp_offset = 0;  // ICMP message (header + data): frame[icmp_offset, +icmp_size)
  size_t icmp_size = 0;
};

// Classifies one Ethernet frame (FCS already stripped, as DPDK delivers it).
// Bytes beyond the IPv4 total length (Ethernet padding) are ignored. With
// verify_checksums, a wrong IPv4 header checksum, a wrong non-zero UDP
// checksum, or a wrong ICMP echo checksum gives kBadChecksum; without it
// (hardware already checked) checksums are not read. Never reads outside
// `frame`, whatever it holds.
ParsedFrame ParseFrame(std::span<const uint8_t> frame, bool verify_checksums);

// RFC 1071 Internet checksum of data, continuing from `initial` (a partial
// ones'-complement sum such as UdpPseudoHeaderSum). Returns the complemented
// 16-bit result as a host-order value: store it big-endian. Over data that
// includes a correct checksum field the result is 0.
uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial = 0);

// Folded, NOT complemented, ones'-complement sum of the IPv4 pseudo-header
// (RFC 768): the `initial` for InternetChecksum over a UDP datagram, and the
// value hardware UDP checksum offload expects pre-filled in the UDP checksum
// field (what rte_ipv4_phdr_cksum computes; store it big-endian).
uint16_t UdpPseudoHeaderSum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_length);

struct UdpFrameSpec {
  MacAddress src_mac;
  MacAddress dst_mac;
  uint16_t vlan = 0;  // 0 = untagged
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ttl = 64;
  uint16_t ip_id = 0;
};

// Bytes of Ethernet (+802.1Q) + IPv4 (no options) + UDP headers: 42, or 46
// with a VLAN tag.
constexpr size_t UdpHeadersSize(uint16_t vlan) {
  return kEthernetHeaderSize + (vlan != 0 ? kVlanTagSize : 0) + kIpv4HeaderSize + kUdpHeaderSize;
}

// Largest UDP payload WriteUdpHeaders can describe (IPv4 total length is 16 bits).
inline constexpr size_t kMaxUdpPayload = 65535 - kIpv4HeaderSize - kUdpHeaderSize;

// Writes the headers into `headers` (exactly UdpHeadersSize(spec.vlan) bytes)
// for `payload`, which the caller has already placed right behind them (the
// headers are prepended into mbuf headroom). DF is set, the IPv4 header
// checksum is always computed. With udp_checksum the UDP checksum covers the
// pseudo-header and payload; without it the field is 0 ("none", valid over
// IPv4). For hardware UDP checksum offload pass false and then store
// UdpPseudoHeaderSum in the field (offset UdpHeadersSize(vlan) - 2).
// Frames shorter than kMinEthernetFrame are not padded here: the NIC/driver
// pads (payloads under 18 bytes, or 14 with a VLAN tag).
// Preconditions (asserted in debug builds): headers.size() ==
// UdpHeadersSize(spec.vlan), payload.size() <= kMaxUdpPayload.
void WriteUdpHeaders(std::span<uint8_t> headers, const UdpFrameSpec& spec,
                     std::span<const uint8_t> payload, bool udp_checksum);

// Builds the ARP reply to `request` (a kArp request whose target IP is
// our_ip) into out: unicast to the requester, on the request's VLAN, padded
// to kMinEthernetFrame. Returns the frame length, or 0 when out is too small
// or request is not an ARP request for our_ip.
size_t WriteArpReply(std::span<uint8_t> out, const ParsedFrame& request, MacAddress our_mac,
                     uint32_t our_ip);

// Builds a broadcast ARP request for target_ip into out (padded to
// kMinEthernetFrame). Returns the frame length, or 0 when out is too small.
size_t WriteArpRequest(std::span<uint8_t> out, MacAddress our_mac, uint32_t our_ip,
                       uint32_t target_ip, uint16_t vlan);

// Rewrites the echo request `frame` (parsed as kIcmpEcho from these same
// bytes) into its echo reply in place: Ethernet to the sender from our_mac,
// IPv4 addresses swapped, TTL reset to 64, ICMP type 0; both checksums fixed
// (a request with a bad ICMP checksum yields a reply with a bad one). The
// reply is parsed.icmp_offset + parsed.icmp_size bytes long; any padding
// after that may be sent or trimmed. IP options are kept as they were.
// Returns false (frame untouched) when parsed does not describe frame.
bool TurnIntoEchoReply(std::span<uint8_t> frame, const ParsedFrame& parsed, MacAddress our_mac);

// Where to send an IPv4 packet for `destination`: the destination itself when
// it is on our subnet, otherwise the gateway (0 when there is none, i.e. the
// destination is unreachable).
uint32_t NextHop(uint32_t destination, uint32_t our_ip, uint32_t netmask, uint32_t gateway);

}  // namespace tutti::dpdk
