// A key press carried by SIP INFO, as older phones and gateways send DTMF:
// application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf
// (the digit alone). Other INFO bodies are acknowledged and ignored.
#pragma once

#include <optional>
#include <string_view>

namespace tutti {

// The key ('0'-'9', '*', '#', 'A'-'D'), or nullopt when the body carries none.
std::optional<char> DigitFromInfo(std::string_view content_type, std::string_view body);

}  // namespace tutti
