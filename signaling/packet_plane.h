// tuttid's packet plane, chosen by [media] backend: kernel sockets (the
// default: nothing to start) or a DPDK port. Only tuttid knows both; the
// workers see a PacketIo either way.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/port_allocator.h"
#include "signaling/api/metrics_text.h"
#include "signaling/config/config.h"

namespace tutti {

namespace dpdk {
class DpdkPort;
}

class PacketPlane {
 public:
  // Starts EAL and the port for "dpdk"; nothing for "kernel".
  static absl::StatusOr<std::unique_ptr<PacketPlane>> Start(const Config& config);
  ~PacketPlane();

  // Each worker's PacketIo; empty for kernel sockets (the pool's default).
  std::function<std::unique_ptr<media::PacketIo>(int worker)> io_factory();
  // DPDK owns the media address: no socket is bound for a media port.
  media::PortAllocator::Mode port_mode() const;
  // Port and per-queue counters for /metrics (nothing for kernel sockets,
  // whose counters the workers report).
  void RenderMetrics(api::MetricsText& m) const;

 private:
  PacketPlane() = default;
  std::unique_ptr<dpdk::DpdkPort> port_;
};

}  // namespace tutti
