// libFuzzer target for the DPDK packet plane's frame parser and the replies
// built from what it parses. Beyond "no crash, no out-of-bounds read" it
// checks properties: every reported range lies inside the frame, a frame
// that passes checksum verification also passes without it, an echo reply
// built from a verified request carries valid checksums, an ARP reply parses
// back to what was asked, and a verified UDP frame rebuilt from its parsed
// fields parses back to the same fields.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "dpdk/net_headers.h"

namespace {

using tutti::dpdk::MacAddress;
using tutti::dpdk::ParsedFrame;
using Kind = ParsedFrame::Kind;

const MacAddress kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

void Check(bool condition) {
  if (!condition) std::abort();
}

bool RangeInside(size_t offset, size_t size, size_t whole) {
  return offset <= whole && size <= whole - offset;
}

void CheckRanges(const ParsedFrame& parsed, size_t frame_size) {
  Check(RangeInside(parsed.l3_offset, 0, frame_size));
  if (parsed.kind == Kind::kUdp) {
    Check(RangeInside(parsed.payload_offset, parsed.payload_size, frame_size));
    Check(parsed.payload_offset == parsed.l3_offset + parsed.ip_header_size + 8);
  }
  if (parsed.kind == Kind::kIcmpEcho) {
    Check(RangeInside(parsed.icmp_offset, parsed.icmp_size, frame_size));
    Check(parsed.icmp_offset == parsed.l3_offset + parsed.ip_header_size);
  }
  if (parsed.kind == Kind::kArp) Check(RangeInside(parsed.l3_offset, 28, frame_size));
}

void CheckEchoReply(std::span<const uint8_t> frame, const ParsedFrame& parsed, bool verified) {
  std::vector<uint8_t> reply(frame.begin(), frame.end());
  Check(tutti::dpdk::TurnIntoEchoReply(reply, parsed, kOurMac));
  if (!verified) return;
  const std::span<const uint8_t> bytes(reply);
  Check(tutti::dpdk::InternetChecksum(bytes.subspan(parsed.l3_offset, parsed.ip_header_size)) == 0);
  Check(tutti::dpdk::InternetChecksum(bytes.subspan(parsed.icmp_offset, parsed.icmp_size)) == 0);
  Check(reply[parsed.icmp_offset] == 0);
}

void CheckArpReply(const ParsedFrame& parsed) {
  if (parsed.arp_op != tutti::dpdk::kArpOpRequest) return;
  uint8_t reply[64];
  // Answer as whoever was asked for, so every request exercises the builder.
  const size_t size = tutti::dpdk::WriteArpReply(reply, parsed, kOurMac, parsed.arp_target_ip);
  Check(size == 60);
  const ParsedFrame back = tutti::dpdk::ParseFrame(std::span(reply, size), true);
  Check(back.kind == Kind::kArp && back.arp_op == tutti::dpdk::kArpOpReply);
  Check(back.vlan == parsed.vlan && back.dst_mac == parsed.arp_sender_mac);
  Check(back.arp_sender_ip == parsed.arp_target_ip && back.arp_target_ip == parsed.arp_sender_ip);
}

void CheckUdpRebuild(std::span<const uint8_t> frame, const ParsedFrame& parsed) {
  const tutti::dpdk::UdpFrameSpec spec{.src_mac = parsed.src_mac,
                                       .dst_mac = parsed.dst_mac,
                                       .vlan = parsed.vlan,
                                       .src_ip = parsed.src_ip,
                                       .dst_ip = parsed.dst_ip,
                                       .src_port = parsed.src_port,
                                       .dst_port = parsed.dst_port,
                                       .ttl = parsed.ttl};
  const size_t headers = tutti::dpdk::UdpHeadersSize(spec.vlan);
  std::vector<uint8_t> rebuilt(headers + parsed.payload_size);
  if (parsed.payload_size > 0) {
    std::memcpy(rebuilt.data() + headers, frame.data() + parsed.payload_offset,
                parsed.payload_size);
  }
  const std::span<uint8_t> bytes(rebuilt);
  tutti::dpdk::WriteUdpHeaders(bytes.first(headers), spec, bytes.subspan(headers), true);
  const ParsedFrame back = tutti::dpdk::ParseFrame(rebuilt, true);
  Check(back.kind == Kind::kUdp);
  Check(back.src_ip == parsed.src_ip && back.dst_ip == parsed.dst_ip);
  Check(back.src_port == parsed.src_port && back.dst_port == parsed.dst_port);
  Check(back.vlan == parsed.vlan && back.payload_size == parsed.payload_size);
  Check(back.payload_offset == headers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> frame(data, size);
  const ParsedFrame verified = tutti::dpdk::ParseFrame(frame, true);
  const ParsedFrame unverified = tutti::dpdk::ParseFrame(frame, false);
  CheckRanges(verified, size);
  CheckRanges(unverified, size);
  // Verification can only turn a kind into kBadChecksum, never change it otherwise.
  Check(verified.kind == unverified.kind || verified.kind == Kind::kBadChecksum);

  switch (unverified.kind) {
    case Kind::kIcmpEcho:
      CheckEchoReply(frame, unverified, verified.kind == Kind::kIcmpEcho);
      break;
    case Kind::kArp:
      CheckArpReply(unverified);
      break;
    case Kind::kUdp:
      if (verified.kind == Kind::kUdp) CheckUdpRebuild(frame, verified);
      break;
    default:
      break;
  }
  return 0;
}
