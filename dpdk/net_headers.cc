#include "dpdk/net_headers.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

#include "mediaplane/rtp/byte_order.h"

namespace tutti::dpdk {
namespace {

using media::LoadBe16;
using media::LoadBe32;
using media::StoreBe16;
using media::StoreBe32;
using Kind = ParsedFrame::Kind;

constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr size_t kIcmpEchoHeaderSize = 8;  // type, code, checksum, identifier, sequence
constexpr uint16_t kIpv4DontFragment = 0x4000;
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;
constexpr uint8_t kEchoReplyTtl = 64;

uint32_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint32_t>(sum);
}

// Folded ones'-complement sum of data as big-endian 16-bit words (odd tail
// padded with a zero byte), not complemented. Sums native 32-bit words and
// swaps once at the end: the ones'-complement sum commutes with byte
// swapping (RFC 1071 §2(B)), and this runs over every payload we checksum.
uint32_t RawSum(std::span<const uint8_t> data) {
  uint64_t sum = 0;
  const uint8_t* p = data.data();
  size_t n = data.size();
  for (; n >= 4; p += 4, n -= 4) {
    uint32_t word;
    std::memcpy(&word, p, 4);
    sum += word;
  }
  if (n >= 2) {
    uint16_t half;
    std::memcpy(&half, p, 2);
    sum += half;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint16_t last = 0;  // the lone byte is the high half of a zero-padded word
    std::memcpy(&last, p, 1);
    sum += last;
  }
  uint32_t folded = Fold(sum);
  if constexpr (std::endian::native == std::endian::little) {
    folded = ((folded & 0xff) << 8) | (folded >> 8);
  }
  return folded;
}

uint16_t Complement(uint64_t sum) { return static_cast<uint16_t>(~Fold(sum)); }

void StoreMac(uint8_t* p, const MacAddress& mac) { std::memcpy(p, mac.bytes.data(), 6); }

MacAddress LoadMac(const uint8_t* p) {
  MacAddress mac;
  std::memcpy(mac.bytes.data(), p, 6);
  return mac;
}

// Writes the Ethernet header (and 802.1Q tag when vlan != 0), returns its size.
size_t WriteEthernet(uint8_t* p, const MacAddress& dst, const MacAddress& src, uint16_t vlan,
                     uint16_t ether_type) {
  StoreMac(p, dst);
  StoreMac(p + 6, src);
  if (vlan == 0) {
    StoreBe16(p + 12, ether_type);
    return kEthernetHeaderSize;
  }
  StoreBe16(p + 12, kEtherTypeVlan);
  StoreBe16(p + 14, vlan & 0x0fff);  // priority 0, DEI 0
  StoreBe16(p + 16, ether_type);
  return kEthernetHeaderSize + kVlanTagSize;
}

Kind ParseArp(std::span<const uint8_t> arp, ParsedFrame& out) {
  if (arp.size() < 8) return Kind::kMalformed;
  // Only Ethernet hardware and IPv4 protocol addresses are ours; any other
  // pairing is legal ARP for someone else.
  if (LoadBe16(&arp[0]) != 1 || LoadBe16(&arp[2]) != kEtherTypeIpv4) return Kind::kNotOurs;
  if (arp[4] != 6 || arp[5] != 4) return Kind::kMalformed;
  if (arp.size() < kArpPacketSize) return Kind::kMalformed;
  const uint16_t op = LoadBe16(&arp[6]);
  if (op != kArpOpRequest && op != kArpOpReply) return Kind::kNotOurs;
  out.arp_op = op;
  out.arp_sender_mac = LoadMac(&arp[8]);
  out.arp_sender_ip = LoadBe32(&arp[14]);
  out.arp_target_ip = LoadBe32(&arp[24]);
  return Kind::kArp;
}

Kind ParseUdp(std::span<const uint8_t> udp, size_t offset, bool verify, ParsedFrame& out) {
  if (udp.size() < kUdpHeaderSize) return Kind::kMalformed;
  const uint16_t udp_length = LoadBe16(&udp[4]);
  // Strict: the UDP length must account for exactly the IP payload. Senders
  // never do otherwise; a mismatch is a crafted or corrupted packet.
  if (udp_length != udp.size()) return Kind::kMalformed;
  out.src_port = LoadBe16(&udp[0]);
  out.dst_port = LoadBe16(&udp[2]);
  out.payload_offset = offset + kUdpHeaderSize;
  out.payload_size = udp_length - kUdpHeaderSize;
  if (verify && LoadBe16(&udp[6]) != 0 &&
      InternetChecksum(udp, UdpPseudoHeaderSum(out.src_ip, out.dst_ip, udp_length)) != 0) {
    return Kind::kBadChecksum;
  }
  return Kind::kUdp;
}

Kind ParseIcmp(std::span<const uint8_t> icmp, size_t offset, bool verify, ParsedFrame& out) {
  if (icmp.size() < kIcmpEchoHeaderSize) return Kind::kMalformed;
  if (icmp[0] != kIcmpEchoRequest || icmp[1] != 0) return Kind::kNotOurs;
  out.icmp_offset = offset;
  out.icmp_size = icmp.size();
  if (verify && InternetChecksum(icmp) != 0) return Kind::kBadChecksum;
  return Kind::kIcmpEcho;
}

Kind ParseIpv4(std::span<const uint8_t> frame, size_t offset, bool verify, ParsedFrame& out) {
  const std::span<const uint8_t> ip = frame.subspan(offset);
  if (ip.size() < kIpv4HeaderSize || (ip[0] >> 4) != 4) return Kind::kMalformed;
  const size_t header_size = size_t{ip[0] & 0x0fu} * 4;
  const size_t total_length = LoadBe16(&ip[2]);
  // Larger than the frame: truncated. Smaller: Ethernet padding follows.
  if (header_size < kIpv4HeaderSize || total_length < header_size || total_length > ip.size()) {
    return Kind::kMalformed;
  }
  out.ip_header_size = header_size;
  out.ttl = ip[8];
  out.src_ip = LoadBe32(&ip[12]);
  out.dst_ip = LoadBe32(&ip[16]);
  if (verify && InternetChecksum(ip.first(header_size)) != 0) return Kind::kBadChecksum;
  if ((LoadBe16(&ip[6]) & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0) {
    return Kind::kFragment;
  }
  const std::span<const uint8_t> body = ip.subspan(header_size, total_length - header_size);
  const size_t body_offset = offset + header_size;
  switch (ip[9]) {
    case kIpProtoUdp:
      return ParseUdp(body, body_offset, verify, out);
    case kIpProtoIcmp:
      return ParseIcmp(body, body_offset, verify, out);
    default:
      return Kind::kNotOurs;
  }
}

size_t WriteArp(std::span<uint8_t> out, const MacAddress& eth_dst, uint16_t vlan, uint16_t op,
                const MacAddress& sender_mac, uint32_t sender_ip, const MacAddress& target_mac,
                uint32_t target_ip) {
  const size_t l2_size = kEthernetHeaderSize + (vlan != 0 ? kVlanTagSize : 0);
  const size_t frame_size = std::max(kMinEthernetFrame, l2_size + kArpPacketSize);
  if (out.size() < frame_size) return 0;
  uint8_t* p = out.data();
  std::memset(p, 0, frame_size);  // padding must not leak old buffer bytes
  p += WriteEthernet(p, eth_dst, sender_mac, vlan, kEtherTypeArp);
  StoreBe16(p, 1);  // hardware: Ethernet
  StoreBe16(p + 2, kEtherTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  StoreBe16(p + 6, op);
  StoreMac(p + 8, sender_mac);
  StoreBe32(p + 14, sender_ip);
  StoreMac(p + 18, target_mac);
  StoreBe32(p + 24, target_ip);
  return frame_size;
}

}  // namespace

bool MacAddress::broadcast() const { return *this == kBroadcastMac; }

std::string MacAddress::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(17, ':');
  for (size_t i = 0; i < bytes.size(); ++i) {
    text[3 * i] = kHex[bytes[i] >> 4];
    text[3 * i + 1] = kHex[bytes[i] & 0x0f];
  }
  return text;
}

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  MacAddress mac;
  for (size_t i = 0; i < mac.bytes.size(); ++i) {
    const int high = nibble(text[3 * i]);
    const int low = nibble(text[3 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    if (i + 1 < mac.bytes.size() && text[3 * i + 2] != separator) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return mac;
}

ParsedFrame ParseFrame(std::span<const uint8_t> frame, bool verify_checksums) {
  ParsedFrame out;
  if (frame.size() < kEthernetHeaderSize) return out;  // kMalformed
  out.dst_mac = LoadMac(&frame[0]);
  out.src_mac = LoadMac(&frame[6]);
  size_t offset = kEthernetHeaderSize;
  uint16_t ether_type = LoadBe16(&frame[12]);
  if (ether_type == kEtherTypeVlan) {
    if (frame.size() < kEthernetHeaderSize + kVlanTagSize) return out;  // kMalformed
    out.vlan = LoadBe16(&frame[14]) & 0x0fff;
    ether_type = LoadBe16(&frame[16]);
    offset += kVlanTagSize;
  }
  out.l3_offset = offset;
  switch (ether_type) {
    case kEtherTypeArp:
      out.kind = ParseArp(frame.subspan(offset), out);
      break;
    case kEtherTypeIpv4:
      out.kind = ParseIpv4(frame, offset, verify_checksums, out);
      break;
    default:
      // IPv6, LLC, and stacked tags: an 802.1ad S-tag outside, or a second
      // tag inside the first. Well-formed Ethernet for some other service on
      // the wire, not an error, so it is counted as not ours.
      out.kind = Kind::kNotOurs;
      break;
  }
  return out;
}

uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial) {
  return Complement(uint64_t{RawSum(data)} + initial);
}

uint16_t UdpPseudoHeaderSum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_length) {
  const uint64_t sum = uint64_t{src_ip >> 16} + (src_ip & 0xffff) + (dst_ip >> 16) +
                       (dst_ip & 0xffff) + kIpProtoUdp + udp_length;
  return static_cast<uint16_t>(Fold(sum));
}

void WriteUdpHeaders(std::span<uint8_t> headers, const UdpFrameSpec& spec,
                     std::span<const uint8_t> payload, bool udp_checksum) {
  assert(headers.size() == UdpHeadersSize(spec.vlan));
  assert(payload.size() <= kMaxUdpPayload);
  uint8_t* p = headers.data();
  p += WriteEthernet(p, spec.dst_mac, spec.src_mac, spec.vlan, kEtherTypeIpv4);

  const auto udp_length = static_cast<uint16_t>(kUdpHeaderSize + payload.size());
  uint8_t* ip = p;
  ip[0] = 0x45;  // version 4, no options
  ip[1] = 0;     // DSCP/ECN: 0 until a QoS setting exists
  StoreBe16(ip + 2, static_cast<uint16_t>(kIpv4HeaderSize + udp_length));
  StoreBe16(ip + 4, spec.ip_id);
  StoreBe16(ip + 6, kIpv4DontFragment);
  ip[8] = spec.ttl;
  ip[9] = kIpProtoUdp;
  StoreBe16(ip + 10, 0);
  StoreBe32(ip + 12, spec.src_ip);
  StoreBe32(ip + 16, spec.dst_ip);
  StoreBe16(ip + 10, InternetChecksum({ip, kIpv4HeaderSize}));

  uint8_t* udp = ip + kIpv4HeaderSize;
  StoreBe16(udp, spec.src_port);
  StoreBe16(udp + 2, spec.dst_port);
  StoreBe16(udp + 4, udp_length);
  uint16_t checksum = 0;
  if (udp_checksum) {
    // The UDP header's own words are added as numbers: the payload span need
    // not be contiguous with `headers` for the sum to be right.
    const uint64_t header_sum = uint64_t{UdpPseudoHeaderSum(spec.src_ip, spec.dst_ip, udp_length)} +
                                spec.src_port + spec.dst_port + udp_length;
    checksum = InternetChecksum(payload, Fold(header_sum));
    if (checksum == 0) checksum = 0xffff;  // 0 on the wire means "no checksum"
  }
  StoreBe16(udp + 6, checksum);
}

size_t WriteArpReply(std::span<uint8_t> out, const ParsedFrame& request, MacAddress our_mac,
                     uint32_t our_ip) {
  if (request.kind != Kind::kArp || request.arp_op != kArpOpRequest ||
      request.arp_target_ip != our_ip) {
    return 0;
  }
  return WriteArp(out, request.arp_sender_mac, request.vlan, kArpOpReply, our_mac, our_ip,
                  request.arp_sender_mac, request.arp_sender_ip);
}

size_t WriteArpRequest(std::span<uint8_t> out, MacAddress our_mac, uint32_t our_ip,
                       uint32_t target_ip, uint16_t vlan) {
  return WriteArp(out, kBroadcastMac, vlan, kArpOpRequest, our_mac, our_ip, MacAddress{},
                  target_ip);
}

bool TurnIntoEchoReply(std::span<uint8_t> frame, const ParsedFrame& parsed, MacAddress our_mac) {
  // Cheap consistency checks so a ParsedFrame from another buffer cannot make
  // us write out of bounds.
  if (parsed.kind != Kind::kIcmpEcho || parsed.l3_offset < kEthernetHeaderSize ||
      parsed.ip_header_size < kIpv4HeaderSize ||
      parsed.icmp_offset != parsed.l3_offset + parsed.ip_header_size ||
      parsed.icmp_size < kIcmpEchoHeaderSize || parsed.icmp_offset > frame.size() ||
      parsed.icmp_size > frame.size() - parsed.icmp_offset ||
      frame[parsed.icmp_offset] != kIcmpEchoRequest) {
    return false;
  }
  StoreMac(&frame[0], parsed.src_mac);
  StoreMac(&frame[6], our_mac);

  uint8_t* ip = &frame[parsed.l3_offset];
  uint8_t address[4];
  std::memcpy(address, ip + 12, 4);
  std::memcpy(ip + 12, ip + 16, 4);
  std::memcpy(ip + 16, address, 4);
  ip[8] = kEchoReplyTtl;
  StoreBe16(ip + 10, 0);
  StoreBe16(ip + 10, InternetChecksum({ip, parsed.ip_header_size}));

  // Only the type/code word changes (0x0800 -> 0x0000): incremental update
  // HC' = ~(~HC + ~m + m') (RFC 1624 eqn. 3) instead of re-summing the data.
  uint8_t* icmp = &frame[parsed.icmp_offset];
  const uint16_t old_word = LoadBe16(icmp);
  icmp[0] = kIcmpEchoReply;
  const uint16_t new_word = LoadBe16(icmp);
  const uint16_t old_checksum = LoadBe16(icmp + 2);
  const uint32_t sum =
      uint32_t{static_cast<uint16_t>(~old_checksum)} + static_cast<uint16_t>(~old_word) + new_word;
  StoreBe16(icmp + 2, Complement(sum));
  return true;
}

uint32_t NextHop(uint32_t destination, uint32_t our_ip, uint32_t netmask, uint32_t gateway) {
  return ((destination ^ our_ip) & netmask) == 0 ? destination : gateway;
}

}  // namespace tutti::dpdk
