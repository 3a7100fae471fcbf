// The DPDK path of tutti-load's audio: the same packet plane tuttid uses
// (dpdk/DpdkPort with one worker queue), so tutti-load builds its own
// Ethernet/IPv4/UDP frames, answers the server's ARP and resolves the
// server's MAC itself. Receiving is a poll: the arrival time of a datagram
// is the steady clock read right after the burst that held it came off the
// port (one reading per burst of up to 64), which over a shared-memory
// link such as net_memif is within a poll of when the server sent it.
#include <arpa/inet.h>
#include <rte_ethdev.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/tutti_load/media_transport.h"
#include "dpdk/dpdk_port.h"
#include "mediaplane/monotonic_clock.h"
#include "mediaplane/packet_io.h"

namespace tutti::load {
namespace {

unsigned long long U(uint64_t n) { return static_cast<unsigned long long>(n); }

class DpdkTransport final : public MediaTransport {
 public:
  DpdkTransport(std::unique_ptr<dpdk::DpdkPort> port, std::string address, uint16_t udp_port)
      : port_(std::move(port)),
        io_(port_->MakeWorkerIo(0)),
        address_(std::move(address)),
        udp_port_(udp_port) {
    io_->AttachPort(udp_port_, -1);
    for (size_t i = 0; i < kBatch; ++i) out_[i].data = out_buffers_[i].data();
  }
  ~DpdkTransport() override {
    // What the port did, for a run that lost packets on the way.
    const dpdk::PortStats stats = port_->stats();
    const dpdk::QueueCounters& queue = port_->queue(0);
    std::fprintf(stderr,
                 "tutti-load: DPDK port: rx %llu tx %llu missed %llu no-mbuf %llu | delivered %llu "
                 "sent %llu tx drops %llu unresolved %llu not ours %llu malformed %llu bad "
                 "checksum %llu | ARP replies %llu requests %llu\n",
                 U(stats.rx_packets), U(stats.tx_packets), U(stats.rx_missed), U(stats.rx_no_mbuf),
                 U(queue.delivered.load()), U(queue.tx.load()), U(queue.tx_drops.load()),
                 U(queue.unresolved.load()), U(queue.not_ours.load()), U(queue.malformed.load()),
                 U(queue.bad_checksum.load()), U(queue.arp_replies.load()),
                 U(queue.arp_requests.load()));
    io_.reset();
    port_.reset();
    dpdk::StopEal();  // removes EAL's runtime directory
  }

  const std::string& address() const override { return address_; }
  uint16_t port() const override { return udp_port_; }
  uint8_t* next_out() override { return out_buffers_[out_count_].data(); }
  bool busy_poll() const override { return true; }

  bool Queue(size_t length, const sockaddr_in& to) override {
    media::Datagram& datagram = out_[out_count_];
    datagram.local_port = udp_port_;
    datagram.remote = media::Endpoint(ntohl(to.sin_addr.s_addr), ntohs(to.sin_port));
    datagram.size = static_cast<uint16_t>(length);
    return ++out_count_ == kBatch;
  }

  size_t Flush() override {
    const int sent = io_->Send(std::span<const media::Datagram>(out_.data(), out_count_));
    out_count_ = 0;
    return static_cast<size_t>(sent);
  }

  // At most kMaxBursts bursts a call: the run loop polls again at once, and
  // a tool that falls behind a server still sending keeps its send
  // schedule instead of draining forever.
  size_t Drain(OnDatagram fn) override {
    size_t count = 0;
    for (int burst = 0; burst < kMaxBursts; ++burst) {
      const int n = io_->Receive(in_, 0);
      if (n <= 0) return count;
      count += static_cast<size_t>(n);
      const int64_t now_us = media::MonotonicMicros();
      for (int i = 0; i < n; ++i) {
        const media::Datagram& datagram = in_[static_cast<size_t>(i)];
        fn(std::span<const uint8_t>(datagram.data, datagram.size), datagram.remote.port, now_us);
      }
    }
    return count;
  }

 private:
  static constexpr size_t kBatch = 64;
  static constexpr int kMaxBursts = 16;

  std::unique_ptr<dpdk::DpdkPort> port_;
  std::unique_ptr<media::PacketIo> io_;
  const std::string address_;
  const uint16_t udp_port_;
  std::array<std::array<uint8_t, media::kMaxDatagramBytes>, kBatch> out_buffers_{};
  std::array<media::Datagram, kBatch> out_{};
  size_t out_count_ = 0;
  std::array<media::Datagram, kBatch> in_{};
};

}  // namespace

absl::StatusOr<std::unique_ptr<MediaTransport>> OpenDpdkTransport(const DpdkMediaOptions& options) {
  in_addr address{};
  if (inet_pton(AF_INET, options.address.c_str(), &address) != 1) {
    return absl::InvalidArgumentError("--dpdk_ip must be an IPv4 address");
  }
  if (options.prefix_length < 1 || options.prefix_length > 32) {
    return absl::InvalidArgumentError("--dpdk_prefix_length must be 1..32");
  }
  const std::vector<std::string> args =
      absl::StrSplit(options.eal_args, ' ', absl::SkipWhitespace());
  if (absl::Status started = dpdk::StartEal(args); !started.ok()) return started;
  dpdk::PortOptions port_options;
  port_options.device = options.device;
  port_options.address = ntohl(address.s_addr);
  port_options.netmask = ~uint32_t{0} << (32 - options.prefix_length);
  port_options.workers = 1;
  port_options.rx_descriptors = 4096;
  port_options.tx_descriptors = 4096;
  // Few packets wait in tutti-load: the rings and a few bursts.
  port_options.max_participants = 4096;
  // The server's frames come over shared memory (net_memif): verifying
  // their UDP checksums would only cost tutti-load time it needs at
  // 1 M packets/s. Its own frames carry checksums, which tuttid verifies.
  port_options.verify_checksums = false;
  // tuttid does not poll while it mixes a tick, and the tool sends a
  // quarter of its participants at once: rather wait for room in the ring
  // (its lag shows it) than lose its own frames.
  port_options.tx_wait_us = 2000;
  absl::StatusOr<std::unique_ptr<dpdk::DpdkPort>> port = dpdk::DpdkPort::Start(port_options);
  if (!port.ok()) {
    dpdk::StopEal();
    return port.status();
  }
  // net_memif's link comes up when the peer (tuttid, the server role) has
  // connected: calls placed before that would lose their first packets.
  const int64_t deadline =
      media::MonotonicMicros() + static_cast<int64_t>(options.link_timeout_s * 1e6);
  rte_eth_link link{};
  while (rte_eth_link_get_nowait((*port)->port_id(), &link) == 0 &&
         link.link_status != RTE_ETH_LINK_UP && media::MonotonicMicros() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (link.link_status != RTE_ETH_LINK_UP) {
    port->reset();
    dpdk::StopEal();
    return absl::UnavailableError(
        absl::StrCat("the DPDK port's link did not come up in ", options.link_timeout_s,
                     " s (is the peer, e.g. tuttid on the other end of the memif, running?)"));
  }
  return std::make_unique<DpdkTransport>(*std::move(port), options.address, options.port);
}

}  // namespace tutti::load
