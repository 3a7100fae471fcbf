// PLACEHOLDER (issue 17, helper "pager"): pager-mode MESSAGE relay and the
// rooms' chat. Until it lands MESSAGE keeps its old answer.
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::OnMessage(sip::TransactionId id, const sip::SipMessage&,
                               const sip::MessageSource&) {
  Reject(id, 405, "Method Not Allowed");
}
void CallController::OnChatReceived(msrp::ChatReceived&) {}
absl::StatusOr<msrp::ChatMessage> CallController::PostMessage(std::string_view, std::string_view,
                                                              std::string_view, std::string) {
  return absl::UnimplementedError("messaging is not built yet");
}
std::vector<msrp::ChatMessage> CallController::Messages(std::string_view, uint64_t, size_t) const {
  return {};
}

}  // namespace tutti
