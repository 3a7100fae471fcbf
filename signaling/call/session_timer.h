// RFC 4028 session timers from the UAS side: read the caller's
// Session-Expires / Min-SE / Supported: timer, decide interval and refresher,
// and say what the 2xx must carry. Pure logic; the call controller owns the
// timers.
#pragma once

#include <optional>

#include "signaling/sip/sip_message.h"

namespace tutti {

struct SessionTimerPolicy {
  int min_se_s = 90;        // RFC 4028 §4: the smallest interval allowed, at least 90
  int default_se_s = 1800;  // asked for when the caller supports timers but names no interval
};

struct SessionTimerDecision {
  // 422 Session Interval Too Small is due when > 0: the Min-SE to send.
  int reject_min_se = 0;
  bool active = false;
  int interval_s = 0;
  bool we_refresh = false;     // refresher=uas
  bool require_timer = false;  // the 2xx must say Require: timer (the caller supports it)
};

// Decides for an INVITE (initial or re-INVITE) or UPDATE. A request without
// Session-Expires from a caller that does not support timers gets none.
SessionTimerDecision DecideSessionTimer(const sip::SipMessage& request,
                                        const SessionTimerPolicy& policy);

}  // namespace tutti
