// One media worker's view of the DPDK port (DpdkPort): its RX queue (when
// it has one), its hand-over ring, its TX queue. Used by that worker's
// thread only. Receive busy-polls until a datagram or the deadline: the
// core belongs to the worker (or, with PortOptions::idle_sleep_us, sleeps
// between empty polls, to share it). Nothing here allocates after construction.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dpdk/dpdk_port.h"
#include "mediaplane/packet_io.h"

struct rte_mbuf;

namespace tutti::dpdk {

class DpdkPacketIo final : public media::PacketIo {
 public:
  DpdkPacketIo(DpdkPort* port, int worker);
  ~DpdkPacketIo() override;

  int Receive(std::span<media::Datagram> out, int64_t timeout_us) override;
  int Send(std::span<const media::Datagram> datagrams) override;
  Counters counters() const override;
  // Time spent polling empty queues (busy-polling costs the core either way).
  uint64_t idle_ns() const override { return idle_ns_; }
  // The kernel backend's socket is not used: the port number is the key.
  bool AttachPort(uint16_t port, int fd) override;
  void DetachPort(uint16_t port, int fd) override;

  static constexpr int kBurst = 64;

 private:
  // Takes a burst from this worker's RX queue: datagrams for its own ports
  // into mine_, others' onto their rings; answers ARP and ping.
  void PollRxQueue(uint16_t room);
  void EnsureRegistered();
  void Classify(rte_mbuf* mbuf);
  void AnswerArp(rte_mbuf* mbuf, const ParsedFrame& frame);
  // The MAC of the next hop towards `ip`, or nullopt (an ARP request is on
  // its way, at most one a second per address).
  std::optional<MacAddress> Resolve(uint32_t next_hop, int64_t now_us);
  void SendArpRequest(uint32_t target);
  // Sends on this worker's TX queue (shared under a lock when the port has
  // fewer queues than workers); frees what the NIC did not take.
  uint16_t Transmit(rte_mbuf** mbufs, uint16_t count);

  DpdkPort* port_;
  const int worker_;
  const int64_t idle_sleep_us_;
  QueueCounters& counters_;
  bool registered_ = false;
  uint64_t idle_ns_ = 0;
  // Datagrams for this worker, waiting to be handed out, and those handed
  // out by the last Receive (freed by the next).
  std::array<rte_mbuf*, kBurst> mine_{};
  int mine_count_ = 0;
  std::array<rte_mbuf*, kBurst> held_{};
  int held_count_ = 0;
  // A small direct-mapped cache of next-hop MACs in front of the shared
  // ArpTable, refreshed from it every few seconds.
  struct CachedMac {
    uint32_t ip = 0;
    MacAddress mac;
    int64_t valid_until_us = 0;
  };
  std::array<CachedMac, 256> macs_{};
};

}  // namespace tutti::dpdk
