// The MSRP service's events, on the control thread: each kind goes to the
// part of call control that owns it (call_messages.cc: chat messages;
// call_chat_legs.cc: sessions ending; call_file_offers.cc: files).
#include <variant>

#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

void CallController::OnMsrpEvent(msrp::MsrpEvent event) {
  control_thread_.Check();
  std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, msrp::ChatReceived>) {
          OnChatReceived(e);
        } else if constexpr (std::is_same_v<T, msrp::FileReceived>) {
          OnFileReceived(e);
        } else if constexpr (std::is_same_v<T, msrp::FileTransferFailed>) {
          OnFileTransferFailed(e);
        } else if constexpr (std::is_same_v<T, msrp::FileSent>) {
          OnFileSent(e);
        } else if (FileOffers::IsOfferId(e.call_id)) {
          OnFileOfferSessionEnded(e);  // a file we send, not a call's stream
        } else {
          OnMsrpSessionEnded(e);
        }
      },
      event);
}

const MessagingCounters& CallController::messaging_counters() const { return messaging_counters_; }
const FileCounters& CallController::file_counters() const { return file_counters_; }

}  // namespace tutti
