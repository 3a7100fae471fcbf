#include "signaling/call/chat_format.h"

#include <algorithm>

#include "absl/time/time.h"
#include "common/strings.h"
#include "signaling/call/event_json.h"
#include "signaling/msrp/cpim.h"
#include "signaling/sip/header_values.h"

namespace tutti {

namespace {

constexpr size_t kMaxDisplayName = 64;

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace

std::string MediaTypeOf(std::string_view content_type) {
  return AsciiLowered(StripWhitespace(content_type.substr(0, content_type.find(';'))));
}

bool TypeListed(std::string_view content_type, const std::vector<std::string>& types) {
  const std::string type = MediaTypeOf(content_type);
  for (const std::string& listed : types) {
    if (MediaTypeOf(listed) == type) return true;
  }
  return false;
}

bool AcceptsCpim(const sip::SipMessage& request) {
  for (const sip::HeaderField& field : request.headers()) {
    if (field.id != sip::HeaderId::kAccept) continue;
    const std::string type = MediaTypeOf(field.value);
    if (type == kCpimType || type == "message/*") return true;
  }
  return false;
}

bool HeaderSafe(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (static_cast<unsigned char>(c) >= 0x20 || c == '\t') && c != 0x7F;
  });
}

bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kShortest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string QuotedDisplayName(std::string_view name) {
  if (name.empty()) return {};
  std::string out = "\"";
  size_t taken = 0;
  for (char c : name) {
    if (taken >= kMaxDisplayName) break;
    ++taken;
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string WithFromDisplayName(std::string request, std::string_view display_name) {
  const std::string quoted = QuotedDisplayName(display_name);
  if (quoted.empty()) return request;
  constexpr std::string_view kFrom = "\r\nFrom: ";
  const size_t start = request.find(kFrom);
  if (start == std::string::npos) return request;
  const size_t value = start + kFrom.size();
  const size_t end = request.find("\r\n", value);
  if (end == std::string::npos) return request;
  absl::StatusOr<sip::NameAddr> from =
      sip::ParseNameAddr(std::string_view(request).substr(value, end - value));
  if (!from.ok()) return request;
  std::string rewritten = StrCat(quoted, " <", from->uri_text, ">", from->params);
  request.replace(value, end - value, rewritten);
  return request;
}

RelayBody RelayBodyFor(const msrp::ChatMessage& message, std::string_view room_uri,
                       bool accepts_cpim) {
  if (!accepts_cpim) return {message.content_type, message.body};
  msrp::CpimMessage cpim;
  const std::string sender_uri =
      message.sender_uri.empty() ? std::string(room_uri) : message.sender_uri;
  cpim.from = msrp::CpimAddress(message.sender_name, sender_uri);
  cpim.to = msrp::CpimAddress({}, room_uri);
  cpim.date_time = Rfc3339(message.time);
  cpim.content_type = message.content_type;
  cpim.body = message.body;
  return {std::string(kCpimType), msrp::WriteCpim(cpim)};
}

std::string ChatEventJson(const msrp::ChatMessage& message) {
  // A peer's header may hold bytes that are no UTF-8: JSON readers refuse
  // those, so such a field is left empty rather than break the stream.
  auto text = [](std::string_view value) { return JsonString(IsUtf8(value) ? value : ""); };
  std::string json =
      StrCat("{\"room\":", text(message.room), ",\"id\":", message.id,
             ",\"from\":", text(message.sender_uri), ",\"name\":", text(message.sender_name),
             ",\"content_type\":", text(message.content_type));
  if (IsUtf8(message.body)) {
    StrAppend(&json, ",\"body\":", JsonString(message.body));
  } else {
    StrAppend(&json, ",\"size\":", message.body.size());
  }
  StrAppend(&json, ",\"via\":\"", msrp::ChatViaName(message.via), "\",\"time\":\"",
            Rfc3339(message.time), "\"}");
  return json;
}

}  // namespace tutti
