#include "signaling/msrp/msrp_grammar.h"

#include "absl/strings/ascii.h"
#include "common/strings.h"

namespace tutti::msrp {
namespace {

constexpr size_t kMinIdent = 4;
constexpr size_t kMaxIdent = 32;
// 19 digits always fit a uint64_t; more would be a lie about any real size.
constexpr size_t kMaxDigits = 19;

bool IsIdentChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
         c == '%' || c == '=';
}

bool ParseNumber(std::string_view digits, uint64_t* value) {
  if (digits.empty() || digits.size() > kMaxDigits) return false;
  uint64_t result = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    result = result * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = result;
  return true;
}

// A number or "*" (nullopt).
bool ParseNumberOrStar(std::string_view text, std::optional<uint64_t>* value) {
  if (text == "*") {
    value->reset();
    return true;
  }
  uint64_t number = 0;
  if (!ParseNumber(text, &number)) return false;
  *value = number;
  return true;
}

}  // namespace

bool IsIdent(std::string_view text) {
  if (text.size() < kMinIdent || text.size() > kMaxIdent) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '!' ||
         c == '%' || c == '*' || c == '_' || c == '+' || c == '`' || c == '\'' || c == '~';
}

bool IsText(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) return false;
  }
  return true;
}

bool ParseStatusCode(std::string_view digits, int* code) {
  if (digits.size() != 3 || digits[0] < '1' || digits[0] > '9') return false;
  uint64_t value = 0;
  if (!ParseNumber(digits, &value)) return false;
  *code = static_cast<int>(value);
  return true;
}

bool ParseByteRange(std::string_view text, ByteRange* range) {
  const size_t dash = text.find('-');
  const size_t slash = text.find('/');
  if (dash == text.npos || slash == text.npos || slash < dash) return false;
  ByteRange parsed;
  if (!ParseNumber(text.substr(0, dash), &parsed.start) || parsed.start == 0) return false;
  if (!ParseNumberOrStar(text.substr(dash + 1, slash - dash - 1), &parsed.end)) return false;
  if (!ParseNumberOrStar(text.substr(slash + 1), &parsed.total)) return false;
  if (parsed.end && *parsed.end + 1 < parsed.start) return false;
  if (parsed.total) {
    if (parsed.end && *parsed.end > *parsed.total) return false;
    if (parsed.start > *parsed.total + 1) return false;
  }
  *range = parsed;
  return true;
}

std::string FormatByteRange(const ByteRange& range) {
  const auto number_or_star = [](const std::optional<uint64_t>& value) {
    return value ? StrCat(*value) : std::string("*");
  };
  return StrCat(range.start, "-", number_or_star(range.end), "/", number_or_star(range.total));
}

bool ParseReportStatus(std::string_view text, int* code, std::string* comment) {
  if (text.size() < 7 || text.substr(0, 4) != "000 ") return false;
  if (!ParseStatusCode(text.substr(4, 3), code)) return false;
  if (text.size() == 7) {
    comment->clear();
    return true;
  }
  if (text[7] != ' ') return false;
  *comment = std::string(text.substr(8));
  return true;
}

bool IsMediaType(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == 0 || slash == text.npos) return false;
  for (size_t i = 0; i < slash; ++i) {
    if (!IsTokenChar(text[i])) return false;
  }
  const size_t subtype_end = text.find_first_of("; \t", slash + 1);
  const std::string_view subtype = text.substr(slash + 1, subtype_end - slash - 1);
  if (subtype.empty()) return false;
  for (char c : subtype) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

}  // namespace tutti::msrp
