// The DPDK packet plane: EAL, one port, a queue pair per worker, and the
// port's counters for /metrics. Built only with TUTTI_DPDK.
#include <arpa/inet.h>

#include <string>

#include "common/log.h"
#include "common/strings.h"
#include "dpdk/dpdk_port.h"
#include "server/packet_plane.h"

namespace tutti {

namespace {

uint32_t ParseIpv4(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ? ntohl(address.s_addr) : 0;
}

class DpdkPlane : public PacketPlane {
 public:
  explicit DpdkPlane(std::unique_ptr<dpdk::DpdkPort> port) : port_(std::move(port)) {}
  ~DpdkPlane() override {
    port_.reset();
    dpdk::StopEal();
  }

  IoFactory io_factory() override {
    dpdk::DpdkPort* port = port_.get();
    return [port](int worker) { return port->MakeWorkerIo(worker); };
  }
  media::PortAllocator::Mode port_mode() const override {
    return media::PortAllocator::Mode::kNumbersOnly;
  }
  void RenderMetrics(api::MetricsText& m) const override;

 private:
  std::unique_ptr<dpdk::DpdkPort> port_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PacketPlane>> StartDpdkPlane(const Config& config) {
  if (absl::Status s = dpdk::StartEal(config.dpdk.eal_args); !s.ok()) return s;
  dpdk::PortOptions options;
  options.device = config.dpdk.port;
  options.address = ParseIpv4(config.media.address);
  options.netmask =
      config.dpdk.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - config.dpdk.prefix_length);
  options.gateway = config.dpdk.gateway.empty() ? 0 : ParseIpv4(config.dpdk.gateway);
  if (!config.dpdk.gateway_mac.empty()) {
    options.gateway_mac = dpdk::MacAddress::Parse(config.dpdk.gateway_mac);
    if (!options.gateway_mac) {
      return absl::InvalidArgumentError(
          StrCat("dpdk.gateway_mac \"", config.dpdk.gateway_mac, "\" is not a MAC address"));
    }
  }
  options.vlan = static_cast<uint16_t>(config.dpdk.vlan);
  options.workers = config.media.workers;
  options.rx_descriptors = static_cast<uint16_t>(config.dpdk.rx_descriptors);
  options.tx_descriptors = static_cast<uint16_t>(config.dpdk.tx_descriptors);
  options.mbufs = static_cast<uint32_t>(config.dpdk.mbufs);
  options.idle_sleep_us = config.dpdk.idle_sleep_us;
  options.max_participants = config.limits.max_calls;
  absl::StatusOr<std::unique_ptr<dpdk::DpdkPort>> port = dpdk::DpdkPort::Start(options);
  if (!port.ok()) return port.status();
  const dpdk::DpdkPort& started = **port;
  LogInfo("tuttid", "DPDK port started")
      .With("port", config.dpdk.port.empty() ? std::string("(first)") : config.dpdk.port)
      .With("mac", started.mac().ToString())
      .With("address", config.media.address)
      .With("rx_queues", started.rx_queues())
      .With("tx_queues", started.tx_queues())
      .With("mbufs", static_cast<int64_t>(started.mbufs()));
  return std::make_unique<DpdkPlane>(std::move(*port));
}

void DpdkPlane::RenderMetrics(api::MetricsText& m) const {
  const dpdk::PortStats port = port_->stats();
  const api::Labels at_port = {{"port", std::to_string(port_->port_id())}};
  auto family = [&](const char* name, const char* help, double value) {
    m.Family(name, "counter", help);
    m.Sample(name, value, at_port);
  };
  family("tutti_dpdk_rx_packets_total", "Frames the DPDK port received.",
         static_cast<double>(port.rx_packets));
  family("tutti_dpdk_tx_packets_total", "Frames the DPDK port sent.",
         static_cast<double>(port.tx_packets));
  family("tutti_dpdk_rx_missed_total", "Frames the NIC dropped: RX queues full.",
         static_cast<double>(port.rx_missed));
  family("tutti_dpdk_rx_errors_total", "Erroneous frames received.",
         static_cast<double>(port.rx_errors));
  family("tutti_dpdk_tx_errors_total", "Frames the NIC failed to send.",
         static_cast<double>(port.tx_errors));
  family("tutti_dpdk_rx_no_mbuf_total", "Frames lost for want of an mbuf.",
         static_cast<double>(port.rx_no_mbuf));

  struct QueueFamily {
    const char* name;
    const char* help;
    const std::atomic<uint64_t> dpdk::QueueCounters::*field;
  };
  static constexpr QueueFamily kQueueFamilies[] = {
      {"tutti_dpdk_queue_rx_total", "Frames taken from the worker's RX queue.",
       &dpdk::QueueCounters::rx},
      {"tutti_dpdk_queue_handed_over_total", "Datagrams passed to the worker that owns their port.",
       &dpdk::QueueCounters::handed_over},
      {"tutti_dpdk_queue_ring_drops_total", "Datagrams dropped: the owner's ring was full.",
       &dpdk::QueueCounters::ring_drops},
      {"tutti_dpdk_queue_delivered_total", "Datagrams given to the worker's participants.",
       &dpdk::QueueCounters::delivered},
      {"tutti_dpdk_queue_tx_total", "Frames sent on the worker's TX queue.",
       &dpdk::QueueCounters::tx},
      {"tutti_dpdk_queue_tx_drops_total", "Frames not sent: NIC ring full or no mbuf.",
       &dpdk::QueueCounters::tx_drops},
      {"tutti_dpdk_queue_unresolved_total", "Datagrams dropped: next hop's MAC not known yet.",
       &dpdk::QueueCounters::unresolved},
      {"tutti_dpdk_queue_not_ipv4_total", "Datagrams dropped: to an IPv6 peer (IPv4-only plane).",
       &dpdk::QueueCounters::not_ipv4},
      {"tutti_dpdk_queue_not_ours_total",
       "Frames dropped: other protocols, addresses or unowned ports.",
       &dpdk::QueueCounters::not_ours},
      {"tutti_dpdk_queue_malformed_total", "Frames dropped as malformed.",
       &dpdk::QueueCounters::malformed},
      {"tutti_dpdk_queue_fragments_total", "IPv4 fragments dropped.",
       &dpdk::QueueCounters::fragments},
      {"tutti_dpdk_queue_bad_checksum_total", "Frames dropped for a wrong checksum.",
       &dpdk::QueueCounters::bad_checksum},
      {"tutti_dpdk_queue_arp_replies_total", "ARP requests for the media address answered.",
       &dpdk::QueueCounters::arp_replies},
      {"tutti_dpdk_queue_arp_requests_total", "ARP requests sent to resolve a next hop.",
       &dpdk::QueueCounters::arp_requests},
      {"tutti_dpdk_queue_icmp_replies_total", "Pings of the media address answered.",
       &dpdk::QueueCounters::icmp_replies},
  };
  for (const QueueFamily& family_info : kQueueFamilies) {
    m.Family(family_info.name, "counter", family_info.help);
    for (int worker = 0; worker < port_->workers(); ++worker) {
      const dpdk::QueueCounters& queue = port_->queue(worker);
      m.Sample(family_info.name,
               static_cast<double>((queue.*family_info.field).load(std::memory_order_relaxed)),
               {{"port", std::to_string(port_->port_id())}, {"queue", std::to_string(worker)}});
    }
  }
}

}  // namespace tutti
