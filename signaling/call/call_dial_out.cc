// PLACEHOLDER: its owner replaces this file (issue 18): dial-outs.
#include "signaling/call/call_controller.h"

namespace tutti {

absl::StatusOr<uint64_t> CallController::DialOut(DialOutRequest /*request*/) {
  return absl::UnimplementedError("dial-out is not built yet");
}

}  // namespace tutti
