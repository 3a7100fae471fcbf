// Packet-plane cost per packet: the DPDK backend (DpdkPacketIo on a port
// made of rings, rte_eth_from_rings) next to the kernel backend
// (KernelSocketIo over loopback), for bursts of RTP-sized datagrams
// (172-byte payload: 12-byte RTP header + 20 ms of G.711).
//
// DPDK: the benchmark plays the NIC. It puts prepared frames (Ethernet +
// IPv4 + UDP, valid checksums) on the port's RX ring and takes what the port
// transmits off its TX ring. Only the PacketIo calls are timed (manual time,
// TSC): rx burst, parse (checksums verified in software: net_ring offers no
// RX offload), steering by the owner table, hand-over ring, delivery, and
// freeing the previous burst's mbufs; for TX, header writing with the UDP
// checksum, ARP cache, mbuf allocation and tx burst. Frame injection and TX
// draining (the NIC's part) are not in the time; the drain is given as a
// counter.
//
// Kernel: the benchmark sends over loopback with sendmmsg from its own
// socket(s) and times KernelSocketIo::Receive (epoll_wait + recvmmsg per
// ready socket); and times KernelSocketIo::Send (sendmmsg per run of one
// local port) to a loopback sink it drains untimed. On loopback the
// receive-side stack work (IP/UDP input, socket lookup, enqueue) runs in the
// sender's system call, so it is in the kernel TX figure and in the RX
// benchmark's `sender_ns_per_pkt` counter, not in its RX time.
//
// `ns_per_pkt` is the timed cost divided by packets. The same timed regions
// are bracketed by CALLGRIND_TOGGLE_COLLECT, so under
//   valgrind --tool=callgrind --collect-atstart=no ... --benchmark_filter=ONE
// the collected instructions divided by the packet count printed at exit
// give instructions per packet (see bench/README.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "dpdk/dpdk_port.h"
#include "dpdk/net_headers.h"
#include "mediaplane/kernel_socket_io.h"
#include "mediaplane/packet_io.h"

namespace {

using tutti::dpdk::DpdkPort;
using tutti::dpdk::MacAddress;
using tutti::media::Datagram;
using tutti::media::KernelSocketIo;
using tutti::media::PacketIo;

constexpr uint32_t kOurIp = 0x0A4D0002;   // 10.77.0.2, the media address
constexpr uint32_t kPeerIp = 0x0A4D0001;  // 10.77.0.1, every caller (one next hop)
const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
constexpr size_t kPayload = 172;
constexpr size_t kFrame = tutti::dpdk::UdpHeadersSize(0) + kPayload;  // 214 bytes
constexpr int kMaxBurst = 64;
constexpr uint16_t kOwnPortBase = 20000;     // owned by worker 0, which polls the RX queue
constexpr uint16_t kHandedPortBase = 30000;  // owned by worker 1: handed over
constexpr uint16_t kPeerPortBase = 40000;

// Packets inside CALLGRIND_TOGGLE_COLLECT brackets, all runs together.
uint64_t g_collected_packets = 0;

std::array<uint8_t, kPayload> RtpPayload(uint16_t seq) {
  std::array<uint8_t, kPayload> payload{};
  payload[0] = 0x80;  // V=2
  payload[1] = 0;     // PCMU
  payload[2] = static_cast<uint8_t>(seq >> 8);
  payload[3] = static_cast<uint8_t>(seq);
  for (size_t i = 4; i < 12; ++i) payload[i] = static_cast<uint8_t>(seq * 7 + i);
  for (size_t i = 12; i < kPayload; ++i) payload[i] = static_cast<uint8_t>(0x55 ^ (i * 13));
  return payload;
}

// One per datagram of a burst, sequence numbers 0, 1, ...
std::vector<std::array<uint8_t, kPayload>> RtpPayloads(int count) {
  std::vector<std::array<uint8_t, kPayload>> payloads;
  for (int i = 0; i < count; ++i) payloads.push_back(RtpPayload(static_cast<uint16_t>(i)));
  return payloads;
}

std::array<uint8_t, kFrame> RtpFrame(const MacAddress& our_mac, uint16_t dst_port,
                                     uint16_t src_port, uint16_t seq) {
  std::array<uint8_t, kFrame> frame{};
  const std::array<uint8_t, kPayload> payload = RtpPayload(seq);
  const size_t headers = tutti::dpdk::UdpHeadersSize(0);
  std::memcpy(frame.data() + headers, payload.data(), kPayload);
  tutti::dpdk::UdpFrameSpec spec;
  spec.src_mac = kPeerMac;
  spec.dst_mac = our_mac;
  spec.src_ip = kPeerIp;
  spec.dst_ip = kOurIp;
  spec.src_port = src_port;
  spec.dst_port = dst_port;
  spec.ip_id = seq;
  tutti::dpdk::WriteUdpHeaders(std::span<uint8_t>(frame.data(), headers), spec,
                               std::span<const uint8_t>(frame.data() + headers, kPayload),
                               /*udp_checksum=*/true);
  return frame;
}

double Nanos(uint64_t cycles) {
  return static_cast<double>(cycles) * 1e9 / static_cast<double>(rte_get_tsc_hz());
}

// ---------------------------------------------------------------------------
// The DPDK side: one port for the whole process (EAL starts once).

struct Plane {
  rte_ring* rx = nullptr;
  std::array<rte_ring*, 2> tx{};
  std::unique_ptr<DpdkPort> port;
  std::array<std::unique_ptr<PacketIo>, 2> io;
  // "NIC" buffers: every mbuf of own_pool holds a frame for a worker-0 port,
  // every mbuf of handed_pool one for a worker-1 port, written once; the
  // injection only sets the lengths, as a NIC's descriptor write-back would.
  rte_mempool* own_pool = nullptr;
  rte_mempool* handed_pool = nullptr;
  rte_mempool* misc_pool = nullptr;
};
Plane* g_plane = nullptr;

bool FillPool(rte_mempool* pool, const MacAddress& our_mac, uint16_t port_base) {
  std::vector<rte_mbuf*> all;
  while (rte_mbuf* mbuf = rte_pktmbuf_alloc(pool)) {
    const size_t i = all.size();
    const std::array<uint8_t, kFrame> frame = RtpFrame(
        our_mac, static_cast<uint16_t>(port_base + 2 * (i % kMaxBurst)),
        static_cast<uint16_t>(kPeerPortBase + 2 * (i % kMaxBurst)), static_cast<uint16_t>(i));
    std::memcpy(rte_pktmbuf_append(mbuf, kFrame), frame.data(), kFrame);
    all.push_back(mbuf);
  }
  for (rte_mbuf* mbuf : all) rte_pktmbuf_free(mbuf);
  return all.size() == pool->size;
}

bool Inject(rte_mempool* pool, int count) {
  std::array<rte_mbuf*, kMaxBurst> mbufs;
  if (rte_pktmbuf_alloc_bulk(pool, mbufs.data(), static_cast<unsigned>(count)) != 0) return false;
  for (int i = 0; i < count; ++i) {
    mbufs[static_cast<size_t>(i)]->data_len = kFrame;
    mbufs[static_cast<size_t>(i)]->pkt_len = kFrame;
  }
  return rte_ring_sp_enqueue_bulk(g_plane->rx, reinterpret_cast<void**>(mbufs.data()),
                                  static_cast<unsigned>(count),
                                  nullptr) == static_cast<unsigned>(count);
}

void InjectBytes(std::span<const uint8_t> frame) {
  rte_mbuf* mbuf = rte_pktmbuf_alloc(g_plane->misc_pool);
  std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(),
              frame.size());
  rte_ring_sp_enqueue(g_plane->rx, mbuf);
}

// Frees everything on TX ring `q`; returns how many.
unsigned DrainTx(int q) {
  unsigned total = 0;
  std::array<rte_mbuf*, kMaxBurst> mbufs;
  while (unsigned n = rte_ring_sc_dequeue_burst(g_plane->tx[static_cast<size_t>(q)],
                                                reinterpret_cast<void**>(mbufs.data()), kMaxBurst,
                                                nullptr)) {
    rte_pktmbuf_free_bulk(mbufs.data(), n);
    total += n;
  }
  return total;
}

std::string StartPlane() {
  const std::string prefix = "--file-prefix=tutti-bench-" + std::to_string(getpid());
  if (absl::Status s = tutti::dpdk::StartEal({"--no-huge", "--no-pci", "--no-shconf", "-m", "256",
                                              "--lcores=0@(0-1)", prefix, "--log-level=4"});
      !s.ok()) {
    return std::string(s.message());
  }
  auto* plane = new Plane();
  g_plane = plane;
  plane->rx = rte_ring_create("bench_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  plane->tx[0] = rte_ring_create("bench_tx0", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  plane->tx[1] = rte_ring_create("bench_tx1", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (plane->rx == nullptr || plane->tx[0] == nullptr || plane->tx[1] == nullptr) {
    return "rte_ring_create failed";
  }
  // One RX ring (no RSS: worker 0 polls it for both workers), a TX ring per worker.
  const int port_id = rte_eth_from_rings("bench_ring", &plane->rx, 1, plane->tx.data(), 2, 0);
  if (port_id < 0) return "rte_eth_from_rings failed";
  // The ethdev is named "net_ring_" + the name given (the vdev it creates):
  // that is the name DpdkPort looks up.
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  if (rte_eth_dev_get_name_by_port(static_cast<uint16_t>(port_id), name) != 0) {
    return "rte_eth_dev_get_name_by_port failed";
  }
  tutti::dpdk::PortOptions options;
  options.device = name;
  options.address = kOurIp;
  options.netmask = 0xFFFFFF00;
  options.workers = 2;
  auto port = DpdkPort::Start(options);
  if (!port.ok()) return std::string(port.status().message());
  plane->port = std::move(*port);
  for (int w = 0; w < 2; ++w) plane->io[static_cast<size_t>(w)] = plane->port->MakeWorkerIo(w);
  for (int i = 0; i < kMaxBurst; ++i) {
    plane->io[0]->AttachPort(static_cast<uint16_t>(kOwnPortBase + 2 * i), -1);
    plane->io[1]->AttachPort(static_cast<uint16_t>(kHandedPortBase + 2 * i), -1);
  }
  plane->own_pool =
      rte_pktmbuf_pool_create("bench_own", 1023, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  plane->handed_pool =
      rte_pktmbuf_pool_create("bench_handed", 1023, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  plane->misc_pool = rte_pktmbuf_pool_create("bench_misc", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  if (plane->own_pool == nullptr || plane->handed_pool == nullptr || plane->misc_pool == nullptr) {
    return "mbuf pools";
  }
  const MacAddress our_mac = plane->port->mac();
  if (!FillPool(plane->own_pool, our_mac, kOwnPortBase) ||
      !FillPool(plane->handed_pool, our_mac, kHandedPortBase)) {
    return "could not prefill the NIC pools";
  }

  // Teach the port the peer's MAC: its ARP reply to a request of ours.
  const unsigned lcore_before = rte_lcore_id();
  std::array<uint8_t, 64> request{};
  const size_t request_size =
      tutti::dpdk::WriteArpRequest(request, our_mac, kOurIp, kPeerIp, /*vlan=*/0);
  const tutti::dpdk::ParsedFrame asked =
      tutti::dpdk::ParseFrame(std::span<const uint8_t>(request.data(), request_size), true);
  std::array<uint8_t, 64> reply{};
  const size_t reply_size = tutti::dpdk::WriteArpReply(reply, asked, kPeerMac, kPeerIp);
  if (reply_size == 0) return "could not build the ARP reply";
  InjectBytes(std::span<const uint8_t>(reply.data(), reply_size));
  std::array<Datagram, kMaxBurst> out{};
  plane->io[0]->Receive(out, 0);
  const unsigned lcore_after_io0 = rte_lcore_id();
  plane->io[1]->Receive(out, 0);
  const unsigned lcore_after_io1 = rte_lcore_id();
  std::array<uint8_t, kPayload> payload = RtpPayload(1);
  Datagram probe{kOwnPortBase, {kPeerIp, kPeerPortBase}, payload.data(), kPayload};
  if (plane->io[0]->Send(std::span<const Datagram>(&probe, 1)) != 1) {
    return "the peer's MAC was not learnt from its ARP reply";
  }
  std::array<rte_mbuf*, 1> sent{};
  if (rte_ring_sc_dequeue_burst(plane->tx[0], reinterpret_cast<void**>(sent.data()), 1, nullptr) !=
      1) {
    return "nothing on TX ring 0";
  }
  const tutti::dpdk::ParsedFrame frame =
      tutti::dpdk::ParseFrame(std::span<const uint8_t>(rte_pktmbuf_mtod(sent[0], const uint8_t*),
                                                       rte_pktmbuf_data_len(sent[0])),
                              true);
  rte_pktmbuf_free(sent[0]);
  if (frame.kind != tutti::dpdk::ParsedFrame::Kind::kUdp || !(frame.dst_mac == kPeerMac) ||
      frame.payload_size != kPayload) {
    return "the transmitted frame is wrong";
  }
  DrainTx(0);
  DrainTx(1);

  benchmark::AddCustomContext("dpdk_port",
                              std::string(name) + " (rte_eth_from_rings): 1 RX ring, 2 TX rings");
  benchmark::AddCustomContext("dpdk_queues", "rx " + std::to_string(plane->port->rx_queues()) +
                                                 ", tx " +
                                                 std::to_string(plane->port->tx_queues()));
  benchmark::AddCustomContext("dpdk_mbufs", std::to_string(plane->port->mbufs()));
  benchmark::AddCustomContext("lcore_id", "before Receive " + std::to_string(lcore_before) +
                                              ", after io0 " + std::to_string(lcore_after_io0) +
                                              ", after io1 " + std::to_string(lcore_after_io1));
  benchmark::AddCustomContext("tsc_hz", std::to_string(rte_get_tsc_hz()));
  return "";
}

void StopPlane() {
  if (g_plane == nullptr) return;
  for (auto& io : g_plane->io) io.reset();
  DrainTx(0);
  DrainTx(1);
  g_plane->port.reset();
  void* left = nullptr;
  while (rte_ring_dequeue(g_plane->rx, &left) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(left));
  for (rte_mempool* pool : {g_plane->own_pool, g_plane->handed_pool, g_plane->misc_pool}) {
    rte_mempool_free(pool);
  }
  for (rte_ring* ring : {g_plane->rx, g_plane->tx[0], g_plane->tx[1]}) rte_ring_free(ring);
  delete g_plane;
  g_plane = nullptr;
  tutti::dpdk::StopEal();
}

// (1) Datagrams for ports the polling worker owns: rx burst, parse with
// checksum check, owner lookup, delivery (parsed again), previous burst freed.
void BM_DpdkRxOwn(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  PacketIo& io = *g_plane->io[0];
  std::array<Datagram, kMaxBurst> out{};
  const std::span<Datagram> slots(out.data(), static_cast<size_t>(burst));
  for (int i = 0; i < 100; ++i) {  // warm caches and the mempool cache
    Inject(g_plane->own_pool, burst);
    io.Receive(slots, 0);
  }
  uint64_t packets = 0;
  uint64_t cycles = 0;
  for (auto _ : state) {
    if (!Inject(g_plane->own_pool, burst)) {
      state.SkipWithError("injection failed");
      break;
    }
    CALLGRIND_TOGGLE_COLLECT;
    const uint64_t t0 = rte_rdtsc();
    const int n = io.Receive(slots, 0);
    const uint64_t t1 = rte_rdtsc();
    CALLGRIND_TOGGLE_COLLECT;
    state.SetIterationTime(Nanos(t1 - t0) * 1e-9);
    if (n != burst || out[0].size != kPayload) {
      state.SkipWithError("Receive did not deliver the burst");
      break;
    }
    cycles += t1 - t0;
    packets += static_cast<uint64_t>(n);
  }
  g_collected_packets += packets;
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["ns_per_pkt"] = packets == 0 ? 0 : Nanos(cycles) / static_cast<double>(packets);
}

// (2) Datagrams for ports another worker owns: worker 0 polls, parses,
// steers and enqueues on worker 1's ring (its Receive returns 0); worker 1's
// Receive dequeues, parses again and delivers. Both calls in one thread.
void BM_DpdkRxHandedOver(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  PacketIo& poller = *g_plane->io[0];
  PacketIo& owner = *g_plane->io[1];
  std::array<Datagram, kMaxBurst> out{};
  const std::span<Datagram> slots(out.data(), static_cast<size_t>(burst));
  for (int i = 0; i < 100; ++i) {
    Inject(g_plane->handed_pool, burst);
    poller.Receive(slots, 0);
    owner.Receive(slots, 0);
  }
  uint64_t packets = 0;
  uint64_t steer_cycles = 0;
  uint64_t deliver_cycles = 0;
  for (auto _ : state) {
    if (!Inject(g_plane->handed_pool, burst)) {
      state.SkipWithError("injection failed");
      break;
    }
    CALLGRIND_TOGGLE_COLLECT;
    const uint64_t t0 = rte_rdtsc();
    const int mine = poller.Receive(slots, 0);
    const uint64_t t1 = rte_rdtsc();
    const int n = owner.Receive(slots, 0);
    const uint64_t t2 = rte_rdtsc();
    CALLGRIND_TOGGLE_COLLECT;
    state.SetIterationTime(Nanos(t2 - t0) * 1e-9);
    if (mine != 0 || n != burst || out[0].size != kPayload) {
      state.SkipWithError("the burst was not handed over");
      break;
    }
    steer_cycles += t1 - t0;
    deliver_cycles += t2 - t1;
    packets += static_cast<uint64_t>(n);
  }
  g_collected_packets += packets;
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  const double p = packets == 0 ? 1 : static_cast<double>(packets);
  state.counters["ns_per_pkt"] = Nanos(steer_cycles + deliver_cycles) / p;
  state.counters["poller_ns_per_pkt"] = Nanos(steer_cycles) / p;
  state.counters["owner_ns_per_pkt"] = Nanos(deliver_cycles) / p;
}

// (3) Send of a burst of 172-byte datagrams, each from its own media port, to
// a peer on the subnet whose MAC is known: next hop, MAC cache, mbuf,
// headers with IPv4 and UDP checksums, tx burst. The TX ring is drained
// (mbufs freed, as a NIC's TX completion would) untimed; that cost is
// `drain_ns_per_pkt`.
// The payloads are in the caller's buffers (the worker's sink): Send
// allocates the mbufs and copies them in.
struct TxBatch {
  std::vector<std::array<uint8_t, kPayload>> payloads;
  std::array<Datagram, kMaxBurst> datagrams{};
  explicit TxBatch(int burst) : payloads(RtpPayloads(burst)) {
    for (int i = 0; i < burst; ++i) {
      datagrams[static_cast<size_t>(i)] = {static_cast<uint16_t>(kOwnPortBase + 2 * i),
                                           {kPeerIp, static_cast<uint16_t>(kPeerPortBase + 2 * i)},
                                           payloads[static_cast<size_t>(i)].data(),
                                           static_cast<uint16_t>(kPayload)};
    }
  }
};

void BM_DpdkTx(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  PacketIo& io = *g_plane->io[0];
  TxBatch tx(burst);
  const std::span<const Datagram> batch(tx.datagrams.data(), static_cast<size_t>(burst));
  // Returns the cycles of Send, 0 on failure. Callgrind collects the timed
  // parts of measured bursts only (not the warm-up).
  auto one_burst = [&](bool measured) -> uint64_t {
    if (measured) CALLGRIND_TOGGLE_COLLECT;
    const uint64_t t0 = rte_rdtsc();
    const int n = io.Send(batch);
    const uint64_t t1 = rte_rdtsc();
    if (measured) CALLGRIND_TOGGLE_COLLECT;
    return n == burst ? t1 - t0 : 0;
  };
  for (int i = 0; i < 100; ++i) {
    one_burst(false);
    DrainTx(0);
  }
  uint64_t packets = 0;
  uint64_t cycles = 0;
  uint64_t drain_cycles = 0;
  for (auto _ : state) {
    const uint64_t timed = one_burst(true);
    const uint64_t d0 = rte_rdtsc();
    const unsigned drained = DrainTx(0);
    drain_cycles += rte_rdtsc() - d0;
    if (timed == 0 || drained != static_cast<unsigned>(burst)) {
      state.SkipWithError("Send did not transmit the burst");
      break;
    }
    state.SetIterationTime(Nanos(timed) * 1e-9);
    cycles += timed;
    packets += static_cast<uint64_t>(burst);
  }
  g_collected_packets += packets;
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  const double p = packets == 0 ? 1 : static_cast<double>(packets);
  state.counters["ns_per_pkt"] = Nanos(cycles) / p;
  state.counters["drain_ns_per_pkt"] = Nanos(drain_cycles) / p;
}

// ---------------------------------------------------------------------------
// The kernel backend over loopback.

int LoopbackSocket(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

struct Sockets {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  ~Sockets() {
    for (int fd : fds) close(fd);
  }
  bool Open(int count) {
    for (int i = 0; i < count; ++i) {
      uint16_t port = 0;
      const int fd = LoopbackSocket(&port);
      if (fd < 0) return false;
      fds.push_back(fd);
      ports.push_back(port);
    }
    return true;
  }
  // A kernel-socket PacketIo receiving on (or sending from) every socket.
  std::unique_ptr<KernelSocketIo> Io() const {
    auto io = std::make_unique<KernelSocketIo>();
    for (size_t i = 0; i < fds.size(); ++i) io->AttachPort(ports[i], fds[i]);
    return io;
  }
};

// (4a) KernelSocketIo::Receive of a burst that the benchmark sent over
// loopback with one sendmmsg: to `sockets` media sockets (1: the whole burst
// on one socket, one recvmmsg; = burst: one datagram per socket, as when
// every caller's packet of a tick lands on its own port).
void BM_KernelRx(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  const int socket_count = static_cast<int>(state.range(1));
  Sockets receivers;
  Sockets client;
  if (!receivers.Open(socket_count) || !client.Open(1)) {
    state.SkipWithError("sockets");
    return;
  }
  const std::unique_ptr<KernelSocketIo> io = receivers.Io();
  std::vector<std::array<uint8_t, kPayload>> payloads = RtpPayloads(burst);
  std::array<mmsghdr, kMaxBurst> messages{};
  std::array<iovec, kMaxBurst> vectors{};
  std::array<sockaddr_in, kMaxBurst> destinations{};
  for (int i = 0; i < burst; ++i) {
    const auto s = static_cast<size_t>(i);
    destinations[s].sin_family = AF_INET;
    destinations[s].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    destinations[s].sin_port = htons(receivers.ports[s % static_cast<size_t>(socket_count)]);
    vectors[s] = {payloads[s].data(), kPayload};
    messages[s].msg_hdr.msg_iov = &vectors[s];
    messages[s].msg_hdr.msg_iovlen = 1;
    messages[s].msg_hdr.msg_name = &destinations[s];
    messages[s].msg_hdr.msg_namelen = sizeof(sockaddr_in);
  }
  std::array<Datagram, kMaxBurst> out{};
  const std::span<Datagram> slots(out.data(), static_cast<size_t>(burst));
  uint64_t packets = 0;
  uint64_t cycles = 0;
  uint64_t send_cycles = 0;
  uint64_t extra_calls = 0;
  auto one_burst = [&](bool timed) -> bool {
    const uint64_t s0 = rte_rdtsc();
    if (sendmmsg(client.fds[0], messages.data(), static_cast<unsigned>(burst), 0) != burst) {
      return false;
    }
    const uint64_t t0 = rte_rdtsc();
    int got = 0;
    int calls = 0;
    // Loopback delivers inside sendmmsg; a second call is rare.
    while (got < burst && calls < 1000) {
      got += io->Receive(slots.subspan(static_cast<size_t>(got)), 0);
      ++calls;
    }
    const uint64_t t1 = rte_rdtsc();
    if (got != burst) return false;
    if (timed) {
      send_cycles += t0 - s0;
      cycles += t1 - t0;
      extra_calls += static_cast<uint64_t>(calls - 1);
      packets += static_cast<uint64_t>(got);
      state.SetIterationTime(Nanos(t1 - t0) * 1e-9);
    }
    return true;
  };
  for (int i = 0; i < 100; ++i) one_burst(false);
  for (auto _ : state) {
    if (!one_burst(true)) {
      state.SkipWithError("the burst did not arrive");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  const double p = packets == 0 ? 1 : static_cast<double>(packets);
  state.counters["ns_per_pkt"] = Nanos(cycles) / p;
  state.counters["sender_ns_per_pkt"] = Nanos(send_cycles) / p;
  state.counters["extra_calls"] = static_cast<double>(extra_calls);
  for (int i = 0; i < socket_count; ++i) {
    io->DetachPort(receivers.ports[static_cast<size_t>(i)], receivers.fds[static_cast<size_t>(i)]);
  }
}

// (4b) KernelSocketIo::Send of a burst of 172-byte datagrams to a loopback
// sink, from `sockets` media sockets (1: one sendmmsg for the burst; = burst:
// one sendmmsg per datagram, as when each caller's mix leaves its own port).
// The sink is drained untimed.
void BM_KernelTx(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  const int socket_count = static_cast<int>(state.range(1));
  Sockets senders;
  Sockets sink;
  if (!senders.Open(socket_count) || !sink.Open(1)) {
    state.SkipWithError("sockets");
    return;
  }
  const std::unique_ptr<KernelSocketIo> io = senders.Io();
  std::vector<std::array<uint8_t, kPayload>> payloads = RtpPayloads(burst);
  std::array<Datagram, kMaxBurst> datagrams{};
  for (int i = 0; i < burst; ++i) {
    const auto s = static_cast<size_t>(i);
    datagrams[s] = {senders.ports[s % static_cast<size_t>(socket_count)],
                    {INADDR_LOOPBACK, sink.ports[0]},
                    payloads[s].data(),
                    static_cast<uint16_t>(kPayload)};
  }
  const std::span<const Datagram> batch(datagrams.data(), static_cast<size_t>(burst));
  std::array<std::array<uint8_t, kPayload>, kMaxBurst> buffers{};
  std::array<mmsghdr, kMaxBurst> messages{};
  std::array<iovec, kMaxBurst> vectors{};
  for (size_t i = 0; i < kMaxBurst; ++i) {
    vectors[i] = {buffers[i].data(), kPayload};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  auto drain = [&]() {
    int got = 0;
    for (int calls = 0; got < burst && calls < 1000; ++calls) {
      const int n = recvmmsg(sink.fds[0], messages.data(), static_cast<unsigned>(burst - got),
                             MSG_DONTWAIT, nullptr);
      if (n > 0) got += n;
    }
    return got;
  };
  uint64_t packets = 0;
  uint64_t cycles = 0;
  for (int i = 0; i < 100; ++i) {
    io->Send(batch);
    drain();
  }
  for (auto _ : state) {
    const uint64_t t0 = rte_rdtsc();
    const int n = io->Send(batch);
    const uint64_t t1 = rte_rdtsc();
    state.SetIterationTime(Nanos(t1 - t0) * 1e-9);
    if (n != burst || drain() != burst) {
      state.SkipWithError("the burst was not sent");
      break;
    }
    cycles += t1 - t0;
    packets += static_cast<uint64_t>(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["ns_per_pkt"] = packets == 0 ? 0 : Nanos(cycles) / static_cast<double>(packets);
  for (int i = 0; i < socket_count; ++i) {
    io->DetachPort(senders.ports[static_cast<size_t>(i)], senders.fds[static_cast<size_t>(i)]);
  }
}

// Reference: one std::chrono::steady_clock::now() (the clock read behind
// DpdkPacketIo's NowMicros: twice per Receive, once per datagram in Send's
// Resolve). Under valgrind it is a system call callgrind does not count.
void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}

BENCHMARK(BM_DpdkRxOwn)->Arg(32)->Arg(64)->ArgName("burst")->UseManualTime();
BENCHMARK(BM_DpdkRxHandedOver)->Arg(32)->Arg(64)->ArgName("burst")->UseManualTime();
BENCHMARK(BM_DpdkTx)->Arg(32)->Arg(64)->ArgName("burst")->UseManualTime();
BENCHMARK(BM_KernelRx)
    ->Args({32, 1})
    ->Args({32, 32})
    ->Args({64, 1})
    ->Args({64, 64})
    ->ArgNames({"burst", "sockets"})
    ->UseManualTime();
BENCHMARK(BM_KernelTx)
    ->Args({32, 1})
    ->Args({32, 32})
    ->Args({64, 1})
    ->Args({64, 64})
    ->ArgNames({"burst", "sockets"})
    ->UseManualTime();
BENCHMARK(BM_SteadyClockNow);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // EAL once per process, before any benchmark runs.
  if (const std::string error = StartPlane(); !error.empty()) {
    std::fprintf(stderr, "dpdk_packet_bench: %s\n", error.c_str());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  StopPlane();
  if (RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "dpdk_packet_bench: %llu packets in the collected regions\n",
                 static_cast<unsigned long long>(g_collected_packets));
  }
  return 0;
}
