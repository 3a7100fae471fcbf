// /metrics for the SIP stream transports (TCP, TLS): open connections and
// why connections were refused or closed (limits, slow messages, idle,
// failed or slow TLS handshakes, no file descriptor left).
#pragma once

#include "server/api/metrics_text.h"
#include "signaling/sip/sip_transports.h"

namespace tutti::api {

void RenderTransportMetrics(const sip::SipTransports& transports, MetricsText& m);

}  // namespace tutti::api
