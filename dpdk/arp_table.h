// IPv4 -> MAC resolutions for the DPDK packet plane, shared by all media
// workers. Each worker keeps its own small cache in front of this table, so
// lookups here are rare and a mutex is enough.
//
// Entries come from ARP requests and replies addressed to us (Learn) and from
// configuration (SetStatic, e.g. the gateway). ShouldRequest rate-limits our
// own ARP requests so a flood of packets to an unresolved peer costs one
// request per retry interval, not one per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dpdk/net_headers.h"

namespace tutti::dpdk {

struct ArpOptions {
  absl::Duration ttl = absl::Minutes(5);    // a learned entry misses after this
  absl::Duration retry = absl::Seconds(1);  // minimum gap between requests for one IP
  size_t max_entries = 4096;                // learned entries kept; the oldest goes first
};

class ArpTable {
 public:
  explicit ArpTable(ArpOptions options = {});

  // The MAC for ip, unless unknown or learned more than ttl before now.
  std::optional<MacAddress> Lookup(uint32_t ip, absl::Time now) const;

  // Records (or refreshes) ip -> mac. Static entries win: a learned MAC never
  // replaces a configured one, so a spoofed ARP cannot steal the gateway.
  // With max_entries learned entries already held, the oldest one is evicted.
  void Learn(uint32_t ip, MacAddress mac, absl::Time now);

  // A configured entry that never expires and is never evicted (not counted
  // against max_entries).
  void SetStatic(uint32_t ip, MacAddress mac);

  // True when the caller should send an ARP request for ip now: ip has no
  // valid entry, or a learned one in the last fifth of its ttl (refreshed
  // before it expires), and no request was allowed for it within `retry`.
  // Tracks at most max_entries pending IPs; beyond that (more distinct
  // unresolved IPs in one retry interval) it answers false.
  bool ShouldRequest(uint32_t ip, absl::Time now);

  // Entries held, static and learned, expired ones included until evicted.
  size_t size() const;

 private:
  struct Entry {
    MacAddress mac;
    absl::Time learned;
    bool is_static = false;
  };

  bool ValidLocked(const Entry& entry, absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  void ForgetAgeLocked(uint32_t ip, const Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const ArpOptions options_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<uint32_t, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  // Learned (non-static) entries by age, oldest first, for O(log n) eviction.
  std::set<std::pair<absl::Time, uint32_t>> by_age_ ABSL_GUARDED_BY(mutex_);
  // When a request was last allowed for each unresolved IP.
  absl::flat_hash_map<uint32_t, absl::Time> requested_ ABSL_GUARDED_BY(mutex_);
  // While requested_ is full of fresh records: no purge can free one before this.
  absl::Time next_purge_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace tutti::dpdk
