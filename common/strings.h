// String helpers over std::string_view, the view type of this code base.
// Debian's Abseil 20220623 keeps absl::string_view apart from
// std::string_view (no conversion either way), so absl::StrCat and friends do
// not take our views; these do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/string_view.h"

namespace tutti {

namespace strings_internal {
inline void AppendOne(std::string& out, std::string_view part) { out.append(part); }
inline void AppendOne(std::string& out, const char* part) { out.append(part); }
inline void AppendOne(std::string& out, const std::string& part) { out.append(part); }
// absl::Status messages are absl::string_view, a type of its own in Debian's Abseil.
inline void AppendOne(std::string& out, absl::string_view part) {
  out.append(part.data(), part.size());
}
inline void AppendOne(std::string& out, char part) { out.push_back(part); }
template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
void AppendOne(std::string& out, Int part) {
  out.append(std::to_string(part));
}
}  // namespace strings_internal

// Concatenates strings, views (std and absl), characters and integers (decimal).
template <typename... Parts>
std::string StrCat(const Parts&... parts) {
  std::string out;
  (strings_internal::AppendOne(out, parts), ...);
  return out;
}

template <typename... Parts>
void StrAppend(std::string* out, const Parts&... parts) {
  (strings_internal::AppendOne(*out, parts), ...);
}

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

inline std::string AsciiLowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool IsLinearWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline std::string_view StripTrailingWhitespace(std::string_view text) {
  while (!text.empty() && IsLinearWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

inline std::string_view StripWhitespace(std::string_view text) {
  while (!text.empty() && IsLinearWhitespace(text.front())) text.remove_prefix(1);
  return StripTrailingWhitespace(text);
}

// Splits on `separator`, trims each piece and leaves out the empty ones.
inline std::vector<std::string_view> SplitNonEmpty(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view piece = StripWhitespace(text.substr(start, end - start));
    if (!piece.empty()) pieces.push_back(piece);
    start = end + 1;
  }
  return pieces;
}

}  // namespace tutti
