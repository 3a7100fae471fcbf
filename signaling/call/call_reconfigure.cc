// PLACEHOLDER (issue 19, live owner): CallController::Reconfigure.
#include "signaling/call/call_controller.h"

namespace tutti {

void CallController::Reconfigure(const CallControllerOptions& options) { (void)options; }

}  // namespace tutti
