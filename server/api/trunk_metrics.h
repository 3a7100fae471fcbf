// /metrics for SIP trunks (issue 18): each trunk's link (up, registered,
// REGISTER and OPTIONS counts) and calls now, and call control's counters
// of trunk calls (tutti_trunk_inbound_*) and dial-outs (tutti_dial_outs_*).
#pragma once

#include "server/api/metrics_text.h"
#include "server/api/trunks_view.h"
#include "signaling/call/call_controller.h"

namespace tutti::api {

// The per-trunk families have no sample without trunks; the counters are
// always written.
void RenderTrunkMetrics(const TrunksView& view, const InboundTrunkCounters& inbound,
                        const DialOutCounters& dial_outs, MetricsText& m);

}  // namespace tutti::api
