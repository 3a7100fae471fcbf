#include "server/api/trunk_metrics.h"

#include <string>
#include <vector>

namespace tutti::api {
namespace {

double Count(uint64_t count) { return static_cast<double>(count); }

struct TrunkSample {
  const trunk::TrunkConfig* trunk;
  trunk::TrunkLinkStatus link;
  int calls = 0;      // the guard's
  int dial_outs = 0;  // the guard's
};

bool Registered(const TrunkSample& s) {
  return s.link.registration == trunk::RegistrationState::kRegistered;
}

// A family with a sample per trunk (per registering trunk where
// `registering_only`), its value read from the trunk's sample.
struct PerTrunkFamily {
  const char* name;
  const char* type;
  const char* help;
  bool registering_only;
  double (*value)(const TrunkSample&);
};

constexpr PerTrunkFamily kPerTrunk[] = {
    {"tutti_trunk_up", "gauge",
     "1 while the trunk answers our OPTIONS (or is sent none), 0 while it is down.", false,
     [](const TrunkSample& s) { return s.link.up ? 1.0 : 0.0; }},
    {"tutti_trunk_registered", "gauge",
     "1 while our registration with the trunk holds (trunks with register = true).", true,
     [](const TrunkSample& s) { return Registered(s) ? 1.0 : 0.0; }},
    {"tutti_trunk_registrations_total", "counter",
     "REGISTERs the trunk accepted (2xx), refreshes included.", true,
     [](const TrunkSample& s) { return Count(s.link.registrations); }},
    {"tutti_trunk_register_failures_total", "counter",
     "REGISTERs refused or unanswered (each followed by a retry after back-off).", true,
     [](const TrunkSample& s) { return Count(s.link.register_failures); }},
    {"tutti_trunk_options_sent_total", "counter", "OPTIONS keepalives sent to the trunk.", false,
     [](const TrunkSample& s) { return Count(s.link.options_sent); }},
    {"tutti_trunk_options_failed_total", "counter",
     "OPTIONS keepalives the trunk did not answer at all.", false,
     [](const TrunkSample& s) { return Count(s.link.options_failed); }},
    {"tutti_trunk_went_down_total", "counter",
     "Times the trunk was marked down (OPTIONS unanswered in a row).", false,
     [](const TrunkSample& s) { return Count(s.link.went_down); }},
    {"tutti_trunk_calls", "gauge",
     "Calls through the trunk now, both directions (held to max_calls).", false,
     [](const TrunkSample& s) { return static_cast<double>(s.calls); }},
    {"tutti_trunk_dial_outs", "gauge",
     "Dial-outs through the trunk now, ringing or answered (held to max_dial_outs).", false,
     [](const TrunkSample& s) { return static_cast<double>(s.dial_outs); }},
};

void RenderLinks(const std::vector<TrunkSample>& trunks, MetricsText& m) {
  for (const PerTrunkFamily& family : kPerTrunk) {
    m.Family(family.name, family.type, family.help);
    for (const TrunkSample& sample : trunks) {
      if (family.registering_only && !sample.trunk->register_) continue;
      m.Sample(family.name, family.value(sample), {{"trunk", sample.trunk->name}});
    }
  }
}

void RenderInbound(const InboundTrunkCounters& c, MetricsText& m) {
  m.Family("tutti_trunk_inbound_calls_total", "counter",
           "INVITEs recognised as a trunk's call (by its addresses).");
  m.Sample("tutti_trunk_inbound_calls_total", Count(c.calls));
  m.Family("tutti_trunk_inbound_refused_total", "counter",
           "Calls refused by the trunk rules: stranger (403, no trunk's address and no room "
           "call allowed), no_route (404, no dial plan rule), busy (503, max_calls or "
           "max_calls_per_second).");
  m.Sample("tutti_trunk_inbound_refused_total", Count(c.refused_stranger),
           {{"reason", "stranger"}});
  m.Sample("tutti_trunk_inbound_refused_total", Count(c.refused_no_route),
           {{"reason", "no_route"}});
  m.Sample("tutti_trunk_inbound_refused_total", Count(c.refused_busy), {{"reason", "busy"}});
  m.Family("tutti_trunk_inbound_early_media_total", "counter",
           "Trunk calls answered 183 Session Progress with SDP first (early_media).");
  m.Sample("tutti_trunk_inbound_early_media_total", Count(c.early_media));
}

void RenderDialOuts(const DialOutCounters& c, MetricsText& m) {
  const std::pair<const char*, std::pair<const char*, uint64_t>> families[] = {
      {"tutti_dial_outs_started_total", {"Dial-out INVITEs sent.", c.started}},
      {"tutti_dial_outs_refused_total",
       {"Dial-outs refused before any INVITE: the toll-fraud guard, a limit, no trunk.",
        c.refused}},
      {"tutti_dial_outs_answered_total",
       {"Dial-outs answered: the callee joined its room.", c.answered}},
      {"tutti_dial_outs_failed_total",
       {"Dial-outs ended unanswered: a final response >= 300, a timeout, a CANCEL.", c.failed}},
      {"tutti_dial_outs_refers_total",
       {"REFERs accepted (202): transfers into a room and RFC 4579 adds by REFER.", c.refers}},
  };
  for (const auto& [name, family] : families) {
    m.Family(name, "counter", family.first);
    m.Sample(name, Count(family.second));
  }
}

}  // namespace

void RenderTrunkMetrics(const TrunksView& view, const InboundTrunkCounters& inbound,
                        const DialOutCounters& dial_outs, MetricsText& m) {
  std::vector<TrunkSample> trunks;
  if (view.table != nullptr) {
    const std::vector<trunk::TrunkLinkStatus> links = view.Links();
    for (const trunk::TrunkConfig& trunk : view.table->trunks()) {
      TrunkSample& sample =
          trunks.emplace_back(TrunkSample{&trunk, TrunksView::LinkOf(links, trunk.name)});
      if (view.guard != nullptr) {
        sample.calls = view.guard->calls(trunk.name);
        sample.dial_outs = view.guard->dial_outs(trunk.name);
      }
    }
  }
  RenderLinks(trunks, m);
  RenderInbound(inbound, m);
  RenderDialOuts(dial_outs, m);
}

}  // namespace tutti::api
