// How busy a media worker is, as the operator's console shows it: the time
// its ticks take, smoothed over about a second, so that a glance shows the
// load and not one tick's spike (the histogram in /metrics has the spikes).
#pragma once

#include <cstdint>

namespace tutti::mixer {

// Ticks the average reaches about 63% of a step in: 50 ticks, one second.
inline constexpr int kTickLoadSmoothingTicks = 50;

// The next smoothed tick time from the previous one and this tick's
// (nanoseconds): an exponential moving average, started by the first tick
// (`previous` negative) rather than pulled up from zero.
inline double SmoothTickNs(double previous, double took_ns) {
  if (previous < 0) return took_ns;
  return previous + (took_ns - previous) / kTickLoadSmoothingTicks;
}

}  // namespace tutti::mixer
