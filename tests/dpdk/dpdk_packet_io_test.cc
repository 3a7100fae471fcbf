// DpdkPort and DpdkPacketIo on a real EAL with a ring-backed Ethernet port
// (rte_eth_from_rings): the test puts frames on the port's RX ring and reads
// what tuttid transmits from its TX ring. No NIC, no hugepages.
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dpdk/dpdk_port.h"
#include "gtest/gtest.h"

namespace tutti::dpdk {
namespace {

constexpr uint32_t kOurIp = 0x0A4D0002;   // 10.77.0.2
constexpr uint32_t kPeerIp = 0x0A4D0001;  // 10.77.0.1
constexpr uint32_t kFarIp = 0xC6336407;   // 198.51.100.7, off the subnet
constexpr uint32_t kGateway = 0x0A4D00FE;
const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kGatewayMac{{0x02, 0, 0, 0, 0, 0xFE}};

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // One EAL per process; --no-shconf and a per-process prefix let ctest
    // run several of these at once.
    const absl::Status started =
        StartEal({"--no-huge", "--no-pci", "--no-shconf", "-m", "128", "--lcores=0@(0-1)",
                  "--file-prefix=tutti-test-" + std::to_string(getpid()), "--log-level=4"});
    ASSERT_TRUE(started.ok()) << started;
  }
  void TearDown() override { StopEal(); }
};
const auto* const kEal = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

class DpdkPacketIoTest : public ::testing::Test {
 protected:
  // A port whose RX ring we feed and whose TX ring we drain.
  void StartPort(int workers, uint16_t vlan = 0,
                 const std::function<void(PortOptions&)>& tweak = nullptr) {
    static int serial = 0;
    const std::string name = "test_ring" + std::to_string(serial++);
    rx_ = rte_ring_create((name + "_rx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx_ = rte_ring_create((name + "_tx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(rx_, nullptr);
    ASSERT_NE(tx_, nullptr);
    const int id = rte_eth_from_rings(name.c_str(), &rx_, 1, &tx_, 1, 0);
    ASSERT_GE(id, 0);
    std::array<char, RTE_ETH_NAME_MAX_LEN> device{};
    ASSERT_EQ(rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), device.data()), 0);
    PortOptions options;
    options.device = device.data();  // net_ring_<name>
    options.address = kOurIp;
    options.netmask = 0xFFFFFF00;
    options.gateway = kGateway;
    options.gateway_mac = kGatewayMac;
    options.vlan = vlan;
    options.workers = workers;
    options.max_participants = 16;
    options.rx_descriptors = 128;
    options.tx_descriptors = 128;
    options.worker_ring_size = 256;
    if (tweak) tweak(options);
    auto port = DpdkPort::Start(options);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = std::move(*port);
    for (int w = 0; w < workers; ++w) ios_.push_back(port_->MakeWorkerIo(w));
    pool_ = rte_pktmbuf_pool_create(("p" + name).c_str(), 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
  }

  void TearDown() override {
    ios_.clear();
    port_.reset();
    for (rte_ring* ring : {rx_, tx_}) {
      void* left = nullptr;
      while (ring != nullptr && rte_ring_dequeue(ring, &left) == 0) {
        rte_pktmbuf_free(static_cast<rte_mbuf*>(left));
      }
      rte_ring_free(ring);
    }
    if (pool_ != nullptr) rte_mempool_free(pool_);
  }

  // A frame arriving on the wire.
  void Inject(std::span<const uint8_t> frame) {
    rte_mbuf* mbuf = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(mbuf, nullptr);
    auto* data =
        reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())));
    std::memcpy(data, frame.data(), frame.size());
    ASSERT_EQ(rte_ring_enqueue(rx_, mbuf), 0);
  }

  std::vector<uint8_t> UdpFrame(uint16_t dst_port, std::string_view payload, uint16_t vlan = 0,
                                uint32_t dst_ip = kOurIp) {
    std::vector<uint8_t> frame(UdpHeadersSize(vlan) + payload.size());
    std::memcpy(frame.data() + UdpHeadersSize(vlan), payload.data(), payload.size());
    UdpFrameSpec spec;
    spec.src_mac = kPeerMac;
    spec.dst_mac = port_->mac();
    spec.vlan = vlan;
    spec.src_ip = kPeerIp;
    spec.dst_ip = dst_ip;
    spec.src_port = 40000;
    spec.dst_port = dst_port;
    WriteUdpHeaders(std::span<uint8_t>(frame.data(), UdpHeadersSize(vlan)), spec,
                    std::span<const uint8_t>(frame.data() + UdpHeadersSize(vlan), payload.size()),
                    true);
    return frame;
  }

  // Everything the port transmitted so far.
  std::vector<std::vector<uint8_t>> Sent() {
    std::vector<std::vector<uint8_t>> frames;
    void* item = nullptr;
    while (rte_ring_dequeue(tx_, &item) == 0) {
      auto* mbuf = static_cast<rte_mbuf*>(item);
      const auto* data = rte_pktmbuf_mtod(mbuf, const uint8_t*);
      frames.emplace_back(data, data + rte_pktmbuf_data_len(mbuf));
      rte_pktmbuf_free(mbuf);
    }
    return frames;
  }

  static void FixIpChecksum(std::vector<uint8_t>& frame, size_t l3) {
    frame[l3 + 10] = frame[l3 + 11] = 0;
    const uint16_t sum = InternetChecksum(std::span<const uint8_t>(frame.data() + l3, 20));
    frame[l3 + 10] = static_cast<uint8_t>(sum >> 8);
    frame[l3 + 11] = static_cast<uint8_t>(sum);
  }

  int ReceiveAll(media::PacketIo& io, std::vector<media::Datagram>* out) {
    std::array<media::Datagram, 64> burst{};
    const int n = io.Receive(burst, 0);
    for (int i = 0; i < n; ++i) out->push_back(burst[static_cast<size_t>(i)]);
    return n;
  }

  rte_ring* rx_ = nullptr;
  rte_ring* tx_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<DpdkPort> port_;
  std::vector<std::unique_ptr<media::PacketIo>> ios_;
};

TEST_F(DpdkPacketIoTest, DeliversDatagramsForItsOwnPortsAndCountsTheRest) {
  StartPort(1);
  ios_[0]->AttachPort(20000, -1);
  Inject(UdpFrame(20000, "rtp-1"));
  Inject(UdpFrame(20002, "nobody's"));
  Inject(UdpFrame(20000, "other host", 0, 0x0A4D0009));
  std::vector<media::Datagram> got;
  ASSERT_EQ(ReceiveAll(*ios_[0], &got), 1);
  EXPECT_EQ(got[0].local_port, 20000);
  EXPECT_EQ(got[0].remote, media::Endpoint(kPeerIp, 40000));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got[0].data), got[0].size), "rtp-1");
  EXPECT_EQ(port_->queue(0).not_ours.load(), 2u);

  ios_[0]->DetachPort(20000, -1);
  Inject(UdpFrame(20000, "after leaving"));
  got.clear();
  EXPECT_EQ(ReceiveAll(*ios_[0], &got), 0);
  EXPECT_EQ(port_->queue(0).not_ours.load(), 3u);
}

TEST_F(DpdkPacketIoTest, HandsDatagramsToTheWorkerThatOwnsThePort) {
  StartPort(2);
  ASSERT_EQ(port_->rx_queues(), 1);  // a ring port has no RSS: worker 0 polls for both
  ios_[1]->AttachPort(30000, -1);
  Inject(UdpFrame(30000, "for worker 1"));
  std::vector<media::Datagram> got;
  EXPECT_EQ(ReceiveAll(*ios_[0], &got), 0);  // polled, and passed on
  EXPECT_EQ(port_->queue(0).handed_over.load(), 1u);
  ASSERT_EQ(ReceiveAll(*ios_[1], &got), 1);
  EXPECT_EQ(got[0].local_port, 30000);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got[0].data), got[0].size), "for worker 1");
}

TEST_F(DpdkPacketIoTest, AnswersArpAndPingForTheMediaAddressOnly) {
  StartPort(1);
  std::array<uint8_t, 64> request{};
  ASSERT_GT(WriteArpRequest(request, kPeerMac, kPeerIp, kOurIp, 0), 0u);
  Inject(request);
  std::array<uint8_t, 64> other{};
  ASSERT_GT(WriteArpRequest(other, kPeerMac, kPeerIp, 0x0A4D0009, 0), 0u);
  Inject(other);
  std::vector<media::Datagram> got;
  ReceiveAll(*ios_[0], &got);
  std::vector<std::vector<uint8_t>> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  const ParsedFrame reply = ParseFrame(sent[0], true);
  ASSERT_EQ(reply.kind, ParsedFrame::Kind::kArp);
  EXPECT_EQ(reply.arp_op, 2);
  EXPECT_EQ(reply.arp_sender_ip, kOurIp);
  EXPECT_EQ(reply.arp_sender_mac, port_->mac());
  EXPECT_EQ(reply.dst_mac, kPeerMac);
  EXPECT_EQ(port_->queue(0).arp_replies.load(), 1u);

  // An echo request: 8 bytes of ICMP header and some data.
  std::vector<uint8_t> ping = UdpFrame(1, "0123456789abcdef");
  ping[23] = 1;  // IP protocol ICMP instead of UDP; fix the checksums below
  const size_t icmp = 34;
  std::memset(ping.data() + icmp, 0, 8);
  ping[icmp] = 8;
  FixIpChecksum(ping, 14);
  const uint16_t icmp_sum =
      InternetChecksum(std::span<const uint8_t>(ping.data() + icmp, ping.size() - icmp));
  ping[icmp + 2] = static_cast<uint8_t>(icmp_sum >> 8);
  ping[icmp + 3] = static_cast<uint8_t>(icmp_sum);
  ASSERT_EQ(ParseFrame(ping, true).kind, ParsedFrame::Kind::kIcmpEcho);
  Inject(ping);
  ReceiveAll(*ios_[0], &got);
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  const ParsedFrame pong = ParseFrame(sent[0], true);
  EXPECT_EQ(pong.kind, ParsedFrame::Kind::kNotOurs);  // an echo reply: valid, not a request
  EXPECT_EQ(pong.dst_ip, kPeerIp);
  EXPECT_EQ(pong.src_ip, kOurIp);
  EXPECT_EQ(port_->queue(0).icmp_replies.load(), 1u);
}

TEST_F(DpdkPacketIoTest, SendsOnceTheNextHopIsResolved) {
  StartPort(1);
  std::array<uint8_t, 172> payload{};
  payload[0] = 0x80;
  media::Datagram datagram{20000, {kPeerIp, 40000}, payload.data(), payload.size()};
  // Unknown peer: the datagram is dropped and the peer is asked for, once.
  EXPECT_EQ(ios_[0]->Send(std::span(&datagram, 1)), 0);
  EXPECT_EQ(ios_[0]->Send(std::span(&datagram, 1)), 0);
  std::vector<std::vector<uint8_t>> sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  const ParsedFrame asked = ParseFrame(sent[0], true);
  ASSERT_EQ(asked.kind, ParsedFrame::Kind::kArp);
  EXPECT_EQ(asked.arp_op, 1);
  EXPECT_EQ(asked.arp_target_ip, kPeerIp);
  EXPECT_EQ(port_->queue(0).unresolved.load(), 2u);

  // The peer answers; now the datagram goes out, headers and checksums right.
  std::array<uint8_t, 64> answer{};
  ASSERT_GT(WriteArpRequest(answer, kPeerMac, kPeerIp, kOurIp, 0), 0u);  // a request teaches too
  Inject(answer);
  std::vector<media::Datagram> got;
  ReceiveAll(*ios_[0], &got);
  Sent();  // our ARP reply
  EXPECT_EQ(ios_[0]->Send(std::span(&datagram, 1)), 1);
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  const ParsedFrame frame = ParseFrame(sent[0], true);
  ASSERT_EQ(frame.kind, ParsedFrame::Kind::kUdp);
  EXPECT_EQ(frame.dst_mac, kPeerMac);
  EXPECT_EQ(frame.src_mac, port_->mac());
  EXPECT_EQ(frame.src_ip, kOurIp);
  EXPECT_EQ(frame.dst_ip, kPeerIp);
  EXPECT_EQ(frame.src_port, 20000);
  EXPECT_EQ(frame.dst_port, 40000);
  EXPECT_EQ(frame.payload_size, payload.size());

  // Off the subnet: through the (static) gateway, no ARP needed.
  datagram.remote = {kFarIp, 5004};
  EXPECT_EQ(ios_[0]->Send(std::span(&datagram, 1)), 1);
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  const ParsedFrame routed = ParseFrame(sent[0], true);
  EXPECT_EQ(routed.dst_mac, kGatewayMac);
  EXPECT_EQ(routed.dst_ip, kFarIp);
}

// The DPDK plane is IPv4-only (call control refuses IPv6 callers with 488):
// a datagram for an IPv6 peer is dropped and counted, and asks for nothing.
TEST_F(DpdkPacketIoTest, DropsAndCountsDatagramsForIpv6Peers) {
  StartPort(1);
  std::array<uint8_t, 172> payload{};
  media::Datagram datagram{20000, *media::ParseEndpoint("2001:db8::1", 40000), payload.data(),
                           payload.size()};
  EXPECT_EQ(ios_[0]->Send(std::span(&datagram, 1)), 0);
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(port_->queue(0).not_ipv4.load(), 1u);
  EXPECT_EQ(port_->queue(0).unresolved.load(), 0u);
  EXPECT_EQ(ios_[0]->counters().send_errors, 1u);
}

TEST_F(DpdkPacketIoTest, VlanTaggedMediaAndDamagedFrames) {
  StartPort(1, /*vlan=*/42);
  ios_[0]->AttachPort(20000, -1);
  Inject(UdpFrame(20000, "tagged", 42));
  Inject(UdpFrame(20000, "untagged"));  // not on our VLAN
  std::vector<uint8_t> damaged = UdpFrame(20000, "bitflip", 42);
  damaged.back() ^= 0x01;  // the UDP checksum no longer matches
  Inject(damaged);
  std::vector<uint8_t> fragment = UdpFrame(20000, "fragment", 42);
  fragment[18 + 6] |= 0x20;  // more fragments
  FixIpChecksum(fragment, 18);
  Inject(fragment);
  std::vector<uint8_t> truncated = UdpFrame(20000, "cut short", 42);
  truncated.resize(30);
  Inject(truncated);
  std::vector<media::Datagram> got;
  ASSERT_EQ(ReceiveAll(*ios_[0], &got), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got[0].data), got[0].size), "tagged");
  const QueueCounters& counters = port_->queue(0);
  EXPECT_EQ(counters.not_ours.load(), 1u);
  EXPECT_EQ(counters.bad_checksum.load(), 1u);
  EXPECT_EQ(counters.fragments.load(), 1u);
  EXPECT_EQ(counters.malformed.load(), 1u);
}

// tutti-load's side of a shared-memory link: it does not spend time
// verifying the server's checksums (tuttid, by default, does: above).
TEST_F(DpdkPacketIoTest, WithoutVerifyingChecksumsADamagedChecksumIsDelivered) {
  StartPort(1, 0, [](PortOptions& options) { options.verify_checksums = false; });
  ios_[0]->AttachPort(20000, -1);
  std::vector<uint8_t> damaged = UdpFrame(20000, "bitflip");
  damaged.back() ^= 0x01;
  Inject(damaged);
  std::vector<media::Datagram> got;
  ASSERT_EQ(ReceiveAll(*ios_[0], &got), 1);
  EXPECT_EQ(port_->queue(0).bad_checksum.load(), 0u);
}

// [dpdk] idle_sleep_us: between empty polls the worker sleeps, yet it
// still waits out its whole timeout (counted as idle) and still finds what
// arrives. (That it gives the core away is the end-to-end test's to show:
// tests/bench/tutti_load_dpdk_test.py on a shared machine.)
TEST_F(DpdkPacketIoTest, SleepingBetweenEmptyPollsWaitsOutTheTimeoutAndStillReceives) {
  StartPort(1, 0, [](PortOptions& options) { options.idle_sleep_us = 500; });
  ios_[0]->AttachPort(20000, -1);
  std::array<media::Datagram, 64> burst{};
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(ios_[0]->Receive(burst, 3'000), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::microseconds(3'000));
  EXPECT_GE(ios_[0]->idle_ns(), 3'000'000u);
  Inject(UdpFrame(20000, "after a sleep"));
  ASSERT_EQ(ios_[0]->Receive(burst, 1'000'000), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(burst[0].data), burst[0].size),
            "after a sleep");
}

}  // namespace
}  // namespace tutti::dpdk
