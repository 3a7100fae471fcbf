// PLACEHOLDER (issue 17, helper "chatlegs"): m=message streams of calls.
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::OnMsrpSessionEnded(const msrp::SessionEnded&) {}

}  // namespace tutti
