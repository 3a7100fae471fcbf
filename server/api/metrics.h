// tuttid's Prometheus metrics, rendered on the control thread at scrape time
// from the counters each part keeps (SIP endpoint and transactions, calls,
// rooms, media workers).
#pragma once

#include <string>

#include "common/event_hub.h"
#include "mixer/worker_pool.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_directory.h"
#include "signaling/sip/sip_endpoint.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti::api {

std::string RenderMetrics(const CallController& calls, const sip::SipEndpoint& endpoint,
                          const sip::TransactionLayer& transactions, const mixer::WorkerPool& media,
                          const RoomDirectory& rooms, const EventHub& events);

}  // namespace tutti::api
