// Fan-out of control-plane events (joins, leaves, talking, mute, DTMF) to
// Server-Sent Events subscribers. The control thread publishes into each
// subscriber's bounded queue and wakes the HTTP server (its listener),
// which sends what is queued without a thread per stream. A subscriber that
// falls too far behind loses the oldest events and is told so.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tutti {

class EventHub {
 public:
  class Subscription {
   public:
    // The next event as one SSE message ("event: x\ndata: {...}\n\n"), or
    // nullopt after `wait_ms` without one (the caller sends a keep-alive).
    std::optional<std::string> Next(int wait_ms);
    // Whether Next(0) would return something.
    bool Ready();

   private:
    friend class EventHub;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> queue_;
    uint64_t lost_ = 0;
  };

  // `type` names the SSE event; `json` is its data (one line).
  void Publish(const std::string& type, const std::string& json);
  std::shared_ptr<Subscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  size_t subscribers() const;
  // Called on the publishing thread after an event was queued for at least
  // one subscriber (the HTTP server's wake-up). Must not block. Empty: none.
  void SetListener(std::function<void()> listener);

  static constexpr size_t kMaxQueued = 1024;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::function<void()> listener_;
};

}  // namespace tutti
