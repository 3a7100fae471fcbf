// The DPDK packet plane of one process: EAL, one Ethernet port, its mbuf
// pool, one RX and one TX queue per media worker (as many as the port has),
// and the state the workers share: which worker owns each UDP port, the ARP
// table, and a ring per worker for datagrams another worker received.
//
// Steering: a worker polls its own RX queue (RSS spreads flows over the
// queues where the port can; otherwise worker 0 polls the only one), looks
// up the owner of each datagram's destination port and hands it over that
// worker's ring when it is not its own. Ownership changes as participants
// move between conferences (AttachPort/DetachPort), so a static rte_flow
// rule per port range would not follow them; the ring hand-off does, and is
// counted. Everything above PacketIo is unchanged by this backend.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpdk/arp_table.h"
#include "dpdk/net_headers.h"
#include "mediaplane/packet_io.h"

struct rte_mempool;
struct rte_ring;

namespace tutti::dpdk {

// Starts EAL once per process with these arguments (argv[0] is added).
// EAL cannot start twice: a second call with EAL up is OK and does nothing.
absl::Status StartEal(const std::vector<std::string>& args);
bool EalStarted();
// Releases EAL's memory and removes its runtime directory
// (/var/run/dpdk/<file prefix>), which it leaves behind otherwise. Every
// port must be closed; EAL cannot start again in this process.
void StopEal();

struct PortOptions {
  std::string device;    // as EAL names it (net_af_packet0, 0000:03:00.0); "": the first port
  uint32_t address = 0;  // our media IPv4 address (host order)
  uint32_t netmask = 0xFFFFFF00;
  uint32_t gateway = 0;  // 0: none
  std::optional<MacAddress> gateway_mac;
  uint16_t vlan = 0;
  int workers = 1;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  uint32_t mbufs = 0;  // 0: sized from max_participants
  int max_participants = 2000;
  uint32_t worker_ring_size = 4096;
  // > 0: Receive sleeps this long (never past its deadline) after an empty
  // poll instead of spinning, so the worker shares its core; 0: busy-polls.
  int idle_sleep_us = 0;
  // false: received checksums are not verified in software where the NIC
  // did not (tutti-load on a shared-memory link, which cannot corrupt a
  // frame; tuttid always verifies).
  bool verify_checksums = true;
  // > 0: a full TX ring is retried for up to this long before frames are
  // dropped (a load generator that would rather wait than lose its own
  // frames); 0: a few immediate tries, then drop (tuttid: a late frame is
  // worth no more than a lost one).
  int tx_wait_us = 0;
};

// Counters per worker queue, written by that worker only.
struct QueueCounters {
  std::atomic<uint64_t> rx{0};           // frames taken from its RX queue
  std::atomic<uint64_t> handed_over{0};  // datagrams passed to their owner's ring
  std::atomic<uint64_t> ring_drops{0};   // ... dropped because that ring was full
  std::atomic<uint64_t> delivered{0};    // datagrams given to the worker's mixer
  std::atomic<uint64_t> tx{0};
  std::atomic<uint64_t> tx_drops{0};    // the NIC did not take them, or no mbuf
  std::atomic<uint64_t> unresolved{0};  // dropped: next hop not resolved (ARP pending)
  std::atomic<uint64_t> not_ipv4{0};    // dropped: to an IPv6 peer (this plane is IPv4-only)
  std::atomic<uint64_t> not_ours{0};    // other protocols, other addresses, ports nobody owns
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> fragments{0};
  std::atomic<uint64_t> bad_checksum{0};
  std::atomic<uint64_t> arp_replies{0};
  std::atomic<uint64_t> arp_requests{0};
  std::atomic<uint64_t> icmp_replies{0};
};

struct PortStats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_missed = 0, rx_errors = 0, tx_errors = 0,
           rx_no_mbuf = 0;
};

class DpdkPort {
 public:
  // EAL must be up. Configures and starts the port.
  static absl::StatusOr<std::unique_ptr<DpdkPort>> Start(const PortOptions& options);
  ~DpdkPort();  // stops and closes the port; the workers must be stopped
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  // The packet I/O of media worker `worker` (0 .. workers-1).
  std::unique_ptr<media::PacketIo> MakeWorkerIo(int worker);

  PortStats stats() const;
  const QueueCounters& queue(int worker) const { return *queues_[static_cast<size_t>(worker)]; }
  int workers() const { return options_.workers; }
  int rx_queues() const { return rx_queues_; }
  int tx_queues() const { return tx_queues_; }
  const MacAddress& mac() const { return mac_; }
  uint32_t mbufs() const { return mbufs_; }
  uint16_t port_id() const { return port_id_; }
  const PortOptions& options() const { return options_; }

 private:
  friend class DpdkPacketIo;
  explicit DpdkPort(const PortOptions& options) : options_(options) {}

  PortOptions options_;
  uint16_t port_id_ = 0;
  bool started_ = false;
  MacAddress mac_;
  rte_mempool* pool_ = nullptr;
  uint32_t mbufs_ = 0;
  int rx_queues_ = 1;
  int tx_queues_ = 1;
  bool rx_checksum_offload_ = false;
  std::vector<rte_ring*> rings_;  // one per worker: datagrams others received for it
  std::vector<std::unique_ptr<QueueCounters>> queues_;
  // Owner worker of each local UDP port (kNoOwner: nobody).
  static constexpr uint8_t kNoOwner = 0xFF;
  std::array<std::atomic<uint8_t>, 65536> owner_{};
  ArpTable arp_;
  // When workers outnumber TX queues they share them under this lock.
  std::vector<std::unique_ptr<std::atomic_flag>> tx_locks_;
};

}  // namespace tutti::dpdk
