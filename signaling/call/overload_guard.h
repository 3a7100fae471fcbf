// Load shedding before any work is spent (DESIGN.md "Signaling"): token
// buckets over new requests (all sources together, and per source address),
// over requests inside calls (per call and per source), and caps on
// concurrent calls (in all and per source). What it refuses is answered 503
// with Retry-After by the caller: the request is fine, the sender should come
// back later (RFC 3261 §21.5.4), as Kamailio's pike/ratelimit and SBCs do.
//
// Sources in `unlimited_sources` (proxies, SBCs, trunks that carry many
// callers from one address) skip every per-source limit; the global ones
// still hold. Per-source state is bounded: an entry that holds no call and
// whose buckets are full again says nothing a new entry would not, so it is
// dropped on the next sweep; past `max_tracked_sources` entries, new sources
// are refused until a sweep makes room.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "signaling/sip/ip_prefix.h"

namespace tutti {

// A caller's address. The per-source limits count it by its block
// (IpAddress::SourceBlock: an IPv4 address, an IPv6 /64).
using SourceIp = sip::IpAddress;
// The same block as text, the key of PinGuard's per-source lockout.
inline std::string SourceKey(const sip::SocketAddress& address) {
  return SourceIp::From(address).SourceBlock().ToString();
}

// A rate with a burst allowance, refilled by the time that passed.
struct TokenBucket {
  double tokens = -1;  // < 0: never used, i.e. full
  absl::Time last;

  bool Take(double rate, double burst, absl::Time now);
  // New limits: the level refilled until `now` at the old `rate` and
  // `burst`, then no more than `new_burst` (a never-used bucket stays full).
  void Settle(double rate, double burst, absl::Time now, double new_burst);
  // Full again at `now` (nothing left to remember).
  bool Full(double rate, double burst, absl::Time now) const;
};

struct OverloadLimits {
  int requests_per_second = 1000;  // new requests, all sources together
  int burst_requests = 200;
  int max_calls = 2000;
  // Per source address (0 for any of these: no such limit).
  int max_calls_per_source = 100;
  int requests_per_source_per_second = 20;  // new requests (INVITE, OPTIONS...)
  int burst_requests_per_source = 50;
  // Requests inside a call other than ACK, BYE and CANCEL.
  int dialog_requests_per_second = 20;  // per call
  int burst_dialog_requests = 40;
  int dialog_requests_per_source_per_second = 200;  // a source's calls together
  int burst_dialog_requests_per_source = 400;
  sip::IpPrefixSet unlimited_sources;
  int max_tracked_sources = 65536;
};

// Why a request or call was refused, for /metrics (`limit` label).
enum class Refusal : uint8_t {
  kNone,
  kRequestRate,        // all sources together
  kSourceRequestRate,  // one source's new requests
  kCalls,              // max_calls
  kSourceCalls,        // max_calls_per_source
  kDialogRate,         // one call's in-dialog requests
  kSourceDialogRate,   // one source's in-dialog requests
  kSourceTableFull,    // too many sources tracked at once
  // Issue 20, decided by the media workers' load (mixer/admission.h) and
  // counted here with the rest: no worker has room for a new call; the
  // room's worker is full ([media] full_worker = "refuse").
  kMediaLoad,
  kWorkerFull,
};
inline constexpr size_t kRefusalKinds = 10;
std::string_view RefusalName(Refusal refusal);  // "source_calls"...

class OverloadGuard {
 public:
  explicit OverloadGuard(OverloadLimits limits);
  OverloadGuard(int requests_per_second, int burst, int max_calls);

  // A request that starts new work (out of dialog, not ACK or CANCEL): the
  // source's bucket, then the global one.
  Refusal AdmitNewRequest(const SourceIp& source, absl::Time now);
  // The global bucket alone.
  bool AdmitRequest(absl::Time now);
  // A request inside call `call_key` (0: no such call) from `source`.
  Refusal AdmitDialogRequest(uint64_t call_key, const SourceIp& source, absl::Time now);
  // A new call on top of `active_calls`, from `source`.
  Refusal AdmitCall(int active_calls, const SourceIp& source, absl::Time now);
  bool AdmitCall(int active_calls);
  // Every admitted call is started once and ended once.
  void CallStarted(uint64_t call_key, const SourceIp& source, absl::Time now);
  void CallEnded(uint64_t call_key, const SourceIp& source);

  // New limits from a reloaded configuration (issue 19), at `now` (the
  // clock the Admit calls are given). Counts of calls per source are kept;
  // each bucket's level is brought up to `now` at the old rate, then kept,
  // no fuller than its new burst; the new rates refill from `now` on. A
  // lowered max_tracked_sources forgets idle sources at once and keeps the
  // others (a source's calls and a spent bucket must not be forgotten): new
  // sources are refused until the table is back under the bound. A source
  // moved in or out of unlimited_sources keeps the count of the calls it
  // has: each call ends as it was counted when it started.
  void SetLimits(const OverloadLimits& limits, absl::Time now);

  // A refusal decided elsewhere (the media load), counted with these.
  void CountRefusal(Refusal why) { Refuse(why); }

  uint64_t refused(Refusal why) const { return refused_[static_cast<size_t>(why)]; }
  uint64_t requests_refused() const { return refused(Refusal::kRequestRate); }
  uint64_t calls_refused() const { return refused(Refusal::kCalls); }
  size_t tracked_sources() const { return sources_.size(); }
  int calls_from(const SourceIp& source) const;

 private:
  struct SourceEntry {
    int calls = 0;
    TokenBucket requests;
    TokenBucket dialog_requests;
  };
  // A live call: its in-dialog bucket, and whether its source's entry
  // counted it (exempt, or the table full: not), so that it ends as it
  // started whatever the limits became meanwhile.
  struct CallEntry {
    TokenBucket requests;
    bool counted = false;
  };
  // The source's entry (made when missing), or null when it is exempt or
  // the table is full.
  SourceEntry* Entry(const SourceIp& source, absl::Time now, Refusal* refusal);
  bool Idle(const SourceEntry& entry, absl::Time now) const;
  void Sweep(absl::Time now);
  Refusal Refuse(Refusal why) {
    ++refused_[static_cast<size_t>(why)];
    return why;
  }

  OverloadLimits limits_;
  TokenBucket global_;
  absl::flat_hash_map<SourceIp, SourceEntry> sources_;
  absl::flat_hash_map<uint64_t, CallEntry> dialogs_;  // one per live call
  absl::Time last_sweep_ = absl::InfinitePast();
  std::array<uint64_t, kRefusalKinds> refused_{};
};

}  // namespace tutti
