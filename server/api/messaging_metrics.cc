#include "server/api/messaging_metrics.h"

#include <atomic>
#include <string>

namespace tutti::api {
namespace {

// One family with a sample per label value.
template <typename Value>
void Labelled(MetricsText& m, const char* name, const char* type, const char* help,
              const char* label, std::initializer_list<std::pair<const char*, Value>> samples) {
  m.Family(name, type, help);
  for (const auto& [value, count] : samples) {
    m.Sample(name, static_cast<double>(count), {{label, value}});
  }
}

template <typename Value>
void Single(MetricsText& m, const char* name, const char* type, const char* help, Value value) {
  m.Family(name, type, help);
  m.Sample(name, static_cast<double>(value));
}

void RenderMessages(const MessagingCounters& c, MetricsText& m) {
  Single(m, "tutti_messages_received_total", "counter",
         "Chat messages taken from room members (SIP MESSAGE and MSRP).", c.received);
  Single(m, "tutti_messages_posted_total", "counter",
         "Chat messages posted to rooms through the control API.", c.posted_by_api);
  Labelled<uint64_t>(m, "tutti_messages_deliveries_total", "counter",
                     "MESSAGEs relayed to pager-mode members, by outcome: started (one per "
                     "recipient), delivered (2xx), failed (>= 300), timeout (no answer).",
                     "outcome",
                     {{"started", c.relayed},
                      {"delivered", c.delivered},
                      {"failed", c.delivery_failed},
                      {"timeout", c.delivery_timeouts}});
  Labelled<uint64_t>(m, "tutti_messages_refused_total", "counter",
                     "MESSAGEs refused, by reason: stranger (403, not in the room), too_large "
                     "(413), type (415), busy (503, the room's deliveries at their bound).",
                     "reason",
                     {{"stranger", c.refused_stranger},
                      {"too_large", c.refused_too_large},
                      {"type", c.refused_type},
                      {"busy", c.refused_busy}});
  Single(m, "tutti_messages_senders_told_total", "counter",
         "Senders told that none of their message's deliveries succeeded.", c.senders_told);
  Single(m, "tutti_messages_replayed_total", "counter",
         "Kept messages sent to members who joined late ([messaging] replay_on_join).", c.replayed);
}

void RenderFileOffers(const FileCounters& c, MetricsText& m) {
  Labelled<uint64_t>(m, "tutti_files_offers_total", "counter",
                     "INVITEs offering a stored file to a room member, by outcome: sent, "
                     "accepted, declined, timeout.",
                     "outcome",
                     {{"sent", c.offers_sent},
                      {"accepted", c.offers_accepted},
                      {"declined", c.offers_declined},
                      {"timeout", c.offers_timed_out}});
  Labelled<uint64_t>(m, "tutti_files_sends_total", "counter",
                     "Stored files sent to members who accepted, by outcome: completed (every "
                     "byte acknowledged), failed.",
                     "outcome", {{"completed", c.sends_completed}, {"failed", c.sends_failed}});
}

uint64_t Read(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

void RenderMsrp(const msrp::MsrpStats& s, MetricsText& m) {
  Single(m, "tutti_msrp_connections", "gauge", "Open MSRP connections.",
         s.connections_open.load(std::memory_order_relaxed));
  Labelled<uint64_t>(
      m, "tutti_msrp_connections_total", "counter",
      "MSRP connections, by outcome: accepted, refused (a limit, or no such "
      "session: 481).",
      "outcome",
      {{"accepted", Read(s.connections_accepted)}, {"refused", Read(s.connections_refused)}});
  Single(m, "tutti_msrp_sessions", "gauge", "MSRP sessions (chat and file streams) registered.",
         s.sessions.load(std::memory_order_relaxed));
  Single(m, "tutti_msrp_messages_received_total", "counter",
         "Complete chat messages received over MSRP (chunks put together).",
         Read(s.messages_received));
  Single(m, "tutti_msrp_messages_relayed_total", "counter",
         "Chat messages sent to MSRP members (one per recipient).", Read(s.messages_relayed));
  Single(m, "tutti_msrp_delivery_failures_total", "counter",
         "MSRP sends a member answered with an error, or never answered.",
         Read(s.delivery_failures));
  Single(m, "tutti_msrp_chunks_received_total", "counter", "MSRP SEND chunks received.",
         Read(s.chunks_received));
  Labelled<uint64_t>(m, "tutti_msrp_bytes_total", "counter",
                     "Bytes read from and written to MSRP connections.", "direction",
                     {{"in", Read(s.bytes_received)}, {"out", Read(s.bytes_sent)}});
  Single(m, "tutti_msrp_malformed_total", "counter",
         "MSRP frames that did not parse (the connection was closed).", Read(s.malformed));
  Single(m, "tutti_msrp_slow_dropped_total", "counter",
         "MSRP members dropped for not reading what was queued to them ([msrp] max_queued_kb).",
         Read(s.slow_dropped));
  Labelled<uint64_t>(m, "tutti_msrp_files_total", "counter",
                     "Files over MSRP, by outcome: received (stored complete), failed (a receive "
                     "that ended without a complete file), sent.",
                     "outcome",
                     {{"received", Read(s.files_received)},
                      {"failed", Read(s.files_failed)},
                      {"sent", Read(s.files_sent)}});
}

}  // namespace

void RenderMessagingMetrics(const CallController& calls, const msrp::MsrpStats* msrp,
                            MetricsText& m) {
  RenderMessages(calls.messaging_counters(), m);
  RenderFileOffers(calls.file_counters(), m);
  if (msrp != nullptr) RenderMsrp(*msrp, m);
}

}  // namespace tutti::api
