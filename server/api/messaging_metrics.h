// /metrics for instant messages and files in rooms (issue 17): call
// control's pager-mode relay and file offers, and the MSRP service's own
// counters (connections, chat, bytes, files), which its thread keeps in
// atomics read here on the control thread.
#pragma once

#include "server/api/metrics_text.h"
#include "signaling/call/call_controller.h"
#include "signaling/msrp/msrp_service.h"

namespace tutti::api {

// `msrp` null: no MSRP service runs ([messaging] enabled = false), and no
// tutti_msrp_* family is written.
void RenderMessagingMetrics(const CallController& calls, const msrp::MsrpStats* msrp,
                            MetricsText& m);

}  // namespace tutti::api
