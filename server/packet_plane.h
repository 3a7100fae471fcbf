// tuttid's packet plane, chosen by [media] backend: kernel sockets (the
// default: epoll is this base class, io_uring a subclass in packet_plane.cc,
// by [media] kernel_io) or a DPDK port
// (dpdk_plane.cc, built only with TUTTI_DPDK). Only tuttid knows both; the
// workers see a PacketIo either way.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/port_allocator.h"
#include "server/api/metrics_text.h"
#include "server/config/config.h"

namespace tutti {

class PacketPlane {
 public:
  using IoFactory = std::function<std::unique_ptr<media::PacketIo>(int worker)>;

  // Starts EAL and the port for "dpdk" (an error naming the build option
  // when this tuttid was built without DPDK); nothing for "kernel".
  static absl::StatusOr<std::unique_ptr<PacketPlane>> Start(const Config& config);
  PacketPlane() = default;
  virtual ~PacketPlane() = default;
  PacketPlane(const PacketPlane&) = delete;
  PacketPlane& operator=(const PacketPlane&) = delete;

  // Each worker's PacketIo; empty for kernel sockets (the pool's default).
  virtual IoFactory io_factory() { return {}; }
  // Kernel sockets bind each media port; DPDK owns the media address, so no
  // socket is bound for a media port there.
  virtual media::PortAllocator::Mode port_mode() const {
    return media::PortAllocator::Mode::kKernelSockets;
  }
  // Port and per-queue counters for /metrics (nothing for kernel sockets,
  // whose counters the workers report).
  virtual void RenderMetrics(api::MetricsText&) const {}
};

// The DPDK plane (dpdk_plane.cc); linked only when tuttid is built with DPDK.
absl::StatusOr<std::unique_ptr<PacketPlane>> StartDpdkPlane(const Config& config);

}  // namespace tutti
