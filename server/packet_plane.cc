#include "server/packet_plane.h"

#include "absl/status/status.h"
#include "common/log.h"
#include "mediaplane/kernel_socket_io.h"
#include "mediaplane/uring_socket_io.h"

namespace tutti {

namespace {

// Kernel sockets driven by io_uring ([media] kernel_io = "uring"): each
// worker gets its own ring. A worker whose ring cannot be made (out of
// memory, say) uses epoll and says so; the others keep io_uring.
class UringPlane : public PacketPlane {
 public:
  IoFactory io_factory() override {
    return [](int worker) -> std::unique_ptr<media::PacketIo> {
      absl::StatusOr<std::unique_ptr<media::UringSocketIo>> made = media::UringSocketIo::Create();
      if (made.ok()) return std::move(*made);
      LogWarn("tuttid", "media worker uses epoll: io_uring failed")
          .With("worker", worker)
          .With("error", made.status().ToString());
      return std::make_unique<media::KernelSocketIo>();
    };
  }
};

// "uring" when a ring can be made now (the kernel has what it needs, no
// seccomp filter or io_uring_disabled sysctl refuses it); else epoll.
std::unique_ptr<PacketPlane> StartKernelPlane(const Config& config) {
  if (config.media.kernel_io == "uring") {
    absl::StatusOr<std::unique_ptr<media::UringSocketIo>> probe = media::UringSocketIo::Create();
    if (probe.ok()) {
      LogInfo("tuttid", "media sockets use io_uring");
      return std::make_unique<UringPlane>();
    }
    LogWarn("tuttid", "media sockets use epoll: io_uring is not available")
        .With("error", probe.status().ToString());
  }
  return std::make_unique<PacketPlane>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PacketPlane>> PacketPlane::Start(const Config& config) {
  if (config.media.backend != "dpdk") return StartKernelPlane(config);
#if TUTTI_WITH_DPDK
  return StartDpdkPlane(config);
#else
  return absl::FailedPreconditionError(
      "media.backend = \"dpdk\", but this tuttid was built without DPDK "
      "(cmake -DTUTTI_DPDK=ON, with libdpdk-dev installed)");
#endif
}

}  // namespace tutti
