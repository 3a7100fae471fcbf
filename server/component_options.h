// What each part of tuttid is given from its configuration (ops/tutti.toml
// documents every key): one function per part, so the daemon's start reads
// as its steps and each mapping is found by the part's name.
#pragma once

#include "mixer/worker_pool.h"
#include "server/api/control_api.h"
#include "server/config/config.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/overload_guard.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sip/digest_auth.h"
#include "signaling/sip/sip_transports.h"

namespace tutti {

// Without the packet plane's PacketIo factory, which the daemon adds.
mixer::WorkerPoolOptions WorkerPoolOptionsFrom(const Config& config);
// [media] admission keys: at start (in the pool's options) and on a reload.
mixer::AdmissionLimits AdmissionLimitsFrom(const Config& config);
OverloadLimits OverloadLimitsFrom(const Config& config);
// Without the user agent and the DTLS context, which the daemon adds.
CallControllerOptions CallControllerOptionsFrom(const Config& config);
sip::DigestOptions DigestOptionsFrom(const Config& config);
sip::TransportOptions TransportOptionsFrom(const Config& config);
api::ControlApiOptions ControlApiOptionsFrom(const Config& config);
MessagingOptions MessagingOptionsFrom(const Config& config);
msrp::MsrpOptions MsrpOptionsFrom(const Config& config);
msrp::FileStoreOptions FileStoreOptionsFrom(const Config& config);

}  // namespace tutti
