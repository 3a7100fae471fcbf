#include "server/packet_plane.h"

#include "absl/status/status.h"

namespace tutti {

absl::StatusOr<std::unique_ptr<PacketPlane>> PacketPlane::Start(const Config& config) {
  if (config.media.backend != "dpdk") return std::make_unique<PacketPlane>();
#if TUTTI_WITH_DPDK
  return StartDpdkPlane(config);
#else
  return absl::FailedPreconditionError(
      "media.backend = \"dpdk\", but this tuttid was built without DPDK "
      "(cmake -DTUTTI_DPDK=ON, with libdpdk-dev installed)");
#endif
}

}  // namespace tutti
