#include "dpdk/net_headers.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::dpdk {
namespace {

using Kind = ParsedFrame::Kind;

constexpr uint32_t Ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

uint16_t Be16(const std::vector<uint8_t>& frame, size_t offset) {
  return static_cast<uint16_t>(frame[offset] << 8 | frame[offset + 1]);
}

// Byte-at-a-time RFC 1071 sum: a second implementation to hold the fast one to.
uint16_t ReferenceChecksum(const std::vector<uint8_t>& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); ++i) sum += (i % 2 == 0) ? data[i] << 8 : data[i];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

const MacAddress kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddress kPeerMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
constexpr uint32_t kOurIp = Ip(192, 0, 2, 1);
constexpr uint32_t kPeerIp = Ip(192, 0, 2, 10);

// Frames below were built by an independent Python script (struct + its own
// RFC 1071 sum), the same one that wrote tests/fuzz/corpus/frame.
//
// 192.0.2.10:40000 -> 192.0.2.1:20000, IP id 0x1234, DF, TTL 64, a 172-byte
// RTP packet (12-byte header + 160 bytes of 0xd5): IP checksum 0xa3e5, UDP
// checksum 0x9f07.
constexpr std::string_view kRtpHeadersHex =
    "020000000001525400123456"
    "0800"
    "450000c8123440004011a3e5c000020ac0000201"
    "9c404e2000b49f07";
constexpr std::string_view kRtpHeaderHex = "80000001000000a0deadbeef";
// IPv4 with 4 bytes of options (Router Alert), UDP 5004 -> 5006 "hello", then
// Ethernet padding to 60 bytes.
constexpr std::string_view kOptionsUdpHex =
    "0200000000015254001234560800"
    "460000251234400040110f84c000020ac000020194040000"
    "138c138e000d10dc68656c6c6f"
    "000000000000000000";
// Echo request id 0x77 seq 1 with 56 data bytes 00..37.
constexpr std::string_view kIcmpEchoHex =
    "0200000000015254001234560800"
    "45000054123440004001a469c000020ac0000201"
    "0800007500770001"
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f3031323334353637";
// Broadcast who-has 192.0.2.1 tell 192.0.2.10, padded to 60 bytes.
constexpr std::string_view kArpRequestHex =
    "ffffffffffff5254001234560806"
    "0001080006040001525400123456c000020a000000000000c0000201"
    "000000000000000000000000000000000000";

std::vector<uint8_t> HexFrame(std::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ') compact += c;
  }
  return Hex(compact);
}

std::vector<uint8_t> RtpPayload() {
  std::vector<uint8_t> payload = Hex(kRtpHeaderHex);
  payload.resize(172, 0xd5);
  return payload;
}

UdpFrameSpec RtpSpec(uint16_t vlan) {
  return {.src_mac = kPeerMac,
          .dst_mac = kOurMac,
          .vlan = vlan,
          .src_ip = kPeerIp,
          .dst_ip = kOurIp,
          .src_port = 40000,
          .dst_port = 20000,
          .ttl = 64,
          .ip_id = 0x1234};
}

// Headers written in front of the payload, as the TX path does in an mbuf.
std::vector<uint8_t> BuildUdpFrame(const UdpFrameSpec& spec, const std::vector<uint8_t>& payload,
                                   bool udp_checksum = true) {
  const size_t headers = UdpHeadersSize(spec.vlan);
  std::vector<uint8_t> frame(headers + payload.size());
  if (!payload.empty()) std::memcpy(frame.data() + headers, payload.data(), payload.size());
  WriteUdpHeaders(std::span(frame).first(headers), spec, std::span(frame).subspan(headers),
                  udp_checksum);
  return frame;
}

// After a test edits the IPv4 header, so the header checksum does not mask
// the case under test.
void FixIpChecksum(std::vector<uint8_t>& frame, size_t l3_offset) {
  const size_t header_size = (frame[l3_offset] & 0x0f) * 4u;
  frame[l3_offset + 10] = frame[l3_offset + 11] = 0;
  const uint16_t checksum = InternetChecksum(std::span(frame).subspan(l3_offset, header_size));
  frame[l3_offset + 10] = static_cast<uint8_t>(checksum >> 8);
  frame[l3_offset + 11] = static_cast<uint8_t>(checksum);
}

// --- checksums ---

TEST(InternetChecksumTest, Rfc1071Example) {
  // RFC 1071 §3: these words sum to 0xddf2, so the checksum is 0x220d.
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(data), 0x220d);
  EXPECT_EQ(InternetChecksum(data, 0x220d), 0);  // continuing with the checksum closes it
}

TEST(InternetChecksumTest, TextbookIpv4Header) {
  // The classic example header (192.168.0.1 -> 192.168.0.199, checksum 0xb861).
  std::vector<uint8_t> header = Hex("450000730000400040110000c0a80001c0a800c7");
  EXPECT_EQ(InternetChecksum(header), 0xb861);
  header[10] = 0xb8;
  header[11] = 0x61;
  EXPECT_EQ(InternetChecksum(header), 0);
}

TEST(InternetChecksumTest, OddLengthPadsWithZero) {
  EXPECT_EQ(InternetChecksum(std::vector<uint8_t>{0x01}), 0xfeff);
  EXPECT_EQ(InternetChecksum(std::vector<uint8_t>{0x12, 0x34, 0x56}), 0x97cb);  // 0x1234 + 0x5600
  EXPECT_EQ(InternetChecksum({}), 0xffff);
}

TEST(InternetChecksumTest, MatchesByteWiseReferenceAtEveryLength) {
  std::mt19937 random(7);
  for (size_t size = 0; size < 200; ++size) {
    std::vector<uint8_t> data(size);
    for (uint8_t& byte : data) byte = static_cast<uint8_t>(random());
    EXPECT_EQ(InternetChecksum(data), ReferenceChecksum(data)) << "size " << size;
  }
  std::vector<uint8_t> all_ones(9000, 0xff);  // a jumbo frame's worth of carries
  EXPECT_EQ(InternetChecksum(all_ones), ReferenceChecksum(all_ones));
}

TEST(InternetChecksumTest, UdpPseudoHeaderSum) {
  // 192.0.2.10 -> 192.0.2.1, length 13: c000+020a+c000+0201+0011+000d = 0x1_8429 -> 0x842a.
  EXPECT_EQ(UdpPseudoHeaderSum(kPeerIp, kOurIp, 13), 0x842a);
}

// --- MAC addresses ---

TEST(MacAddressTest, ParseAndPrint) {
  const auto mac = MacAddress::Parse("52:54:00:AB:cd:ef");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->bytes, (std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}));
  EXPECT_EQ(mac->ToString(), "52:54:00:ab:cd:ef");
  EXPECT_EQ(MacAddress::Parse("52-54-00-ab-cd-ef"), mac);
  EXPECT_EQ(kBroadcastMac.ToString(), "ff:ff:ff:ff:ff:ff");
}

TEST(MacAddressTest, RejectsMalformedText) {
  for (std::string_view text :
       {"", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:", "52:54:00:ab:cd:eg", "52:54-00:ab:cd:ef",
        "525400abcdef", "52:54:00:ab:cd:e", " 2:54:00:ab:cd:ef", "52.54.00.ab.cd.ef"}) {
    EXPECT_FALSE(MacAddress::Parse(text).has_value()) << text;
  }
}

TEST(MacAddressTest, BroadcastAndMulticast) {
  EXPECT_TRUE(kBroadcastMac.broadcast());
  EXPECT_TRUE(kBroadcastMac.multicast());
  EXPECT_FALSE(kOurMac.broadcast());
  EXPECT_FALSE(kOurMac.multicast());
  EXPECT_TRUE(MacAddress::Parse("01:00:5e:00:00:01")->multicast());
  EXPECT_FALSE(MacAddress::Parse("01:00:5e:00:00:01")->broadcast());
  EXPECT_TRUE(MacAddress{}.zero());
}

// --- building and parsing UDP ---

TEST(UdpFrameTest, HeadersMatchIndependentlyBuiltFrame) {
  const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload());
  EXPECT_EQ(UdpHeadersSize(0), 42u);
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 42), Hex(kRtpHeadersHex));
}

TEST(UdpFrameTest, VlanHeadersMatchIndependentlyBuiltFrame) {
  const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(100), RtpPayload());
  EXPECT_EQ(UdpHeadersSize(100), 46u);
  // The same headers with the tag 8100 0064 between the MACs and the ethertype.
  std::vector<uint8_t> expected = Hex(kRtpHeadersHex);
  const std::vector<uint8_t> tag = {0x81, 0x00, 0x00, 0x64};
  expected.insert(expected.begin() + 12, tag.begin(), tag.end());
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 46), expected);
}

void ExpectRtpFrameParsed(const std::vector<uint8_t>& frame, uint16_t vlan) {
  for (bool verify : {true, false}) {
    const ParsedFrame parsed = ParseFrame(frame, verify);
    ASSERT_EQ(parsed.kind, Kind::kUdp) << "verify " << verify;
    EXPECT_EQ(parsed.dst_mac, kOurMac);
    EXPECT_EQ(parsed.src_mac, kPeerMac);
    EXPECT_EQ(parsed.vlan, vlan);
    EXPECT_EQ(parsed.l3_offset, vlan ? 18u : 14u);
    EXPECT_EQ(parsed.ip_header_size, 20u);
    EXPECT_EQ(parsed.src_ip, kPeerIp);
    EXPECT_EQ(parsed.dst_ip, kOurIp);
    EXPECT_EQ(parsed.ttl, 64);
    EXPECT_EQ(parsed.src_port, 40000);
    EXPECT_EQ(parsed.dst_port, 20000);
    EXPECT_EQ(parsed.payload_offset, UdpHeadersSize(vlan));
    EXPECT_EQ(parsed.payload_size, 172u);
    EXPECT_EQ(std::vector<uint8_t>(frame.begin() + parsed.payload_offset, frame.end()),
              RtpPayload());
  }
}

TEST(UdpFrameTest, RoundTripUntagged) {
  ExpectRtpFrameParsed(BuildUdpFrame(RtpSpec(0), RtpPayload()), 0);
}

TEST(UdpFrameTest, RoundTripVlan) {
  ExpectRtpFrameParsed(BuildUdpFrame(RtpSpec(100), RtpPayload()), 100);
  ExpectRtpFrameParsed(BuildUdpFrame(RtpSpec(4095), RtpPayload()), 4095);
}

TEST(UdpFrameTest, ChecksumsValidForOddAndEmptyPayloads) {
  for (size_t size : {0u, 1u, 2u, 3u, 161u, 1400u}) {
    std::vector<uint8_t> payload(size);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 37 + 11);
    const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), payload);
    EXPECT_EQ(InternetChecksum(std::span(frame).subspan(14, 20)), 0) << size;
    EXPECT_EQ(
        InternetChecksum(std::span(frame).subspan(34),
                         UdpPseudoHeaderSum(kPeerIp, kOurIp, static_cast<uint16_t>(8 + size))),
        0)
        << size;
    const ParsedFrame parsed = ParseFrame(frame, true);
    EXPECT_EQ(parsed.kind, Kind::kUdp) << size;
    EXPECT_EQ(parsed.payload_size, size);
  }
}

TEST(UdpFrameTest, ComputedZeroChecksumIsSentAsAllOnes) {
  // Pick a payload word that makes the datagram's sum 0xffff: its checksum
  // computes to 0, which on the wire would mean "none".
  std::vector<uint8_t> payload = {0, 0};
  const uint16_t without = Be16(BuildUdpFrame(RtpSpec(0), payload), 40);
  payload = {static_cast<uint8_t>(without >> 8), static_cast<uint8_t>(without)};
  const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), payload);
  EXPECT_EQ(Be16(frame, 40), 0xffff);
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kUdp);
}

TEST(UdpFrameTest, WithoutUdpChecksumFieldIsZeroAndAccepted) {
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload(), /*udp_checksum=*/false);
  EXPECT_EQ(Be16(frame, 40), 0);
  EXPECT_EQ(InternetChecksum(std::span(frame).subspan(14, 20)), 0);  // IP checksum still there
  frame.back() ^= 0x55;  // no checksum, so nothing can notice
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kUdp);
}

TEST(UdpFrameTest, PseudoHeaderSumForOffload) {
  // What the offload path stores (UdpPseudoHeaderSum) plus the datagram's own
  // sum must give the full checksum: the NIC completes exactly that.
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload(), false);
  const uint16_t pseudo = UdpPseudoHeaderSum(kPeerIp, kOurIp, 8 + 172);
  frame[40] = static_cast<uint8_t>(pseudo >> 8);
  frame[41] = static_cast<uint8_t>(pseudo);
  EXPECT_EQ(InternetChecksum(std::span(frame).subspan(34)), 0x9f07);
}

TEST(ParseFrameTest, IpOptionsAndEthernetPadding) {
  const std::vector<uint8_t> frame = HexFrame(kOptionsUdpHex);
  ASSERT_EQ(frame.size(), 60u);
  const ParsedFrame parsed = ParseFrame(frame, true);
  ASSERT_EQ(parsed.kind, Kind::kUdp);
  EXPECT_EQ(parsed.ip_header_size, 24u);
  EXPECT_EQ(parsed.src_port, 5004);
  EXPECT_EQ(parsed.dst_port, 5006);
  EXPECT_EQ(parsed.payload_offset, 14u + 24 + 8);
  EXPECT_EQ(parsed.payload_size, 5u);  // the 9 bytes of padding are not payload
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(&frame[parsed.payload_offset]), 5),
            "hello");
}

// --- malformed, foreign, fragments, bad checksums ---

TEST(ParseFrameTest, TruncatedEthernetAndVlan) {
  const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(100), RtpPayload());
  for (size_t size : {0u, 1u, 13u, 14u, 17u}) {
    EXPECT_EQ(ParseFrame(std::span(frame).first(size), true).kind, Kind::kMalformed) << size;
  }
}

TEST(ParseFrameTest, TruncatedIpv4AndUdp) {
  const std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload());
  // Every cut inside the headers or payload: the IP total length claims more.
  for (size_t size = 15; size < frame.size(); size += 7) {
    EXPECT_EQ(ParseFrame(std::span(frame).first(size), false).kind, Kind::kMalformed) << size;
  }
}

TEST(ParseFrameTest, BadIpv4HeaderFields) {
  const std::vector<uint8_t> good = BuildUdpFrame(RtpSpec(0), RtpPayload());
  auto parse_with = [&](size_t offset, uint8_t value) {
    std::vector<uint8_t> frame = good;
    frame[offset] = value;
    FixIpChecksum(frame, 14);
    return ParseFrame(frame, true).kind;
  };
  EXPECT_EQ(parse_with(14, 0x65), Kind::kMalformed);  // version 6 behind ethertype IPv4
  EXPECT_EQ(parse_with(14, 0x44), Kind::kMalformed);  // IHL 4 < 5
  EXPECT_EQ(parse_with(14, 0x4f), Kind::kMalformed);  // 60-byte header: no UDP header behind it
  EXPECT_EQ(parse_with(16, 0x01), Kind::kMalformed);  // total length 0x1c8 > frame
  EXPECT_EQ(parse_with(17, 0x10), Kind::kMalformed);  // total length 16 < header
  EXPECT_EQ(parse_with(17, 0x18), Kind::kMalformed);  // 4 bytes of UDP header
}

TEST(ParseFrameTest, UdpLengthMustMatchIpPayload) {
  const std::vector<uint8_t> good = BuildUdpFrame(RtpSpec(0), RtpPayload());
  for (uint16_t udp_length : {0, 7, 8, 179, 181, 0xffff}) {
    std::vector<uint8_t> frame = good;
    frame[38] = static_cast<uint8_t>(udp_length >> 8);
    frame[39] = static_cast<uint8_t>(udp_length);
    EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kMalformed) << udp_length;
    EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kMalformed) << udp_length;
  }
}

TEST(ParseFrameTest, Fragments) {
  const std::vector<uint8_t> good = BuildUdpFrame(RtpSpec(0), RtpPayload());
  auto with_flags = [&](uint16_t flags_and_offset) {
    std::vector<uint8_t> frame = good;
    frame[20] = static_cast<uint8_t>(flags_and_offset >> 8);
    frame[21] = static_cast<uint8_t>(flags_and_offset);
    FixIpChecksum(frame, 14);
    return ParseFrame(frame, true);
  };
  const ParsedFrame first = with_flags(0x2000);  // MF, offset 0
  EXPECT_EQ(first.kind, Kind::kFragment);
  EXPECT_EQ(first.src_ip, kPeerIp);  // addresses known, for counting per peer
  EXPECT_EQ(first.dst_ip, kOurIp);
  EXPECT_EQ(with_flags(0x0001).kind, Kind::kFragment);  // last fragment, offset 8
  EXPECT_EQ(with_flags(0x1fff).kind, Kind::kFragment);
  EXPECT_EQ(with_flags(0x4000).kind, Kind::kUdp);  // DF alone is not a fragment
  EXPECT_EQ(with_flags(0x0000).kind, Kind::kUdp);
}

TEST(ParseFrameTest, ForeignTraffic) {
  const std::vector<uint8_t> good = BuildUdpFrame(RtpSpec(0), RtpPayload());
  auto with_byte = [&](size_t offset, uint8_t value, bool fix_ip = false) {
    std::vector<uint8_t> frame = good;
    frame[offset] = value;
    if (fix_ip) FixIpChecksum(frame, 14);
    return ParseFrame(frame, true).kind;
  };
  EXPECT_EQ(with_byte(12, 0x86, false), Kind::kNotOurs);  // 0x8600: not a type we know
  EXPECT_EQ(with_byte(23, 6, true), Kind::kNotOurs);      // TCP
  EXPECT_EQ(with_byte(23, 58, true), Kind::kNotOurs);     // ICMPv6 number over IPv4
  std::vector<uint8_t> ipv6 = good;
  ipv6[12] = 0x86;
  ipv6[13] = 0xdd;
  EXPECT_EQ(ParseFrame(ipv6, true).kind, Kind::kNotOurs);
  std::vector<uint8_t> llc = good;  // 802.3 length field instead of an ethertype
  llc[12] = 0x00;
  llc[13] = 0x40;
  EXPECT_EQ(ParseFrame(llc, true).kind, Kind::kNotOurs);
}

TEST(ParseFrameTest, StackedVlanTagsAreNotOurs) {
  // QinQ (802.1ad S-tag outside) and double 802.1Q: we serve one tag at most.
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(100), RtpPayload());
  const std::vector<uint8_t> inner = {0x81, 0x00, 0x00, 0xc8};
  frame.insert(frame.begin() + 16, inner.begin(), inner.end());
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kNotOurs);  // 8100 100 / 8100 200 / IPv4
  frame[12] = 0x88;
  frame[13] = 0xa8;
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kNotOurs);  // 88a8 100 / 8100 200 / IPv4
  std::vector<uint8_t> s_tag_only = BuildUdpFrame(RtpSpec(100), RtpPayload());
  s_tag_only[12] = 0x88;
  s_tag_only[13] = 0xa8;
  EXPECT_EQ(ParseFrame(s_tag_only, true).kind, Kind::kNotOurs);
}

TEST(ParseFrameTest, PriorityTagCountsAsUntagged) {
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(100), RtpPayload());
  frame[14] = 0xa0;  // PCP 5, VID 0
  frame[15] = 0x00;
  const ParsedFrame parsed = ParseFrame(frame, true);
  EXPECT_EQ(parsed.kind, Kind::kUdp);
  EXPECT_EQ(parsed.vlan, 0);
  EXPECT_EQ(parsed.l3_offset, 18u);
  frame[14] = 0xe0;  // PCP 7, VID 100: the priority bits are not part of the id
  frame[15] = 0x64;
  EXPECT_EQ(ParseFrame(frame, true).vlan, 100);
}

TEST(ParseFrameTest, BadIpv4HeaderChecksum) {
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload());
  frame[25] ^= 0x01;
  const ParsedFrame parsed = ParseFrame(frame, true);
  EXPECT_EQ(parsed.kind, Kind::kBadChecksum);
  EXPECT_EQ(parsed.src_ip, kPeerIp);
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kUdp);  // hardware said it was fine
}

TEST(ParseFrameTest, BadUdpChecksum) {
  std::vector<uint8_t> frame = BuildUdpFrame(RtpSpec(0), RtpPayload());
  frame[100] ^= 0x20;  // one payload bit
  const ParsedFrame parsed = ParseFrame(frame, true);
  EXPECT_EQ(parsed.kind, Kind::kBadChecksum);
  EXPECT_EQ(parsed.dst_port, 20000);
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kUdp);
  // A wrong address in the pseudo-header is caught too (fixed IP checksum).
  frame = BuildUdpFrame(RtpSpec(0), RtpPayload());
  frame[29] ^= 0x01;
  FixIpChecksum(frame, 14);
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kBadChecksum);
}

// --- ICMP echo ---

TEST(IcmpEchoTest, ParsesRequest) {
  const std::vector<uint8_t> frame = HexFrame(kIcmpEchoHex);
  const ParsedFrame parsed = ParseFrame(frame, true);
  ASSERT_EQ(parsed.kind, Kind::kIcmpEcho);
  EXPECT_EQ(parsed.src_ip, kPeerIp);
  EXPECT_EQ(parsed.dst_ip, kOurIp);
  EXPECT_EQ(parsed.icmp_offset, 34u);
  EXPECT_EQ(parsed.icmp_size, 64u);
}

TEST(IcmpEchoTest, OtherIcmpAndBadChecksum) {
  const std::vector<uint8_t> good = HexFrame(kIcmpEchoHex);
  std::vector<uint8_t> frame = good;
  frame[34] = 0;  // echo reply
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kNotOurs);
  frame[34] = 3;  // destination unreachable
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kNotOurs);
  frame = good;
  frame[35] = 1;  // echo request with a non-zero code
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kNotOurs);
  frame = good;
  frame[60] ^= 0xff;
  EXPECT_EQ(ParseFrame(frame, true).kind, Kind::kBadChecksum);
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kIcmpEcho);
  // Only 4 bytes of ICMP: too short to be any ICMP message.
  frame = std::vector<uint8_t>(good.begin(), good.begin() + 38);
  frame[17] = 24;
  FixIpChecksum(frame, 14);
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kMalformed);
}

void ExpectValidEchoReply(std::vector<uint8_t> frame, size_t l3_offset) {
  const std::vector<uint8_t> request = frame;
  const ParsedFrame parsed = ParseFrame(frame, true);
  ASSERT_EQ(parsed.kind, Kind::kIcmpEcho);
  ASSERT_TRUE(TurnIntoEchoReply(frame, parsed, kOurMac));
  EXPECT_EQ(ParseFrame(frame, false).kind, Kind::kNotOurs);  // type 0 now
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 6),
            std::vector<uint8_t>(kPeerMac.bytes.begin(), kPeerMac.bytes.end()));
  EXPECT_EQ(std::vector<uint8_t>(frame.begin() + 6, frame.begin() + 12),
            std::vector<uint8_t>(kOurMac.bytes.begin(), kOurMac.bytes.end()));
  const std::span<const uint8_t> ip = std::span(frame).subspan(l3_offset, parsed.ip_header_size);
  EXPECT_EQ(std::vector<uint8_t>(ip.begin() + 12, ip.begin() + 16), Hex("c0000201"));
  EXPECT_EQ(std::vector<uint8_t>(ip.begin() + 16, ip.begin() + 20), Hex("c000020a"));
  EXPECT_EQ(ip[8], 64);
  EXPECT_EQ(InternetChecksum(ip), 0);
  const std::span<const uint8_t> icmp =
      std::span(frame).subspan(parsed.icmp_offset, parsed.icmp_size);
  EXPECT_EQ(icmp[0], 0);
  EXPECT_EQ(icmp[1], 0);
  EXPECT_EQ(InternetChecksum(icmp), 0);
  // Identifier, sequence and data are echoed unchanged.
  EXPECT_TRUE(std::equal(icmp.begin() + 4, icmp.end(),
                         request.begin() + static_cast<ptrdiff_t>(parsed.icmp_offset) + 4));
}

TEST(IcmpEchoTest, ReplyInPlace) {
  std::vector<uint8_t> frame = HexFrame(kIcmpEchoHex);
  ExpectValidEchoReply(frame, 14);
  TurnIntoEchoReply(frame, ParseFrame(frame, true), kOurMac);
  // The incremental update lands on the value a full recomputation gives:
  // 0x0075 + 0x0800 (the type word that went away).
  EXPECT_EQ(Be16(frame, 36), 0x0875);
}

TEST(IcmpEchoTest, ReplyWithVlanOptionsAndOddSize) {
  std::vector<uint8_t> frame = HexFrame(kIcmpEchoHex);
  frame.pop_back();  // 55 data bytes: an odd ICMP length
  const std::vector<uint8_t> tag = {0x81, 0x00, 0x00, 0x07};
  frame.insert(frame.begin() + 12, tag.begin(), tag.end());
  const std::vector<uint8_t> options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  frame.insert(frame.begin() + 18 + 20, options.begin(), options.end());
  frame[18] = 0x46;
  frame[18 + 3] = static_cast<uint8_t>(24 + 63);
  frame[18 + 8] = 3;  // arrived with TTL 3; the reply starts afresh at 64
  FixIpChecksum(frame, 18);
  // The ICMP checksum must be right for 63 bytes before the reply is built.
  frame[18 + 24 + 2] = frame[18 + 24 + 3] = 0;
  const uint16_t checksum = InternetChecksum(std::span(frame).subspan(18 + 24));
  frame[18 + 24 + 2] = static_cast<uint8_t>(checksum >> 8);
  frame[18 + 24 + 3] = static_cast<uint8_t>(checksum);
  frame.resize(frame.size() + 6, 0);  // Ethernet padding is left alone
  ExpectValidEchoReply(frame, 18);
  EXPECT_EQ(ParseFrame(frame, true).vlan, 7);
}

TEST(IcmpEchoTest, RefusesWhatWasNotParsedFromThisFrame) {
  std::vector<uint8_t> frame = HexFrame(kIcmpEchoHex);
  const std::vector<uint8_t> original = frame;
  const ParsedFrame parsed = ParseFrame(frame, true);
  const ParsedFrame udp = ParseFrame(BuildUdpFrame(RtpSpec(0), RtpPayload()), true);
  EXPECT_FALSE(TurnIntoEchoReply(frame, udp, kOurMac));
  EXPECT_FALSE(TurnIntoEchoReply(std::span(frame).first(97), parsed, kOurMac));
  ParsedFrame lying = parsed;
  lying.icmp_size = 1000;
  EXPECT_FALSE(TurnIntoEchoReply(frame, lying, kOurMac));
  lying = parsed;
  lying.icmp_offset = 40;
  EXPECT_FALSE(TurnIntoEchoReply(frame, lying, kOurMac));
  EXPECT_EQ(frame, original);
  ASSERT_TRUE(TurnIntoEchoReply(frame, parsed, kOurMac));
  EXPECT_FALSE(TurnIntoEchoReply(frame, parsed, kOurMac));  // already a reply
}

// --- ARP ---

TEST(ArpTest, ParsesRequest) {
  const ParsedFrame parsed = ParseFrame(HexFrame(kArpRequestHex), true);
  ASSERT_EQ(parsed.kind, Kind::kArp);
  EXPECT_TRUE(parsed.dst_mac.broadcast());
  EXPECT_EQ(parsed.src_mac, kPeerMac);
  EXPECT_EQ(parsed.l3_offset, 14u);
  EXPECT_EQ(parsed.arp_op, kArpOpRequest);
  EXPECT_EQ(parsed.arp_sender_mac, kPeerMac);
  EXPECT_EQ(parsed.arp_sender_ip, kPeerIp);
  EXPECT_EQ(parsed.arp_target_ip, kOurIp);
}

TEST(ArpTest, ForeignAndMalformedArp) {
  const std::vector<uint8_t> good = HexFrame(kArpRequestHex);
  auto with_byte = [&](size_t offset, uint8_t value) {
    std::vector<uint8_t> frame = good;
    frame[offset] = value;
    return ParseFrame(frame, true).kind;
  };
  EXPECT_EQ(with_byte(15, 6), Kind::kNotOurs);     // hardware type 6 (IEEE 802)
  EXPECT_EQ(with_byte(16, 0x86), Kind::kNotOurs);  // protocol type not IPv4
  EXPECT_EQ(with_byte(18, 8), Kind::kMalformed);   // Ethernet/IPv4 with hlen 8
  EXPECT_EQ(with_byte(19, 16), Kind::kMalformed);  // plen 16
  EXPECT_EQ(with_byte(21, 3), Kind::kNotOurs);     // RARP request opcode
  EXPECT_EQ(ParseFrame(std::span(good).first(14 + 27), true).kind, Kind::kMalformed);
  EXPECT_EQ(ParseFrame(std::span(good).first(14 + 7), true).kind, Kind::kMalformed);
  EXPECT_EQ(ParseFrame(std::span(good).first(14 + 28), true).kind, Kind::kArp);
}

void ExpectArpReply(uint16_t vlan) {
  std::vector<uint8_t> request(64);
  const MacAddress requester = kPeerMac;
  ASSERT_EQ(WriteArpRequest(request, requester, kPeerIp, kOurIp, vlan), 60u);
  const ParsedFrame parsed_request = ParseFrame(request, true);
  ASSERT_EQ(parsed_request.kind, Kind::kArp);

  std::vector<uint8_t> reply(128, 0xee);
  const size_t size = WriteArpReply(reply, parsed_request, kOurMac, kOurIp);
  ASSERT_EQ(size, 60u);
  reply.resize(size);
  const ParsedFrame parsed = ParseFrame(reply, true);
  ASSERT_EQ(parsed.kind, Kind::kArp);
  EXPECT_EQ(parsed.vlan, vlan);
  EXPECT_EQ(parsed.dst_mac, requester);  // unicast back, not broadcast
  EXPECT_EQ(parsed.src_mac, kOurMac);
  EXPECT_EQ(parsed.arp_op, kArpOpReply);
  EXPECT_EQ(parsed.arp_sender_mac, kOurMac);
  EXPECT_EQ(parsed.arp_sender_ip, kOurIp);
  EXPECT_EQ(parsed.arp_target_ip, kPeerIp);
  const size_t arp = parsed.l3_offset;
  EXPECT_EQ(std::vector<uint8_t>(reply.begin() + arp + 18, reply.begin() + arp + 24),
            std::vector<uint8_t>(requester.bytes.begin(), requester.bytes.end()));
  for (size_t i = arp + 28; i < reply.size(); ++i) EXPECT_EQ(reply[i], 0) << "padding " << i;
}

TEST(ArpTest, ReplyToRequest) { ExpectArpReply(0); }
TEST(ArpTest, ReplyKeepsVlan) { ExpectArpReply(42); }

TEST(ArpTest, ReplyToTheRealRequestBytes) {
  const ParsedFrame request = ParseFrame(HexFrame(kArpRequestHex), true);
  std::vector<uint8_t> reply(60);
  ASSERT_EQ(WriteArpReply(reply, request, kOurMac, kOurIp), 60u);
  EXPECT_EQ(reply, HexFrame("5254001234560200000000010806"
                            "0001080006040002020000000001c0000201525400123456c000020a"
                            "000000000000000000000000000000000000"));
}

TEST(ArpTest, NoReplyWhenNotForUsOrNoRoom) {
  const ParsedFrame request = ParseFrame(HexFrame(kArpRequestHex), true);
  std::vector<uint8_t> reply(60);
  EXPECT_EQ(WriteArpReply(std::span(reply).first(59), request, kOurMac, kOurIp), 0u);
  EXPECT_EQ(WriteArpReply(reply, request, kOurMac, Ip(192, 0, 2, 2)), 0u);
  ParsedFrame not_request = request;
  not_request.arp_op = kArpOpReply;
  EXPECT_EQ(WriteArpReply(reply, not_request, kOurMac, kOurIp), 0u);
  const ParsedFrame udp = ParseFrame(BuildUdpFrame(RtpSpec(0), RtpPayload()), true);
  EXPECT_EQ(WriteArpReply(reply, udp, kOurMac, kOurIp), 0u);
}

TEST(ArpTest, Request) {
  std::vector<uint8_t> out(60, 0xee);
  EXPECT_EQ(WriteArpRequest(std::span(out).first(59), kOurMac, kOurIp, kPeerIp, 0), 0u);
  ASSERT_EQ(WriteArpRequest(out, kOurMac, kOurIp, kPeerIp, 0), 60u);
  const ParsedFrame parsed = ParseFrame(out, true);
  ASSERT_EQ(parsed.kind, Kind::kArp);
  EXPECT_TRUE(parsed.dst_mac.broadcast());
  EXPECT_EQ(parsed.src_mac, kOurMac);
  EXPECT_EQ(parsed.vlan, 0);
  EXPECT_EQ(parsed.arp_op, kArpOpRequest);
  EXPECT_EQ(parsed.arp_sender_mac, kOurMac);
  EXPECT_EQ(parsed.arp_sender_ip, kOurIp);
  EXPECT_EQ(parsed.arp_target_ip, kPeerIp);
  for (size_t i = 14 + 18; i < 14 + 24; ++i) EXPECT_EQ(out[i], 0);  // target MAC unknown
  EXPECT_EQ(ParseFrame(out, true).kind, Kind::kArp);
  std::vector<uint8_t> tagged(60);
  ASSERT_EQ(WriteArpRequest(tagged, kOurMac, kOurIp, kPeerIp, 300), 60u);
  EXPECT_EQ(ParseFrame(tagged, true).vlan, 300);
}

// --- routing ---

TEST(NextHopTest, OnLinkOrGateway) {
  const uint32_t mask24 = 0xffffff00;
  const uint32_t gateway = Ip(192, 0, 2, 254);
  EXPECT_EQ(NextHop(Ip(192, 0, 2, 77), kOurIp, mask24, gateway), Ip(192, 0, 2, 77));
  EXPECT_EQ(NextHop(Ip(198, 51, 100, 7), kOurIp, mask24, gateway), gateway);
  EXPECT_EQ(NextHop(Ip(192, 0, 3, 1), kOurIp, mask24, gateway), gateway);            // just outside
  EXPECT_EQ(NextHop(Ip(198, 51, 100, 7), kOurIp, mask24, 0), 0u);                    // no route
  EXPECT_EQ(NextHop(Ip(198, 51, 100, 7), kOurIp, 0, gateway), Ip(198, 51, 100, 7));  // /0
  EXPECT_EQ(NextHop(Ip(192, 0, 2, 77), kOurIp, 0xffffffff, gateway), gateway);       // /32
}

}  // namespace
}  // namespace tutti::dpdk
