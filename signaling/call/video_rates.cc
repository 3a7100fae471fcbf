#include "signaling/call/video_rates.h"

#include <algorithm>
#include <limits>

namespace tutti {
namespace {

// Counters that went back (a stream the worker began again) count from zero.
uint32_t Kbps(uint64_t before, uint64_t now, double seconds) {
  const uint64_t bytes = now >= before ? now - before : now;
  const double kbps = static_cast<double>(bytes) * 8.0 / 1000.0 / seconds;
  return static_cast<uint32_t>(
      std::min(kbps, static_cast<double>(std::numeric_limits<uint32_t>::max())));
}

}  // namespace

void VideoRates::OnReport(uint64_t bytes_in, uint64_t bytes_out, absl::Time now) {
  if (have_report_) {
    const double seconds = absl::ToDoubleSeconds(now - last_time_);
    // Two reports drained in one go (or a clock that stood still) say nothing of a rate.
    if (seconds <= 0) return;
    kbps_in_ = Kbps(last_in_, bytes_in, seconds);
    kbps_out_ = Kbps(last_out_, bytes_out, seconds);
  }
  have_report_ = true;
  last_in_ = bytes_in;
  last_out_ = bytes_out;
  last_time_ = now;
}

}  // namespace tutti
