#include "signaling/call/overload_guard.h"

#include <algorithm>

namespace tutti {
namespace {

// How often idle per-source entries are dropped, and how soon again when
// the table is full.
constexpr absl::Duration kSweepEvery = absl::Seconds(1);
constexpr absl::Duration kSweepWhenFullEvery = absl::Milliseconds(100);

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
  }
  return "unknown";
}

OverloadGuard::OverloadGuard(OverloadLimits limits) : limits_(std::move(limits)) {
  limits_.burst_requests = std::max(1, limits_.burst_requests);
  limits_.burst_requests_per_source = std::max(1, limits_.burst_requests_per_source);
  limits_.burst_dialog_requests = std::max(1, limits_.burst_dialog_requests);
  limits_.burst_dialog_requests_per_source = std::max(1, limits_.burst_dialog_requests_per_source);
}

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
      if (!it->second.Take(limits_.dialog_requests_per_second, limits_.burst_dialog_requests,
                           now)) {
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
  dialogs_.try_emplace(call_key);
  Refusal refusal = Refusal::kNone;
  // A call admitted while the table was full goes uncounted (its source is
  // refused further calls until there is room, so this is rare and safe).
  if (SourceEntry* entry = Entry(source, now, &refusal); entry != nullptr) ++entry->calls;
}

void OverloadGuard::CallEnded(uint64_t call_key, const SourceIp& source) {
  dialogs_.erase(call_key);
  // Only the calls counted in CallStarted are taken off: a source without an
  // entry was exempt or not counted.
  if (limits_.unlimited_sources.Contains(source)) return;
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

// PLACEHOLDER (issue 19, live owner).
void OverloadGuard::SetLimits(const OverloadLimits& limits) { (void)limits; }

}  // namespace tutti
