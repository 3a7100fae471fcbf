#include "signaling/call/info_digit.h"

#include "common/strings.h"

namespace tutti {

std::optional<char> DigitFromInfo(std::string_view content_type, std::string_view body) {
  const std::string_view type = StripWhitespace(content_type.substr(0, content_type.find(';')));
  std::string_view value;
  if (EqualsIgnoreCase(type, "application/dtmf-relay")) {
    for (std::string_view line : SplitNonEmpty(body, '\n')) {
      const size_t equals = line.find('=');
      if (equals != std::string_view::npos &&
          EqualsIgnoreCase(StripWhitespace(line.substr(0, equals)), "Signal")) {
        value = StripWhitespace(line.substr(equals + 1));
      }
    }
  } else if (EqualsIgnoreCase(type, "application/dtmf")) {
    value = StripWhitespace(body);
  }
  if (value.size() == 2 && value == "10") return '*';
  if (value.size() == 2 && value == "11") return '#';
  if (value.size() != 1) return std::nullopt;
  const char c = static_cast<char>(value[0] >= 'a' && value[0] <= 'd' ? value[0] - 32 : value[0]);
  if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) return c;
  return std::nullopt;
}

}  // namespace tutti
