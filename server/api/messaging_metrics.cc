#include "server/api/messaging_metrics.h"

#include <atomic>
#include <span>
#include <string>

namespace tutti::api {
namespace {

// A family whose samples are fields of one struct (`Source`): each sample
// its label's value ("" for a family without a label) and its field.
template <typename Source, typename Field>
struct FamilyOf {
  const char* name;
  const char* type;
  const char* help;
  const char* label;  // nullptr: one sample without labels
  std::initializer_list<std::pair<const char*, Field Source::*>> samples;
};

double Read(uint64_t count) { return static_cast<double>(count); }
double Read(const std::atomic<uint64_t>& count) {
  return static_cast<double>(count.load(std::memory_order_relaxed));
}

template <typename Source, typename Field>
void Render(std::span<const FamilyOf<Source, Field>> families, const Source& source,
            MetricsText& m) {
  for (const FamilyOf<Source, Field>& family : families) {
    m.Family(family.name, family.type, family.help);
    for (const auto& [value, field] : family.samples) {
      m.Sample(family.name, Read(source.*field),
               family.label == nullptr ? Labels{} : Labels{{family.label, value}});
    }
  }
}

// Call control's counters (read on the control thread, which writes them).
using MessageFamily = FamilyOf<MessagingCounters, uint64_t>;
using C = MessagingCounters;
const MessageFamily kMessageFamilies[] = {
    {"tutti_messages_received_total",
     "counter",
     "Chat messages taken from room members (SIP MESSAGE and MSRP).",
     nullptr,
     {{"", &C::received}}},
    {"tutti_messages_posted_total",
     "counter",
     "Chat messages posted to rooms through the control API.",
     nullptr,
     {{"", &C::posted_by_api}}},
    {"tutti_messages_deliveries_total",
     "counter",
     "MESSAGEs relayed to pager-mode members, by outcome: started (one per recipient), "
     "delivered (2xx), failed (>= 300), timeout (no answer).",
     "outcome",
     {{"started", &C::relayed},
      {"delivered", &C::delivered},
      {"failed", &C::delivery_failed},
      {"timeout", &C::delivery_timeouts}}},
    {"tutti_messages_refused_total",
     "counter",
     "MESSAGEs refused, by reason: stranger (403, not in the room), too_large (413), type "
     "(415), busy (503, the room's deliveries at their bound).",
     "reason",
     {{"stranger", &C::refused_stranger},
      {"too_large", &C::refused_too_large},
      {"type", &C::refused_type},
      {"busy", &C::refused_busy}}},
    {"tutti_messages_senders_told_total",
     "counter",
     "Senders told that none of their message's deliveries succeeded.",
     nullptr,
     {{"", &C::senders_told}}},
    {"tutti_messages_replayed_total",
     "counter",
     "Kept messages sent to members who joined late ([messaging] replay_on_join).",
     nullptr,
     {{"", &C::replayed}}},
};

using FileFamily = FamilyOf<FileCounters, uint64_t>;
using F = FileCounters;
const FileFamily kFileFamilies[] = {
    {"tutti_files_offers_total",
     "counter",
     "INVITEs offering a stored file to a room member, by outcome: sent, accepted, declined, "
     "timeout; skipped: members not offered it (offers in flight at their bound).",
     "outcome",
     {{"sent", &F::offers_sent},
      {"accepted", &F::offers_accepted},
      {"declined", &F::offers_declined},
      {"timeout", &F::offers_timed_out},
      {"skipped", &F::offers_skipped}}},
    {"tutti_files_sends_total",
     "counter",
     "Stored files sent to members who accepted, by outcome: completed (every byte "
     "acknowledged), failed, ended_by_member (its BYE during the send).",
     "outcome",
     {{"completed", &F::sends_completed},
      {"failed", &F::sends_failed},
      {"ended_by_member", &F::ended_by_member}}},
};
// The MSRP thread's counters (atomics); its two gauges are in RenderMsrp.
using MsrpFamily = FamilyOf<msrp::MsrpStats, std::atomic<uint64_t>>;
using S = msrp::MsrpStats;

const MsrpFamily kMsrpFamilies[] = {
    {"tutti_msrp_connections_total",
     "counter",
     "MSRP connections, by outcome: accepted, refused (a limit, or no such session: 481).",
     "outcome",
     {{"accepted", &S::connections_accepted}, {"refused", &S::connections_refused}}},
    {"tutti_msrp_messages_received_total",
     "counter",
     "Complete chat messages received over MSRP (chunks put together).",
     nullptr,
     {{"", &S::messages_received}}},
    {"tutti_msrp_messages_relayed_total",
     "counter",
     "Chat messages sent to MSRP members (one per recipient).",
     nullptr,
     {{"", &S::messages_relayed}}},
    {"tutti_msrp_delivery_failures_total",
     "counter",
     "MSRP sends a member answered with an error, or never answered.",
     nullptr,
     {{"", &S::delivery_failures}}},
    {"tutti_msrp_chunks_received_total",
     "counter",
     "MSRP SEND chunks received.",
     nullptr,
     {{"", &S::chunks_received}}},
    {"tutti_msrp_bytes_total",
     "counter",
     "Bytes read from and written to MSRP connections.",
     "direction",
     {{"in", &S::bytes_received}, {"out", &S::bytes_sent}}},
    {"tutti_msrp_malformed_total",
     "counter",
     "MSRP frames that did not parse (the connection was closed).",
     nullptr,
     {{"", &S::malformed}}},
    {"tutti_msrp_slow_dropped_total",
     "counter",
     "MSRP members dropped for not reading what was queued to them ([msrp] max_queued_kb).",
     nullptr,
     {{"", &S::slow_dropped}}},
    {"tutti_msrp_files_total",
     "counter",
     "Files over MSRP, by outcome: received (stored complete), failed (a receive that ended "
     "without a complete file), sent.",
     "outcome",
     {{"received", &S::files_received}, {"failed", &S::files_failed}, {"sent", &S::files_sent}}},
};

void RenderMsrp(const msrp::MsrpStats& stats, MetricsText& m) {
  m.Family("tutti_msrp_connections", "gauge", "Open MSRP connections.");
  m.Sample("tutti_msrp_connections",
           static_cast<double>(stats.connections_open.load(std::memory_order_relaxed)));
  m.Family("tutti_msrp_sessions", "gauge", "MSRP sessions (chat and file streams) registered.");
  m.Sample("tutti_msrp_sessions",
           static_cast<double>(stats.sessions.load(std::memory_order_relaxed)));
  Render<S, std::atomic<uint64_t>>(kMsrpFamilies, stats, m);
}

}  // namespace

void RenderMessagingMetrics(const CallController& calls, const msrp::MsrpStats* msrp,
                            MetricsText& m) {
  Render<C, uint64_t>(kMessageFamilies, calls.messaging_counters(), m);
  Render<F, uint64_t>(kFileFamilies, calls.file_counters(), m);
  if (msrp != nullptr) RenderMsrp(*msrp, m);
}

}  // namespace tutti::api
