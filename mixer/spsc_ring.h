// A bounded single-producer single-consumer ring: how the control thread
// sends commands to a media worker and how the worker answers with events
// (docs/ARCHITECTURE.md, "Threads"). Never blocks and never allocates after construction;
// a full ring refuses the push and the caller counts it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>

namespace tutti::mixer {

template <typename T>
class SpscRing {
  static_assert(std::is_nothrow_move_constructible_v<T>);
  static_assert(std::is_default_constructible_v<T>);

 public:
  // Capacity is rounded up to a power of two so the index wraps with a mask.
  explicit SpscRing(size_t capacity)
      : mask_(RoundUpToPowerOfTwo(capacity) - 1), slots_(new T[mask_ + 1]) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer side only. False when full.
  bool TryPush(T&& value) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ > mask_) return false;
    }
    slots_[tail & mask_] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side only. Empty optional when there is nothing.
  std::optional<T> TryPop() {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return std::nullopt;
    }
    std::optional<T> value(std::move(slots_[head & mask_]));
    head_.store(head + 1, std::memory_order_release);
    return value;
  }

  // Approximate from either side; exact when the other side is idle.
  size_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  static size_t RoundUpToPowerOfTwo(size_t n) {
    size_t power = 1;
    while (power < n) power <<= 1;
    return power;
  }

  // Producer and consumer indices on their own cache lines so the two cores
  // do not false-share; each side caches the other's index to touch the
  // shared line only when the ring looks full (or empty).
  static constexpr size_t kLine = 64;
  const size_t mask_;
  const std::unique_ptr<T[]> slots_;
  alignas(kLine) std::atomic<size_t> head_{0};
  size_t cached_tail_ = 0;
  alignas(kLine) std::atomic<size_t> tail_{0};
  size_t cached_head_ = 0;
};

}  // namespace tutti::mixer
