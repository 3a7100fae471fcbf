// PLACEHOLDER (issue 17, helper "files"): stored files offered to members.
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::OnFileReceived(const msrp::FileReceived&) {}
void CallController::OnFileTransferFailed(const msrp::FileTransferFailed&) {}
void CallController::OnFileSent(const msrp::FileSent&) {}

}  // namespace tutti
