// A build without DPDK (TUTTI_DPDK=OFF): tutti-load's media stays on the kernel.
#include "bench/tutti_load/media_transport.h"

namespace tutti::load {

absl::StatusOr<std::unique_ptr<MediaTransport>> OpenDpdkTransport(const DpdkMediaOptions&) {
  return absl::UnimplementedError("this tutti-load was built without DPDK (TUTTI_DPDK=OFF)");
}

}  // namespace tutti::load
