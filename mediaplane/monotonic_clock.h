// The monotonic clock (CLOCK_MONOTONIC, which std::chrono::steady_clock is
// on Linux) as plain integers: what the packet planes and tutti-load time
// waits and arrivals with.
#pragma once

#include <chrono>
#include <cstdint>

namespace tutti::media {

inline int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t MonotonicMicros() { return MonotonicNanos() / 1000; }

}  // namespace tutti::media
