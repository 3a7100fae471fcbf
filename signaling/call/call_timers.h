// Timers as call control uses them: the control thread's EventLoop in the
// daemon, a manual clock in the unit tests (no waiting on wall time).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

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

// A timer that belongs to one thing (a call's digit timeout, say):
// starting it again replaces the pending one, and it is cancelled with its
// owner, so its callback never runs for something that is gone.
class OwnedTimer {
 public:
  OwnedTimer() = default;
  ~OwnedTimer() { Cancel(); }
  OwnedTimer(const OwnedTimer&) = delete;
  OwnedTimer& operator=(const OwnedTimer&) = delete;

  // The callback may destroy the timer's owner.
  void Start(CallTimers* timers, absl::Duration delay, std::function<void()> callback) {
    Cancel();
    timers_ = timers;
    id_ = timers_->Add(delay, [this, callback = std::move(callback)] {
      id_ = 0;
      callback();
    });
  }
  void Cancel() {
    if (id_ != 0) timers_->Cancel(std::exchange(id_, 0));
  }
  bool pending() const { return id_ != 0; }

 private:
  CallTimers* timers_ = nullptr;
  CallTimers::TimerId id_ = 0;
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
