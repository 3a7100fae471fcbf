#include "server/descriptor_budget.h"

namespace tutti {

uint64_t DescriptorBudget::calls_that_fit() const {
  if (limit <= margin + connections) return 0;
  return (limit - margin - connections) / 2;
}

DescriptorBudget PlanDescriptors(const Config& config, uint64_t soft_limit) {
  DescriptorBudget budget;
  const uint64_t stream_transports = (config.sip.tcp ? 1 : 0) + (config.sip.tls ? 1 : 0);
  budget.connections = stream_transports * static_cast<uint64_t>(config.sip.max_tcp_connections);
  // The control API's connections ([api] max_connections) are descriptors too.
  if (config.api.enabled) budget.connections += static_cast<uint64_t>(config.api.max_connections);
  // An RTP/RTCP pair is two sockets; the range's pairs (even first port).
  if (config.media.backend == "kernel") {
    const uint64_t first = config.media.rtp_port_min + (config.media.rtp_port_min % 2);
    const uint64_t pairs =
        config.media.rtp_port_max >= first + 1 ? (config.media.rtp_port_max - first + 1) / 2 : 0;
    budget.media_sockets = 2 * pairs;
  }
  budget.margin = kDescriptorMargin;
  budget.limit = soft_limit;
  return budget;
}

}  // namespace tutti
