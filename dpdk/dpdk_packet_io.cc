#include "dpdk/dpdk_packet_io.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace tutti::dpdk {

namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::span<uint8_t> FrameOf(rte_mbuf* mbuf) {
  return {rte_pktmbuf_mtod(mbuf, uint8_t*), rte_pktmbuf_data_len(mbuf)};
}

// The NIC checked both checksums and found them good: no need to again.
bool ChecksumsVerified(const rte_mbuf* mbuf) {
  return (mbuf->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
         (mbuf->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

constexpr int64_t kMacCacheUs = 5'000'000;

}  // namespace

DpdkPacketIo::DpdkPacketIo(DpdkPort* port, int worker)
    : port_(port),
      worker_(worker),
      idle_sleep_us_(port->options_.idle_sleep_us),
      counters_(*port->queues_[static_cast<size_t>(worker)]) {}

DpdkPacketIo::~DpdkPacketIo() {
  for (int i = 0; i < held_count_; ++i) rte_pktmbuf_free(held_[static_cast<size_t>(i)]);
  for (int i = 0; i < mine_count_; ++i) rte_pktmbuf_free(mine_[static_cast<size_t>(i)]);
}

void DpdkPacketIo::EnsureRegistered() {
  if (registered_) return;
  registered_ = true;
  // An lcore id gives this thread its own mempool cache. EAL's own threads
  // have one; registering again would take another id for nothing.
  if (rte_lcore_id() == LCORE_ID_ANY) rte_thread_register();
}

int DpdkPacketIo::Receive(std::span<media::Datagram> out, int64_t timeout_us) {
  EnsureRegistered();
  if (held_count_ > 0) rte_pktmbuf_free_bulk(held_.data(), static_cast<unsigned>(held_count_));
  held_count_ = 0;

  const int capacity = static_cast<int>(std::min<size_t>(out.size(), kBurst));
  const int64_t started = NowMicros();
  const int64_t deadline = started + std::max<int64_t>(timeout_us, 0);
  rte_ring* ring = port_->rings_[static_cast<size_t>(worker_)];
  bool polled_empty = false;
  while (true) {
    if (worker_ < port_->rx_queues_ && mine_count_ < capacity) {
      PollRxQueue(static_cast<uint16_t>(capacity - mine_count_));
    }
    if (mine_count_ < capacity) {
      mine_count_ += static_cast<int>(
          rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(mine_.data() + mine_count_),
                                 static_cast<unsigned>(capacity - mine_count_), nullptr));
    }
    if (mine_count_ > 0) break;
    const int64_t now = NowMicros();
    if (now >= deadline) break;
    polled_empty = true;
    if (idle_sleep_us_ > 0) {
      // Sharing the core: give it up until the next poll (or the deadline).
      const timespec pause{0, std::min<int64_t>(idle_sleep_us_, deadline - now) * 1000};
      nanosleep(&pause, nullptr);
    } else {
      rte_pause();
    }
  }
  // The empty polls up to the datagram (or the deadline) were idle: the
  // worker had nothing to do there.
  if (polled_empty) idle_ns_ += static_cast<uint64_t>(NowMicros() - started) * 1000;

  int count = 0;
  for (; count < mine_count_ && count < capacity; ++count) {
    rte_mbuf* mbuf = mine_[static_cast<size_t>(count)];
    // Classify left the mbuf holding the UDP payload, the addresses in its
    // (otherwise unused) flow-director hash fields.
    media::Datagram& datagram = out[static_cast<size_t>(count)];
    datagram.local_port = static_cast<uint16_t>(mbuf->hash.fdir.hi & 0xFFFF);
    datagram.remote = {mbuf->hash.fdir.lo, static_cast<uint16_t>(mbuf->hash.fdir.hi >> 16)};
    datagram.data = rte_pktmbuf_mtod(mbuf, uint8_t*);
    datagram.size = rte_pktmbuf_data_len(mbuf);
    held_[static_cast<size_t>(held_count_++)] = mbuf;
  }
  // What did not fit waits for the next call.
  std::copy(mine_.begin() + count, mine_.begin() + mine_count_, mine_.begin());
  mine_count_ -= count;
  if (count > 0)
    counters_.delivered.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
  return count;
}

void DpdkPacketIo::PollRxQueue(uint16_t room) {
  // No more than there is room for: a datagram for our own port that did
  // not fit would wait on our ring behind later ones of the same flow.
  std::array<rte_mbuf*, kBurst> burst;
  const uint16_t n = rte_eth_rx_burst(port_->port_id_, static_cast<uint16_t>(worker_), burst.data(),
                                      std::min<uint16_t>(room, kBurst));
  if (n == 0) return;
  counters_.rx.fetch_add(n, std::memory_order_relaxed);
  for (uint16_t i = 0; i < n; ++i) Classify(burst[i]);
}

void DpdkPacketIo::Classify(rte_mbuf* mbuf) {
  const PortOptions& options = port_->options_;
  if (mbuf->nb_segs != 1) {  // RTP never needs more than one segment
    counters_.malformed.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free(mbuf);
    return;
  }
  const bool verify =
      options.verify_checksums && !(port_->rx_checksum_offload_ && ChecksumsVerified(mbuf));
  const ParsedFrame frame = ParseFrame(FrameOf(mbuf), verify);
  // Unicast to us, or (ARP requests only) broadcast.
  const bool to_us = frame.dst_mac == port_->mac_ && frame.vlan == options.vlan;
  switch (frame.kind) {
    case ParsedFrame::Kind::kUdp: {
      const uint8_t owner = to_us && frame.dst_ip == options.address
                                ? port_->owner_[frame.dst_port].load(std::memory_order_acquire)
                                : DpdkPort::kNoOwner;
      if (owner == DpdkPort::kNoOwner) break;  // not ours
      // From here on the mbuf is the UDP payload; where it came from and
      // went to ride in the hash fields, which nothing else uses on our RX.
      rte_pktmbuf_adj(mbuf, static_cast<uint16_t>(frame.payload_offset));
      rte_pktmbuf_trim(mbuf,
                       static_cast<uint16_t>(rte_pktmbuf_data_len(mbuf) - frame.payload_size));
      mbuf->hash.fdir.lo = frame.src_ip;
      mbuf->hash.fdir.hi = (uint32_t{frame.src_port} << 16) | frame.dst_port;
      if (owner == worker_ && mine_count_ < kBurst) {
        mine_[static_cast<size_t>(mine_count_++)] = mbuf;
        return;
      }
      if (rte_ring_enqueue(port_->rings_[owner], mbuf) != 0) {
        counters_.ring_drops.fetch_add(1, std::memory_order_relaxed);
        rte_pktmbuf_free(mbuf);
        return;
      }
      if (owner != worker_) counters_.handed_over.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    case ParsedFrame::Kind::kArp:
      if ((to_us || (frame.dst_mac.broadcast() && frame.vlan == options.vlan)) &&
          frame.arp_target_ip == options.address && !frame.arp_sender_mac.multicast()) {
        AnswerArp(mbuf, frame);  // takes the mbuf
        return;
      }
      break;
    case ParsedFrame::Kind::kIcmpEcho:
      if (to_us && frame.dst_ip == options.address &&
          TurnIntoEchoReply(FrameOf(mbuf), frame, port_->mac_)) {
        counters_.icmp_replies.fetch_add(1, std::memory_order_relaxed);
        Transmit(&mbuf, 1);
        return;
      }
      break;
    case ParsedFrame::Kind::kFragment:
      counters_.fragments.fetch_add(1, std::memory_order_relaxed);
      rte_pktmbuf_free(mbuf);
      return;
    case ParsedFrame::Kind::kBadChecksum:
      counters_.bad_checksum.fetch_add(1, std::memory_order_relaxed);
      rte_pktmbuf_free(mbuf);
      return;
    case ParsedFrame::Kind::kMalformed:
      counters_.malformed.fetch_add(1, std::memory_order_relaxed);
      rte_pktmbuf_free(mbuf);
      return;
    case ParsedFrame::Kind::kNotOurs:
      break;
  }
  counters_.not_ours.fetch_add(1, std::memory_order_relaxed);
  rte_pktmbuf_free(mbuf);
}

void DpdkPacketIo::AnswerArp(rte_mbuf* mbuf, const ParsedFrame& frame) {
  const PortOptions& options = port_->options_;
  // Whoever asks for us or answers us is a neighbour worth knowing.
  port_->arp_.Learn(frame.arp_sender_ip, frame.arp_sender_mac, absl::Now());
  if (frame.arp_op != 1) {  // a reply: learnt, nothing to send
    rte_pktmbuf_free(mbuf);
    return;
  }
  rte_mbuf* reply = rte_pktmbuf_alloc(port_->pool_);
  if (reply == nullptr) {
    counters_.tx_drops.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free(mbuf);
    return;
  }
  uint8_t* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(reply, 64));
  const size_t size = data == nullptr ? 0
                                      : WriteArpReply(std::span<uint8_t>(data, 64), frame,
                                                      port_->mac_, options.address);
  rte_pktmbuf_free(mbuf);
  if (size == 0) {
    rte_pktmbuf_free(reply);
    return;
  }
  rte_pktmbuf_trim(reply, static_cast<uint16_t>(64 - size));
  counters_.arp_replies.fetch_add(1, std::memory_order_relaxed);
  Transmit(&reply, 1);
}

void DpdkPacketIo::SendArpRequest(uint32_t target) {
  rte_mbuf* request = rte_pktmbuf_alloc(port_->pool_);
  if (request == nullptr) return;
  uint8_t* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(request, 64));
  const size_t size = data == nullptr
                          ? 0
                          : WriteArpRequest(std::span<uint8_t>(data, 64), port_->mac_,
                                            port_->options_.address, target, port_->options_.vlan);
  if (size == 0) {
    rte_pktmbuf_free(request);
    return;
  }
  rte_pktmbuf_trim(request, static_cast<uint16_t>(64 - size));
  counters_.arp_requests.fetch_add(1, std::memory_order_relaxed);
  Transmit(&request, 1);
}

std::optional<MacAddress> DpdkPacketIo::Resolve(uint32_t next_hop, int64_t now_us) {
  CachedMac& cached = macs_[(next_hop * 2654435761u) >> 24];
  if (cached.ip == next_hop && cached.valid_until_us > now_us) return cached.mac;
  const absl::Time now = absl::Now();
  if (std::optional<MacAddress> mac = port_->arp_.Lookup(next_hop, now)) {
    cached = {next_hop, *mac, now_us + kMacCacheUs};
    if (port_->arp_.ShouldRequest(next_hop, now)) SendArpRequest(next_hop);  // ageing: refresh
    return mac;
  }
  if (port_->arp_.ShouldRequest(next_hop, now)) SendArpRequest(next_hop);
  return std::nullopt;
}

int DpdkPacketIo::Send(std::span<const media::Datagram> datagrams) {
  EnsureRegistered();
  const PortOptions& options = port_->options_;
  const int64_t now_us = NowMicros();
  const size_t header_size = UdpHeadersSize(options.vlan);
  int sent = 0;
  size_t next = 0;
  while (next < datagrams.size()) {
    std::array<rte_mbuf*, kBurst> batch;
    uint16_t count = 0;
    for (; next < datagrams.size() && count < kBurst; ++next) {
      const media::Datagram& datagram = datagrams[next];
      // Call control gives IPv6 callers 488 with this backend; never sent.
      if (!datagram.remote.is_ipv4()) {
        counters_.not_ipv4.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      const uint32_t remote_ip = datagram.remote.ipv4();
      const uint32_t hop = NextHop(remote_ip, options.address, options.netmask, options.gateway);
      const std::optional<MacAddress> mac = hop == 0 ? std::nullopt : Resolve(hop, now_us);
      if (!mac) {
        counters_.unresolved.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      rte_mbuf* mbuf = rte_pktmbuf_alloc(port_->pool_);
      uint8_t* data = mbuf == nullptr
                          ? nullptr
                          : reinterpret_cast<uint8_t*>(rte_pktmbuf_append(
                                mbuf, static_cast<uint16_t>(header_size + datagram.size)));
      if (data == nullptr) {
        if (mbuf != nullptr) rte_pktmbuf_free(mbuf);
        counters_.tx_drops.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      // The payload's one copy, from the worker's buffer into the frame.
      // Writing RTP straight into mbufs instead measured slower for 172-byte
      // packets (bench/README.md: allocation costs more than the copy).
      std::memcpy(data + header_size, datagram.data, datagram.size);
      UdpFrameSpec spec;
      spec.src_mac = port_->mac_;
      spec.dst_mac = *mac;
      spec.vlan = options.vlan;
      spec.src_ip = options.address;
      spec.dst_ip = remote_ip;
      spec.src_port = datagram.local_port;
      spec.dst_port = datagram.remote.port;
      WriteUdpHeaders(std::span<uint8_t>(data, header_size), spec,
                      std::span<const uint8_t>(data + header_size, datagram.size),
                      /*udp_checksum=*/true);
      batch[count++] = mbuf;
    }
    if (count > 0) sent += Transmit(batch.data(), count);
  }
  return sent;
}

uint16_t DpdkPacketIo::Transmit(rte_mbuf** mbufs, uint16_t count) {
  const int queue = worker_ % port_->tx_queues_;
  const bool shared = port_->tx_queues_ < port_->options_.workers;
  std::atomic_flag& lock = *port_->tx_locks_[static_cast<size_t>(queue)];
  if (shared) {
    while (lock.test_and_set(std::memory_order_acquire)) rte_pause();
  }
  uint16_t sent = 0;
  // A full TX ring empties within microseconds: a few tries, then drop.
  for (int attempt = 0; attempt < 4 && sent < count; ++attempt) {
    sent += rte_eth_tx_burst(port_->port_id_, static_cast<uint16_t>(queue), mbufs + sent,
                             static_cast<uint16_t>(count - sent));
  }
  if (sent < count && port_->options_.tx_wait_us > 0) {
    const int64_t deadline = NowMicros() + port_->options_.tx_wait_us;
    while (sent < count && NowMicros() < deadline) {
      rte_pause();
      sent += rte_eth_tx_burst(port_->port_id_, static_cast<uint16_t>(queue), mbufs + sent,
                               static_cast<uint16_t>(count - sent));
    }
  }
  if (shared) lock.clear(std::memory_order_release);
  for (uint16_t i = sent; i < count; ++i) rte_pktmbuf_free(mbufs[i]);
  counters_.tx.fetch_add(sent, std::memory_order_relaxed);
  counters_.tx_drops.fetch_add(count - sent, std::memory_order_relaxed);
  return sent;
}

media::PacketIo::Counters DpdkPacketIo::counters() const {
  Counters out;
  out.received = counters_.delivered.load(std::memory_order_relaxed);
  out.sent = counters_.tx.load(std::memory_order_relaxed);
  out.send_errors = counters_.tx_drops.load(std::memory_order_relaxed) +
                    counters_.unresolved.load(std::memory_order_relaxed) +
                    counters_.not_ipv4.load(std::memory_order_relaxed);
  out.receive_errors = counters_.ring_drops.load(std::memory_order_relaxed);
  return out;
}

bool DpdkPacketIo::AttachPort(uint16_t port, int /*fd*/) {
  port_->owner_[port].store(static_cast<uint8_t>(worker_), std::memory_order_release);
  return true;
}

void DpdkPacketIo::DetachPort(uint16_t port, int /*fd*/) {
  uint8_t mine = static_cast<uint8_t>(worker_);
  // Only if still ours: the new owner may have attached it already.
  port_->owner_[port].compare_exchange_strong(mine, DpdkPort::kNoOwner, std::memory_order_acq_rel);
}

}  // namespace tutti::dpdk
