#include "common/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace tutti {
namespace {

constexpr int kWakeFdKey = -1;

uint64_t PackKey(int fd, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

}  // namespace

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = PackKey(kWakeFdKey, 0);
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  now_ = ReadClock();
}

EventLoop::~EventLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Time EventLoop::ReadClock() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::UnixEpoch() + absl::DurationFromTimespec(ts);
}

absl::Status EventLoop::AddFd(int fd, uint32_t events, FdCallback callback) {
  owner_.Check();
  auto entry = std::make_shared<FdEntry>(FdEntry{next_generation_++, std::move(callback)});
  epoll_event event{};
  event.events = events;
  event.data.u64 = PackKey(fd, entry->generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl add fd ", fd, ": ", std::strerror(errno)));
  }
  fds_[fd] = std::move(entry);
  return absl::OkStatus();
}

absl::Status EventLoop::ModifyFd(int fd, uint32_t events) {
  owner_.Check();
  auto it = fds_.find(fd);
  if (it == fds_.end()) return absl::NotFoundError(absl::StrCat("fd ", fd, " not watched"));
  epoll_event event{};
  event.events = events;
  event.data.u64 = PackKey(fd, it->second->generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl mod fd ", fd, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::RemoveFd(int fd) {
  owner_.Check();
  if (fds_.erase(fd) > 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::AddTimer(absl::Duration delay, std::function<void()> callback) {
  owner_.Check();
  const TimerId id = next_timer_id_++;
  const absl::Time deadline = ReadClock() + delay;
  timers_.emplace(std::make_pair(deadline, id), std::move(callback));
  timer_deadlines_.emplace(id, deadline);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  owner_.Check();
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_deadlines_.erase(it);
}

void EventLoop::Post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(work));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::DrainPosted() {
  uint64_t count;
  [[maybe_unused]] ssize_t got = read(wake_fd_, &count, sizeof(count));
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    work.swap(posted_);
  }
  for (auto& item : work) item();
}

void EventLoop::RunDueTimers() {
  now_ = ReadClock();
  // Timers added by a timer callback run in a later round, never in this one,
  // so a zero-delay timer that re-arms itself cannot starve the sockets.
  const TimerId last_id = next_timer_id_;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now_ || it->first.second >= last_id) break;
    std::function<void()> callback = std::move(it->second);
    timer_deadlines_.erase(it->first.second);
    timers_.erase(it);
    callback();
  }
  // A flat_hash_map keeps its peak capacity: after a burst of timers (a SIP
  // flood arms one per transaction), give it back once most have run.
  if (timer_deadlines_.capacity() > 4096 &&
      timer_deadlines_.size() < timer_deadlines_.capacity() / 16) {
    timer_deadlines_.rehash(0);
  }
}

void EventLoop::RunOnce(absl::Duration max_wait) {
  owner_.Check();
  now_ = ReadClock();
  absl::Duration wait = max_wait;
  if (!timers_.empty()) wait = std::min(wait, timers_.begin()->first.first - now_);
  if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
  // Round up so a timer is never woken for a fraction of a millisecond early.
  const int timeout_ms =
      static_cast<int>(absl::ToInt64Milliseconds(wait + absl::Microseconds(999)));

  epoll_event events[64];
  const int count = epoll_wait(epoll_fd_, events, 64, timeout_ms);
  now_ = ReadClock();
  for (int i = 0; i < count; ++i) {
    const int fd = static_cast<int>(static_cast<uint32_t>(events[i].data.u64));
    const uint32_t generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
    if (fd == kWakeFdKey) {
      DrainPosted();
      continue;
    }
    auto it = fds_.find(fd);
    // Removed, or closed and reused by a new entry, earlier in this batch.
    if (it == fds_.end() || it->second->generation != generation) continue;
    std::shared_ptr<FdEntry> entry = it->second;  // lives through its own removal
    entry->callback(events[i].events);
  }
  RunDueTimers();
}

void EventLoop::Run() {
  running_ = true;
  while (running_) RunOnce(absl::Seconds(1));
}

}  // namespace tutti
