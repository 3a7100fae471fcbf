#include "common/event_hub.h"

#include <algorithm>
#include <chrono>

namespace tutti {

void EventHub::Publish(const std::string& type, const std::string& json) {
  const std::string message = "event: " + type + "\ndata: " + json + "\n\n";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& subscription : subscriptions_) {
    {
      std::lock_guard<std::mutex> queue_lock(subscription->mutex_);
      if (subscription->queue_.size() >= kMaxQueued) {
        subscription->queue_.pop_front();
        ++subscription->lost_;
      }
      subscription->queue_.push_back(message);
    }
    subscription->ready_.notify_one();
  }
  // Under the lock, so that once SetListener({}) returns it is never called.
  if (!subscriptions_.empty() && listener_) listener_();
}

void EventHub::SetListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listener_ = std::move(listener);
}

bool EventHub::Subscription::Ready() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !queue_.empty() || lost_ > 0;
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe() {
  auto subscription = std::make_shared<Subscription>();
  std::lock_guard<std::mutex> lock(mutex_);
  subscriptions_.push_back(subscription);
  return subscription;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase(subscriptions_, subscription);
}

size_t EventHub::subscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_.size();
}

std::optional<std::string> EventHub::Subscription::Next(int wait_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!ready_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                       [this] { return !queue_.empty() || lost_ > 0; })) {
    return std::nullopt;
  }
  if (lost_ > 0) {
    const std::string notice = "event: lost\ndata: {\"events\":" + std::to_string(lost_) + "}\n\n";
    lost_ = 0;
    return notice;
  }
  std::string message = std::move(queue_.front());
  queue_.pop_front();
  return message;
}

}  // namespace tutti
