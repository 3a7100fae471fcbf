#include "dpdk/dpdk_port.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpdk/dpdk_packet_io.h"

namespace tutti::dpdk {

namespace {

std::atomic<bool> eal_started{false};

uint32_t NextPowerOfTwoMinusOne(uint32_t n) {
  uint32_t size = 1;
  while (size - 1 < n) size <<= 1;
  return size - 1;  // mempools are most efficient at 2^k - 1
}

}  // namespace

absl::Status StartEal(const std::vector<std::string>& args) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (eal_started.load()) return absl::OkStatus();
  std::vector<std::string> owned = {"tuttid"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : owned) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(owned.size()), argv.data()) < 0) {
    return absl::InternalError(absl::StrCat("rte_eal_init failed: ", rte_strerror(rte_errno),
                                            " (EAL arguments: ", absl::StrJoin(args, " "), ")"));
  }
  eal_started.store(true);
  return absl::OkStatus();
}

bool EalStarted() { return eal_started.load(); }

void StopEal() {
  if (!eal_started.exchange(false)) return;
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ignored;
  std::filesystem::remove_all(runtime_dir, ignored);
}

absl::StatusOr<std::unique_ptr<DpdkPort>> DpdkPort::Start(const PortOptions& options) {
  if (!EalStarted()) return absl::FailedPreconditionError("EAL is not started");
  if (options.workers < 1 || options.workers >= kNoOwner) {
    return absl::InvalidArgumentError(absl::StrCat("workers must be 1-", kNoOwner - 1));
  }
  if (rte_eth_dev_count_avail() == 0) {
    // A vdev that fails to probe leaves EAL up with no port at all.
    return absl::NotFoundError(
        "DPDK found no Ethernet port: check the EAL arguments (--vdev=..., -a <PCI>) and that "
        "the device is bound to a DPDK-capable driver");
  }
  std::unique_ptr<DpdkPort> port(new DpdkPort(options));
  for (auto& owner : port->owner_) owner.store(kNoOwner, std::memory_order_relaxed);

  if (options.device.empty()) {
    port->port_id_ = static_cast<uint16_t>(rte_eth_find_next(0));
  } else if (rte_eth_dev_get_port_by_name(options.device.c_str(), &port->port_id_) != 0) {
    return absl::NotFoundError(absl::StrCat("no DPDK port named \"", options.device, "\""));
  }
  const uint16_t id = port->port_id_;
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) {
    return absl::InternalError(absl::StrCat("rte_eth_dev_info_get: ", rte_strerror(-rc)));
  }
  port->rx_queues_ = std::clamp<int>(options.workers, 1, std::max<int>(info.max_rx_queues, 1));
  port->tx_queues_ = std::clamp<int>(options.workers, 1, std::max<int>(info.max_tx_queues, 1));

  rte_eth_conf conf{};
  if (port->rx_queues_ > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_UDP) != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_UDP;
  } else {
    port->rx_queues_ = 1;  // without RSS the other queues would stay empty
  }
  if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM) == RTE_ETH_RX_OFFLOAD_CHECKSUM) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM;
    port->rx_checksum_offload_ = true;
  }
  if (int rc = rte_eth_dev_configure(id, static_cast<uint16_t>(port->rx_queues_),
                                     static_cast<uint16_t>(port->tx_queues_), &conf);
      rc != 0) {
    return absl::InternalError(absl::StrCat("rte_eth_dev_configure: ", rte_strerror(-rc)));
  }
  uint16_t rx_descriptors = options.rx_descriptors;
  uint16_t tx_descriptors = options.tx_descriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_descriptors, &tx_descriptors);

  // The pool covers every place an mbuf can wait: the RX and TX rings, the
  // hand-over rings, a burst per worker, and a packet or two per
  // participant in flight.
  const int socket = rte_eth_dev_socket_id(id) < 0 ? 0 : rte_eth_dev_socket_id(id);
  uint32_t wanted = options.mbufs;
  if (wanted == 0) {
    wanted = static_cast<uint32_t>(rx_descriptors) * static_cast<uint32_t>(port->rx_queues_) +
             static_cast<uint32_t>(tx_descriptors) * static_cast<uint32_t>(port->tx_queues_) +
             options.worker_ring_size * static_cast<uint32_t>(options.workers) +
             static_cast<uint32_t>(options.workers) * 2 * 64 +
             static_cast<uint32_t>(options.max_participants) * 4;
  }
  port->mbufs_ = NextPowerOfTwoMinusOne(wanted);
  const std::string pool_name = absl::StrCat("tutti_pool_", id);
  port->pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), port->mbufs_, 256, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (port->pool_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("mbuf pool of ", port->mbufs_,
                                                     " mbufs: ", rte_strerror(rte_errno),
                                                     " (give EAL more memory: -m)"));
  }
  for (int q = 0; q < port->rx_queues_; ++q) {
    if (int rc = rte_eth_rx_queue_setup(id, static_cast<uint16_t>(q), rx_descriptors,
                                        static_cast<unsigned>(socket), nullptr, port->pool_);
        rc != 0) {
      return absl::InternalError(absl::StrCat("rx queue ", q, ": ", rte_strerror(-rc)));
    }
  }
  for (int q = 0; q < port->tx_queues_; ++q) {
    if (int rc = rte_eth_tx_queue_setup(id, static_cast<uint16_t>(q), tx_descriptors,
                                        static_cast<unsigned>(socket), nullptr);
        rc != 0) {
      return absl::InternalError(absl::StrCat("tx queue ", q, ": ", rte_strerror(-rc)));
    }
    port->tx_locks_.push_back(std::make_unique<std::atomic_flag>());
  }
  for (int w = 0; w < options.workers; ++w) {
    const std::string ring_name = absl::StrCat("tutti_p", id, "_w", w);
    // Many producers (any worker's RX), one consumer (the owner): HTS
    // enqueue, because default multi-producer rings stall when threads
    // outnumber cores (docs/BUILD-NOTES.md).
    rte_ring* ring = rte_ring_create(ring_name.c_str(), options.worker_ring_size, socket,
                                     RING_F_MP_HTS_ENQ | RING_F_SC_DEQ);
    if (ring == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ring ", ring_name, ": ", rte_strerror(rte_errno)));
    }
    port->rings_.push_back(ring);
    port->queues_.push_back(std::make_unique<QueueCounters>());
  }
  if (options.gateway != 0 && options.gateway_mac) {
    port->arp_.SetStatic(options.gateway, *options.gateway_mac);
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(id, &mac);
  std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), port->mac_.bytes.begin());
  if (int rc = rte_eth_dev_start(id); rc != 0) {
    return absl::InternalError(absl::StrCat("rte_eth_dev_start: ", rte_strerror(-rc)));
  }
  port->started_ = true;
  return port;
}

DpdkPort::~DpdkPort() {
  if (started_) {
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
  }
  for (rte_ring* ring : rings_) {
    void* left = nullptr;
    while (rte_ring_dequeue(ring, &left) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(left));
    rte_ring_free(ring);
  }
  if (pool_ != nullptr) rte_mempool_free(pool_);
}

std::unique_ptr<media::PacketIo> DpdkPort::MakeWorkerIo(int worker) {
  return std::make_unique<DpdkPacketIo>(this, worker);
}

PortStats DpdkPort::stats() const {
  rte_eth_stats stats{};
  PortStats out;
  if (rte_eth_stats_get(port_id_, &stats) != 0) return out;
  out.rx_packets = stats.ipackets;
  out.tx_packets = stats.opackets;
  out.rx_missed = stats.imissed;
  out.rx_errors = stats.ierrors;
  out.tx_errors = stats.oerrors;
  out.rx_no_mbuf = stats.rx_nombuf;
  return out;
}

}  // namespace tutti::dpdk
