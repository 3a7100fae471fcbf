#include "signaling/call/overload_guard.h"

#include <algorithm>

namespace tutti {
namespace {

// How often idle per-source entries are dropped, and how soon again when
// the table is full.
constexpr absl::Duration kSweepEvery = absl::Seconds(1);
constexpr absl::Duration kSweepWhenFullEvery = absl::Milliseconds(100);

// A burst of 0 would refuse everything: at least one request passes.
OverloadLimits Normalized(OverloadLimits limits) {
  limits.burst_requests = std::max(1, limits.burst_requests);
  limits.burst_requests_per_source = std::max(1, limits.burst_requests_per_source);
  limits.burst_dialog_requests = std::max(1, limits.burst_dialog_requests);
  limits.burst_dialog_requests_per_source = std::max(1, limits.burst_dialog_requests_per_source);
  return limits;
}

}  // namespace

bool TokenBucket::Take(double rate, double burst, absl::Time now) {
  if (tokens < 0) {
    tokens = burst;
  } else {
    const double elapsed = absl::ToDoubleSeconds(now - last);
    if (elapsed > 0) tokens = std::min(burst, tokens + elapsed * rate);
  }
  last = now;
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

void TokenBucket::Settle(double rate, double burst, absl::Time now, double new_burst) {
  if (tokens < 0) return;  // never used: full at any burst
  const double elapsed = absl::ToDoubleSeconds(now - last);
  if (elapsed > 0) {
    tokens = std::min(burst, tokens + elapsed * rate);
    last = now;
  }
  tokens = std::min(tokens, new_burst);
}

bool TokenBucket::Full(double rate, double burst, absl::Time now) const {
  return tokens < 0 || tokens + absl::ToDoubleSeconds(now - last) * rate >= burst;
}

std::string_view RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone:
      return "none";
    case Refusal::kRequestRate:
      return "requests";
    case Refusal::kSourceRequestRate:
      return "source_requests";
    case Refusal::kCalls:
      return "calls";
    case Refusal::kSourceCalls:
      return "source_calls";
    case Refusal::kDialogRate:
      return "dialog_requests";
    case Refusal::kSourceDialogRate:
      return "source_dialog_requests";
    case Refusal::kSourceTableFull:
      return "source_table_full";
    case Refusal::kMediaLoad:
      return "media_load";
    case Refusal::kWorkerFull:
      return "worker_full";
  }
  return "unknown";
}

OverloadGuard::OverloadGuard(OverloadLimits limits) : limits_(Normalized(std::move(limits))) {}

OverloadGuard::OverloadGuard(int requests_per_second, int burst, int max_calls)
    : OverloadGuard([&] {
        OverloadLimits limits;
        limits.requests_per_second = requests_per_second;
        limits.burst_requests = burst;
        limits.max_calls = max_calls;
        return limits;
      }()) {}

bool OverloadGuard::AdmitRequest(absl::Time now) {
  if (global_.Take(limits_.requests_per_second, limits_.burst_requests, now)) return true;
  Refuse(Refusal::kRequestRate);
  return false;
}

Refusal OverloadGuard::AdmitNewRequest(const SourceIp& source, absl::Time now) {
  // The source's own bucket first: one loud source must not spend the
  // tokens everyone shares.
  if (limits_.requests_per_source_per_second > 0) {
    Refusal refusal = Refusal::kNone;
    SourceEntry* entry = Entry(source, now, &refusal);
    if (refusal != Refusal::kNone) return Refuse(refusal);
    if (entry != nullptr && !entry->requests.Take(limits_.requests_per_source_per_second,
                                                  limits_.burst_requests_per_source, now)) {
      return Refuse(Refusal::kSourceRequestRate);
    }
  }
  return AdmitRequest(now) ? Refusal::kNone : Refusal::kRequestRate;
}

Refusal OverloadGuard::AdmitDialogRequest(uint64_t call_key, const SourceIp& source,
                                          absl::Time now) {
  // The call's own bucket first, so that one call's flood does not use up
  // what the other calls from the same address (a NAT, an office) may send.
  if (limits_.dialog_requests_per_second > 0) {
    if (auto it = dialogs_.find(call_key); it != dialogs_.end()) {
      if (!it->second.requests.Take(limits_.dialog_requests_per_second,
                                    limits_.burst_dialog_requests, now)) {
        return Refuse(Refusal::kDialogRate);
      }
    }
  }
  if (limits_.dialog_requests_per_source_per_second > 0) {
    Refusal refusal = Refusal::kNone;
    SourceEntry* entry = Entry(source, now, &refusal);
    if (refusal != Refusal::kNone) return Refuse(refusal);
    if (entry != nullptr &&
        !entry->dialog_requests.Take(limits_.dialog_requests_per_source_per_second,
                                     limits_.burst_dialog_requests_per_source, now)) {
      return Refuse(Refusal::kSourceDialogRate);
    }
  }
  return Refusal::kNone;
}

bool OverloadGuard::AdmitCall(int active_calls) {
  if (active_calls < limits_.max_calls) return true;
  Refuse(Refusal::kCalls);
  return false;
}

Refusal OverloadGuard::AdmitCall(int active_calls, const SourceIp& source, absl::Time now) {
  if (!AdmitCall(active_calls)) return Refusal::kCalls;
  if (limits_.max_calls_per_source <= 0) return Refusal::kNone;
  Refusal refusal = Refusal::kNone;
  SourceEntry* entry = Entry(source, now, &refusal);
  if (refusal != Refusal::kNone) return Refuse(refusal);
  if (entry != nullptr && entry->calls >= limits_.max_calls_per_source) {
    return Refuse(Refusal::kSourceCalls);
  }
  return Refusal::kNone;
}

void OverloadGuard::CallStarted(uint64_t call_key, const SourceIp& source, absl::Time now) {
  CallEntry& call = dialogs_[call_key];
  Refusal refusal = Refusal::kNone;
  // A call admitted while the table was full goes uncounted (its source is
  // refused further calls until there is room, so this is rare and safe).
  if (SourceEntry* entry = Entry(source, now, &refusal); entry != nullptr) {
    ++entry->calls;
    call.counted = true;
  }
}

void OverloadGuard::CallEnded(uint64_t call_key, const SourceIp& source) {
  auto call = dialogs_.find(call_key);
  if (call == dialogs_.end()) return;
  const bool counted = call->second.counted;
  dialogs_.erase(call);
  // Only the calls counted in CallStarted are taken off (an exempt source's
  // were not, whatever unlimited_sources says now).
  if (!counted) return;
  if (auto it = sources_.find(source.SourceBlock()); it != sources_.end() && it->second.calls > 0) {
    --it->second.calls;
  }
}

int OverloadGuard::calls_from(const SourceIp& source) const {
  auto it = sources_.find(source.SourceBlock());
  return it == sources_.end() ? 0 : it->second.calls;
}

OverloadGuard::SourceEntry* OverloadGuard::Entry(const SourceIp& source, absl::Time now,
                                                 Refusal* refusal) {
  if (now - last_sweep_ >= kSweepEvery) Sweep(now);
  // Exempt by its own address, counted by its block (an IPv6 /64): an
  // exempt trunk does not spend its neighbours' allowance, nor they its.
  if (limits_.unlimited_sources.Contains(source)) return nullptr;
  const SourceIp block = source.SourceBlock();
  if (auto it = sources_.find(block); it != sources_.end()) return &it->second;
  if (sources_.size() >= static_cast<size_t>(limits_.max_tracked_sources)) {
    if (now - last_sweep_ >= kSweepWhenFullEvery) Sweep(now);
    if (sources_.size() >= static_cast<size_t>(limits_.max_tracked_sources)) {
      *refusal = Refusal::kSourceTableFull;
      return nullptr;
    }
  }
  return &sources_[block];
}

bool OverloadGuard::Idle(const SourceEntry& entry, absl::Time now) const {
  return entry.calls == 0 &&
         entry.requests.Full(limits_.requests_per_source_per_second,
                             limits_.burst_requests_per_source, now) &&
         entry.dialog_requests.Full(limits_.dialog_requests_per_source_per_second,
                                    limits_.burst_dialog_requests_per_source, now);
}

void OverloadGuard::Sweep(absl::Time now) {
  last_sweep_ = now;
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto here = it++;
    if (Idle(here->second, now)) sources_.erase(here);
  }
  // A flat_hash_map keeps its capacity: after a flood of many sources, give
  // the memory back once most entries are gone.
  if (sources_.capacity() > 1024 && sources_.size() < sources_.capacity() / 8) sources_.rehash(0);
}

void OverloadGuard::SetLimits(const OverloadLimits& limits, absl::Time now) {
  const OverloadLimits next = Normalized(limits);
  // What each bucket earned until now it earned at the old rate; from now
  // on it refills at the new one, never above the new burst.
  global_.Settle(limits_.requests_per_second, limits_.burst_requests, now, next.burst_requests);
  for (auto& [key, call] : dialogs_) {
    call.requests.Settle(limits_.dialog_requests_per_second, limits_.burst_dialog_requests, now,
                         next.burst_dialog_requests);
  }
  for (auto& [block, entry] : sources_) {
    entry.requests.Settle(limits_.requests_per_source_per_second, limits_.burst_requests_per_source,
                          now, next.burst_requests_per_source);
    entry.dialog_requests.Settle(limits_.dialog_requests_per_source_per_second,
                                 limits_.burst_dialog_requests_per_source, now,
                                 next.burst_dialog_requests_per_source);
  }
  limits_ = next;
  // Idle entries go now (under the new bursts); the rest stay even past a
  // lowered bound, which Entry() enforces by refusing new sources.
  Sweep(now);
}

}  // namespace tutti
