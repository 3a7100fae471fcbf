#include "dpdk/arp_table.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace tutti::dpdk {

ArpTable::ArpTable(ArpOptions options) : options_(options) {}

bool ArpTable::ValidLocked(const Entry& entry, absl::Time now) const {
  return entry.is_static || now - entry.learned < options_.ttl;
}

void ArpTable::ForgetAgeLocked(uint32_t ip, const Entry& entry) {
  if (!entry.is_static) by_age_.erase({entry.learned, ip});
}

std::optional<MacAddress> ArpTable::Lookup(uint32_t ip, absl::Time now) const {
  absl::ReaderMutexLock lock(&mutex_);
  const auto it = entries_.find(ip);
  if (it == entries_.end() || !ValidLocked(it->second, now)) return std::nullopt;
  return it->second.mac;
}

void ArpTable::Learn(uint32_t ip, MacAddress mac, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  if (options_.max_entries == 0) return;
  requested_.erase(ip);
  const auto it = entries_.find(ip);
  if (it != entries_.end()) {
    if (it->second.is_static) return;
    ForgetAgeLocked(ip, it->second);
    it->second = Entry{.mac = mac, .learned = now};
    by_age_.emplace(now, ip);
    return;
  }
  if (by_age_.size() >= options_.max_entries) {
    // The oldest learned entry is the one most likely expired or unused.
    const auto oldest = by_age_.begin();
    entries_.erase(oldest->second);
    by_age_.erase(oldest);
  }
  entries_.emplace(ip, Entry{.mac = mac, .learned = now});
  by_age_.emplace(now, ip);
}

void ArpTable::SetStatic(uint32_t ip, MacAddress mac) {
  absl::MutexLock lock(&mutex_);
  requested_.erase(ip);
  auto [it, inserted] = entries_.try_emplace(ip);
  if (!inserted) ForgetAgeLocked(ip, it->second);
  it->second = Entry{.mac = mac, .is_static = true};
}

bool ArpTable::ShouldRequest(uint32_t ip, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  // Resolved and not about to expire: nothing to ask. A learned entry in
  // the last fifth of its life is asked for again while still used, so a
  // peer that never ARPs us loses nothing when it would have expired.
  const auto entry = entries_.find(ip);
  if (entry != entries_.end() && ValidLocked(entry->second, now) &&
      (entry->second.is_static || now - entry->second.learned < options_.ttl * 4 / 5)) {
    return false;
  }
  const auto it = requested_.find(ip);
  if (it != requested_.end()) {
    if (now - it->second < options_.retry) return false;
    it->second = now;
    return true;
  }
  if (requested_.size() >= options_.max_entries) {
    // Full: drop records older than `retry`, which no longer hold anything
    // back. When nothing can be dropped yet, remember when the first one can,
    // so a flood of distinct unresolved IPs does not rescan on every call.
    if (now < next_purge_) return false;
    absl::Time oldest_kept = absl::InfiniteFuture();
    absl::erase_if(requested_, [&](const auto& record) {
      if (now - record.second >= options_.retry) return true;
      oldest_kept = std::min(oldest_kept, record.second);
      return false;
    });
    if (requested_.size() >= options_.max_entries) {
      next_purge_ = oldest_kept + options_.retry;
      return false;
    }
  }
  requested_.emplace(ip, now);
  return true;
}

size_t ArpTable::size() const {
  absl::ReaderMutexLock lock(&mutex_);
  return entries_.size();
}

}  // namespace tutti::dpdk
