// When a worker under pressure sheds encoder cost, and when it takes it
// back (issue 20): above `shed_load` of its core (the smoothed load,
// tick_load.h) one level up, below `restore_load` one level down, at most
// one step per interval so a step shows its effect in the load before the
// next. Between the two thresholds it holds (hysteresis). The levels are
// AudioEncoder::SetCostLevel's (0: full quality). Pure: the worker passes
// the time and the load.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tutti::mixer {

class ShedPolicy {
 public:
  static constexpr int kMaxLevel = 3;  // Opus: complexity 3, 1, then FEC only on lossy paths
  static constexpr int64_t kStepIntervalUs = 1'000'000;

  // shed_load 0 (or less) disables shedding; a restore_load above
  // shed_load is taken as shed_load. The first step may come an interval
  // after `start_us` (the load needs that long to mean something).
  ShedPolicy(double shed_load, double restore_load, int64_t start_us)
      : shed_load_(shed_load),
        restore_load_(std::min(restore_load, shed_load)),
        last_step_us_(start_us) {}

  // +1, -1 or 0: the step to take now (already applied to level()).
  int Update(int64_t now_us, double load) {
    if (shed_load_ <= 0 || now_us - last_step_us_ < kStepIntervalUs) return 0;
    int step = 0;
    if (load > shed_load_ && level_ < kMaxLevel) {
      step = 1;
    } else if (load < restore_load_ && level_ > 0) {
      step = -1;
    }
    if (step != 0) {
      level_ += step;
      last_step_us_ = now_us;
    }
    return step;
  }

  int level() const { return level_; }

 private:
  double shed_load_;
  double restore_load_;
  int64_t last_step_us_;
  int level_ = 0;
};

}  // namespace tutti::mixer
