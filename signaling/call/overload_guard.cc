#include "signaling/call/overload_guard.h"

#include <algorithm>

namespace tutti {

OverloadGuard::OverloadGuard(int requests_per_second, int burst, int max_calls)
    : rate_per_second_(requests_per_second),
      burst_(std::max(1, burst)),
      max_calls_(max_calls),
      tokens_(burst_) {}

bool OverloadGuard::AdmitRequest(absl::Time now) {
  if (last_refill_ != absl::InfinitePast()) {
    const double elapsed = absl::ToDoubleSeconds(now - last_refill_);
    if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * rate_per_second_);
  }
  last_refill_ = now;
  if (tokens_ < 1.0) {
    ++requests_refused_;
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

bool OverloadGuard::AdmitCall(int active_calls) {
  if (active_calls >= max_calls_) {
    ++calls_refused_;
    return false;
  }
  return true;
}

}  // namespace tutti
