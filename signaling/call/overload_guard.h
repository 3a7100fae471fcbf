// Load shedding before any work is spent (DESIGN.md "Signaling"): a token
// bucket over new requests and a cap on concurrent calls. What it refuses is
// answered 503 with Retry-After by the caller.
#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace tutti {

class OverloadGuard {
 public:
  OverloadGuard(int requests_per_second, int burst, int max_calls);

  // A request that starts new work (out of dialog, not ACK or CANCEL): takes
  // one token, false when none is left.
  bool AdmitRequest(absl::Time now);
  // A new call on top of `active_calls`.
  bool AdmitCall(int active_calls);

  uint64_t requests_refused() const { return requests_refused_; }
  uint64_t calls_refused() const { return calls_refused_; }

 private:
  double rate_per_second_;
  double burst_;
  int max_calls_;
  double tokens_;
  absl::Time last_refill_ = absl::InfinitePast();
  uint64_t requests_refused_ = 0;
  uint64_t calls_refused_ = 0;
};

}  // namespace tutti
