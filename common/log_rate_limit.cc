#include "common/log_rate_limit.h"

#include <time.h>

#include <algorithm>

namespace tutti {

LogRateLimit::LogRateLimit(double per_second, double burst)
    : per_second_(per_second), burst_(burst), tokens_(burst) {}

bool LogRateLimit::Allow(uint64_t* suppressed) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return AllowAt(int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000, suppressed);
}

bool LogRateLimit::AllowAt(int64_t now_us, uint64_t* suppressed) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_us_ >= 0 && now_us > last_us_) {
    tokens_ =
        std::min(burst_, tokens_ + per_second_ * static_cast<double>(now_us - last_us_) / 1e6);
  }
  if (now_us > last_us_) last_us_ = now_us;
  if (tokens_ < 1.0) {
    ++suppressed_;
    return false;
  }
  tokens_ -= 1.0;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace tutti
