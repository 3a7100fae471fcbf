// How many file descriptors a configuration may need (stream connections,
// media sockets, a margin for everything else) against RLIMIT_NOFILE, so
// tuttid can say at start whether it fits instead of failing under load.
#pragma once

#include <cstdint>
#include <string>

#include "server/config/config.h"

namespace tutti {

struct DescriptorBudget {
  uint64_t connections = 0;    // TCP and TLS connections at their limits
  uint64_t media_sockets = 0;  // every port of the RTP range bound (kernel backend)
  uint64_t margin = 0;         // listeners, epoll, logs, records, API, prompts, workers
  uint64_t limit = 0;          // RLIMIT_NOFILE soft limit in force
  uint64_t needed() const { return connections + media_sockets + margin; }
  bool fits() const { return needed() <= limit; }
  // Below the margin alone nothing works for long: refuse to start.
  bool hopeless() const { return limit < margin; }
  // How many calls fit beside the connection limits (each holds 2 sockets).
  uint64_t calls_that_fit() const;
};

// The descriptors everything but connections and media sockets may take.
inline constexpr uint64_t kDescriptorMargin = 64;

DescriptorBudget PlanDescriptors(const Config& config, uint64_t soft_limit);

}  // namespace tutti
