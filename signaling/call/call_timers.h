// Timers as call control uses them: the control thread's EventLoop in the
// daemon, a manual clock in the unit tests (no waiting on wall time).
#pragma once

#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "common/event_loop.h"

namespace tutti {

class CallTimers {
 public:
  using TimerId = EventLoop::TimerId;  // 0 is never a timer

  virtual ~CallTimers() = default;
  // Runs `callback` once after `delay`; the callback may cancel or add timers.
  virtual TimerId Add(absl::Duration delay, std::function<void()> callback) = 0;
  // A no-op for 0 and for timers that ran or were cancelled.
  virtual void Cancel(TimerId id) = 0;
  virtual absl::Time Now() const = 0;
};

class LoopTimers final : public CallTimers {
 public:
  explicit LoopTimers(EventLoop* loop) : loop_(loop) {}
  TimerId Add(absl::Duration delay, std::function<void()> callback) override {
    return loop_->AddTimer(delay, std::move(callback));
  }
  void Cancel(TimerId id) override { loop_->CancelTimer(id); }
  absl::Time Now() const override { return loop_->Now(); }

 private:
  EventLoop* loop_;
};

}  // namespace tutti
