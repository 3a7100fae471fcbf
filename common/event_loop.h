// The control thread's event loop (docs/ARCHITECTURE.md, "Threads"): epoll over sockets,
// plus timers, plus work posted from other threads. Nothing in a callback may
// block; everything on the control thread runs from here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/thread_owner.h"

namespace tutti {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t epoll_events)>;
  using TimerId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for EPOLLIN/EPOLLOUT/... (level-triggered). The loop does not own fd.
  absl::Status AddFd(int fd, uint32_t events, FdCallback callback);
  absl::Status ModifyFd(int fd, uint32_t events);
  // Safe from inside any callback, also the fd's own; no callback for fd runs after it.
  void RemoveFd(int fd);

  // Runs callback once, after delay, on the loop thread. Safe from callbacks.
  TimerId AddTimer(absl::Duration delay, std::function<void()> callback);
  // Cancelling a timer that already ran or was cancelled is a no-op.
  void CancelTimer(TimerId id);
  size_t pending_timers() const { return timers_.size(); }

  // Thread-safe: runs work on the loop thread soon.
  void Post(std::function<void()> work);

  // Monotonic time, read once per loop iteration so a batch of events sees one clock.
  absl::Time Now() const { return now_; }

  // Runs until Stop(). Stop() is for the loop thread (post it from elsewhere).
  void Run();
  void Stop() {
    owner_.Check();
    running_ = false;
  }
  // One iteration: waits up to max_wait (or the next timer), handles what is ready.
  void RunOnce(absl::Duration max_wait);

 private:
  struct FdEntry {
    uint32_t generation;
    FdCallback callback;
  };
  absl::Time ReadClock() const;
  void RunDueTimers();
  void DrainPosted();

  // The loop's thread: the first to use it; only Post comes from others.
  [[no_unique_address]] OwnerThread owner_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool running_ = false;
  absl::Time now_;
  uint32_t next_generation_ = 1;
  absl::flat_hash_map<int, std::shared_ptr<FdEntry>> fds_;
  TimerId next_timer_id_ = 1;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_deadlines_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace tutti
