// A participant's camera bit rates for the control API: the worker reports
// byte counters (ParticipantStats video_bytes_*) every few seconds; the rate
// is what two reports differ by over the time between them.
#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace tutti {

class VideoRates {
 public:
  // One report's counters, as of `now` (the control thread's clock).
  void OnReport(uint64_t bytes_in, uint64_t bytes_out, absl::Time now);
  // Kilobits per second between the last two reports; 0 before the second.
  uint32_t kbps_in() const { return kbps_in_; }
  uint32_t kbps_out() const { return kbps_out_; }

 private:
  bool have_report_ = false;
  uint64_t last_in_ = 0;
  uint64_t last_out_ = 0;
  absl::Time last_time_;
  uint32_t kbps_in_ = 0;
  uint32_t kbps_out_ = 0;
};

}  // namespace tutti
