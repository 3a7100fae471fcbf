// Character classes and small scanners of the RFC 3261 §25 grammar, shared by
// the header-value parsers and the message parser. Internal to signaling/sip.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tutti::sip::grammar {

inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// SP and HTAB; after unfolding, CR and LF inside a value are white space too.
inline bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
inline bool IsTokenChar(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

inline bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
inline bool IsUnreserved(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

inline std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && IsWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

// True when every character is `allowed` or a well-formed %HH escape.
template <typename Allowed>
bool IsEscapedText(std::string_view text, Allowed allowed) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size() || !IsHexDigit(text[i + 1]) || !IsHexDigit(text[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!allowed(text[i])) {
      return false;
    }
  }
  return true;
}

// A run of decimal digits (leading zeros allowed, "0068" is 68) not above `max`.
template <typename Int>
std::optional<Int> ParseDecimal(std::string_view text, Int max) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
  }
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  Int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

// Index of the first `wanted` outside quoted strings and <...>, or npos. Quoted
// strings honour backslash escapes (RFC 3261 quoted-pair).
inline size_t FindUnquoted(std::string_view text, char wanted, size_t from = 0) {
  bool in_quotes = false;
  int angle_depth = 0;
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      }
      continue;
    }
    if (c == wanted && angle_depth == 0) return i;
    if (c == '"') {
      in_quotes = true;
    } else if (c == '<') {
      ++angle_depth;
    } else if (c == '>' && angle_depth > 0) {
      --angle_depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace tutti::sip::grammar
