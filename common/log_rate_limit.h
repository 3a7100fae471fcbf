// A cap on how often one place in the code may write a log line.
//
// Lines an attacker can trigger (a refused connection, a malformed request, a
// wrong PIN, a failed handshake) would otherwise let anyone fill the disk and
// drown the lines that matter. Each such place keeps one LogRateLimit: up to
// `burst` lines at once, `per_second` after that; the first line allowed after
// some were held back carries how many (the counters in /metrics stay exact).
//
//   static LogRateLimit limit(5, 20);
//   if (uint64_t held; limit.Allow(&held)) LogWarn("sip", "...").With("suppressed", held);
#pragma once

#include <cstdint>
#include <mutex>

namespace tutti {

class LogRateLimit {
 public:
  LogRateLimit(double per_second, double burst);

  // True when a line may be written now; *suppressed gets the number of lines
  // refused since the last allowed one. Safe from any thread.
  bool Allow(uint64_t* suppressed);
  // The same at a given monotonic time, for tests.
  bool AllowAt(int64_t now_us, uint64_t* suppressed);

 private:
  std::mutex mutex_;
  const double per_second_;
  const double burst_;
  double tokens_;
  int64_t last_us_ = -1;
  uint64_t suppressed_ = 0;
};

}  // namespace tutti
