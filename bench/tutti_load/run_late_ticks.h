// The server's late ticks counted for this run of tutti-load. /metrics
// reports them since tuttid started; a progress line that printed that
// total disagreed with the summary (which counts the run's own) on any
// server that had run before. Written by the progress line's /metrics
// thread, read by the load loop: atomics only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace tutti::load {

class RunLateTicks {
 public:
  // The server's total when the run started; without one, the first
  // observed total is taken as the start.
  void Start(int64_t server_total) { start_.store(server_total); }
  // The server's total as /metrics reports it now.
  void Observe(int64_t server_total) {
    int64_t unset = -1;
    start_.compare_exchange_strong(unset, server_total);
    latest_.store(server_total);
  }
  // Late ticks since the run started; -1 before anything was observed.
  int64_t count() const {
    const int64_t latest = latest_.load();
    const int64_t start = start_.load();
    if (latest < 0 || start < 0) return -1;
    return std::max<int64_t>(latest - start, 0);  // a server restarted meanwhile: 0, not < 0
  }

 private:
  std::atomic<int64_t> start_{-1};
  std::atomic<int64_t> latest_{-1};
};

}  // namespace tutti::load
