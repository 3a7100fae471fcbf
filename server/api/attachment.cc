#include "server/api/attachment.h"

#include <algorithm>

#include "common/strings.h"

namespace tutti::api {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 9110 tchar, less what a MIME type never needs ('*', '\'', '%', '|', '~', '`').
bool IsTypeChar(char c) {
  return IsAlnum(c) || std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
}

// RFC 8187 attr-char.
bool IsAttrChar(char c) {
  return IsAlnum(c) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::string AttachmentName(std::string_view offered) {
  constexpr size_t kMaxName = 100;
  std::string name;
  for (const char c : offered) {
    if (name.size() == kMaxName) break;
    const bool plain = c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '/';
    if (plain) {
      name.push_back(c);
    } else if (!name.empty() && name.back() != '_') {
      name.push_back('_');  // a space, a control, a separator or a non-ASCII byte
    }
  }
  // Never a hidden file, wherever the browser saves it.
  name.erase(0, name.find_first_not_of('.'));
  return name.empty() ? "file" : name;
}

std::string AttachmentDisposition(std::string_view offered) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : offered) {
    if (IsAttrChar(c)) {
      encoded.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    encoded.push_back('%');
    encoded.push_back(kHex[byte >> 4]);
    encoded.push_back(kHex[byte & 0xf]);
  }
  return StrCat("attachment; filename=\"", AttachmentName(offered), "\"; filename*=UTF-8''",
                encoded);
}

std::string DownloadType(std::string_view offered) {
  const size_t slash = offered.find('/');
  const bool plain = slash != std::string_view::npos && slash > 0 && slash + 1 < offered.size() &&
                     std::all_of(offered.begin(), offered.begin() + slash, IsTypeChar) &&
                     std::all_of(offered.begin() + slash + 1, offered.end(), IsTypeChar);
  return plain ? std::string(offered) : "application/octet-stream";
}

}  // namespace tutti::api
