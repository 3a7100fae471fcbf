// A room's chat message as every part of tutti sees it, whatever carried
// it in (a SIP MESSAGE, an MSRP SEND, the control API): the call
// controller's room chat keeps and relays it, the MSRP service relays it
// to its members, the API lists it, the event stream publishes it.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace tutti::msrp {

enum class ChatVia : uint8_t { kSip, kMsrp, kApi };
std::string_view ChatViaName(ChatVia via);  // "sip", "msrp", "api"

struct ChatMessage {
  uint64_t id = 0;  // in the room, from 1, given by the room chat; 0: not yet
  std::string room;
  // The sender: a call of the controller (0: the room itself or the
  // operator through the API), its URI and display name as the others see
  // them ("sip:alice@example.com", "Alice").
  uint64_t sender_call = 0;
  std::string sender_uri;
  std::string sender_name;
  // The content itself (a CPIM wrapper it came in is taken off).
  std::string content_type = "text/plain";
  std::string body;
  absl::Time time;
  ChatVia via = ChatVia::kSip;
};

inline std::string_view ChatViaName(ChatVia via) {
  switch (via) {
    case ChatVia::kSip:
      return "sip";
    case ChatVia::kMsrp:
      return "msrp";
    case ChatVia::kApi:
      return "api";
  }
  return "sip";
}

}  // namespace tutti::msrp
