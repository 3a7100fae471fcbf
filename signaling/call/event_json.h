// JSON for call control's events on the API's event stream.
#pragma once

#include <string>
#include <string_view>

namespace tutti {

// A JSON string literal (quotes included) for log-safe text.
std::string JsonString(std::string_view text);

}  // namespace tutti
