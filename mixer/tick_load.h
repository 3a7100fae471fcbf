// How busy a media worker is. SmoothTickNs: its mixing time per 20 ms,
// smoothed over about a second, so that a glance shows the load and not one
// tick's spike (the histogram in /metrics has the spikes). LoadMeter: the
// share of its core it was busy at all, what placement and shedding read.
#pragma once

#include <algorithm>
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

namespace tutti::mixer {

// The share of its core a worker was busy (issue 20): wall time minus the
// time its packet I/O waited idle (PacketIo::idle_ns: a blocking wait with
// nothing to do, or DPDK's empty polls), over windows of 100 ms, smoothed
// so that a step reaches about 90% of its new level within a second.
// Placement, admission and shedding read it; no clock of its own.
class LoadMeter {
 public:
  static constexpr int64_t kWindowNs = 100'000'000;
  static constexpr double kSmoothing = 0.2;  // per window

  // Feeds the clock and the I/O's cumulative idle time; true when a window
  // closed (load() changed).
  bool Update(int64_t now_ns, uint64_t idle_ns) {
    if (window_start_ns_ < 0) {
      window_start_ns_ = now_ns;
      window_idle_ns_ = idle_ns;
      return false;
    }
    const int64_t wall = now_ns - window_start_ns_;
    if (wall < kWindowNs) return false;
    const double idle = static_cast<double>(idle_ns - window_idle_ns_);
    double busy = 1.0 - idle / static_cast<double>(wall);
    busy = busy < 0 ? 0 : (busy > 1 ? 1 : busy);
    load_ = load_ < 0 ? busy : load_ + (busy - load_) * kSmoothing;
    window_start_ns_ = now_ns;
    window_idle_ns_ = idle_ns;
    return true;
  }

  // 0..1; 0 until the first window closed.
  double load() const { return load_ < 0 ? 0 : load_; }
  uint32_t permille() const { return static_cast<uint32_t>(load() * 1000 + 0.5); }

 private:
  int64_t window_start_ns_ = -1;
  uint64_t window_idle_ns_ = 0;
  double load_ = -1;
};

}  // namespace tutti::mixer

namespace tutti::mixer {

// What one participant costs a worker (issue 20), so that admission can
// foresee load the LoadMeter has not shown yet. Two gaps make the load now
// a poor guide near the limit: the meter lags about a second, so a ramp of
// 200 calls a second overshoots by a second's worth of calls; and callers
// join quiet (G.711 silence, Opus DTX) and cost more once they talk. Fed
// each LoadMeter window with that window's load and the participants mixed
// in it, it keeps the participants smoothed the same way as the load (so
// load / participants is the cost of the participants the load has seen)
// and the highest such cost seen while the worker was busy enough for the
// fixed costs not to count, decaying with a half-life of two minutes: a
// room that went quiet is expected to talk again, but a worker whose rooms
// changed shape forgets the old cost within minutes.
class ParticipantCostMeter {
 public:
  // Below this load the fixed costs of a worker (its timers, the I/O's
  // wakeups) weigh too much in load / participants to learn the peak from.
  static constexpr double kPeakMinLoad = 0.3;
  // Per 100 ms window: 0.5^(1/1200), a half-life of 1,200 windows.
  static constexpr double kPeakDecay = 0.999422;

  void Update(double load, int participants) {
    const double now = static_cast<double>(participants);
    participants_ = participants_ < 0 ? now : participants_ + (now - participants_) * kSmoothing;
    peak_ *= kPeakDecay;
    if (load >= kPeakMinLoad && participants_ >= 1) peak_ = std::max(peak_, load / participants_);
  }

  // The participants the load was measured with (smoothed like it).
  double measured_participants() const { return participants_ < 0 ? 0 : participants_; }
  // A share of the core per participant: the decaying peak, which is never
  // below what they cost now once the load means anything; 0 until the
  // worker was busy enough.
  double cost() const { return peak_; }

 private:
  static constexpr double kSmoothing = LoadMeter::kSmoothing;
  double participants_ = -1;
  double peak_ = 0;
};

}  // namespace tutti::mixer
