// message/cpim (RFC 3862 §3): message headers, a blank line, the MIME
// headers of the encapsulated part (Content-Type among them), a blank
// line, the content. Lines end in CRLF; a bare LF is read too, since
// some clients write one.
#include "signaling/msrp/cpim.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "common/strings.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// A wrapper with more headers than this is no chat message we relay.
constexpr size_t kMaxHeaders = 64;

bool IsControl(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

// What a name or URI of ours may not hold: tabs as well (a tab inside an
// address is no one's name).
bool IsControlOrTab(char c) { return IsControl(c) || c == '\t'; }

bool HasControl(std::string_view text) {
  for (char c : text) {
    if (IsControl(c)) return true;
  }
  return false;
}

// The next line from *position, without its line end; nullopt when no
// line end follows.
std::optional<std::string_view> NextLine(std::string_view text, size_t* position) {
  const size_t lf = text.find('\n', *position);
  if (lf == text.npos) return std::nullopt;
  std::string_view line = text.substr(*position, lf - *position);
  if (line.ends_with('\r')) line.remove_suffix(1);
  *position = lf + 1;
  return line;
}

// "Name: value"; the name may carry parameters (Subject;lang=fr) and a
// namespace prefix (MyFeatures.WakeupTime), so it is anything up to the
// colon without spaces or control characters.
bool SplitHeader(std::string_view line, std::string_view* name, std::string_view* value) {
  const size_t colon = line.find(':');
  if (colon == 0 || colon == line.npos) return false;
  *name = line.substr(0, colon);
  *value = StripWhitespace(line.substr(colon + 1));
  if (HasControl(*value)) return false;
  for (char c : *name) {
    if (IsControl(c) || c == ' ' || c == '\t') return false;
  }
  return true;
}

// From, To and DateTime once each into their fields (a second To, or cc,
// goes with the others); an empty one does not parse.
bool TakeMessageHeader(std::string_view name, std::string_view value, CpimMessage* message) {
  for (auto [known, field] : {std::pair{"From", &message->from}, std::pair{"To", &message->to},
                              std::pair{"DateTime", &message->date_time}}) {
    if (!EqualsIgnoreCase(name, known)) continue;
    if (value.empty()) return false;
    if (field->empty()) {
      *field = std::string(value);
      return true;
    }
  }
  if (message->other_headers.size() >= kMaxHeaders) return false;
  message->other_headers.emplace_back(std::string(name), std::string(value));
  return true;
}

std::string WithoutControls(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (IsControl(c)) c = ' ';
  }
  return out;
}

bool IsPlainNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 3862's Formal-name is tokens separated by single spaces, or a
// quoted string: a name of plain words stays as it is, any other is quoted.
bool NeedsQuotes(std::string_view name) {
  if (name.front() == ' ' || name.back() == ' ') return true;
  char previous = 'x';
  for (char c : name) {
    if (c == ' ' ? previous == ' ' : !IsPlainNameChar(c)) return true;
    previous = c;
  }
  return false;
}

}  // namespace

std::optional<CpimMessage> ParseCpim(std::string_view text) {
  CpimMessage message;
  size_t position = 0;
  for (;;) {
    const std::optional<std::string_view> line = NextLine(text, &position);
    if (!line) return std::nullopt;
    if (line->empty()) break;
    std::string_view name, value;
    if (!SplitHeader(*line, &name, &value)) return std::nullopt;
    if (!TakeMessageHeader(name, value, &message)) return std::nullopt;
  }
  // The encapsulated part's MIME headers: Content-Type is kept, the others
  // (Content-ID, Content-Disposition...) mean nothing to a relayed chat line.
  for (size_t count = 0;; ++count) {
    const std::optional<std::string_view> line = NextLine(text, &position);
    if (!line || count > kMaxHeaders) return std::nullopt;
    if (line->empty()) break;
    std::string_view name, value;
    if (!SplitHeader(*line, &name, &value)) return std::nullopt;
    if (EqualsIgnoreCase(name, "Content-Type")) {
      if (!message.content_type.empty() || value.empty()) return std::nullopt;
      message.content_type = std::string(value);
    }
  }
  if (message.content_type.empty()) return std::nullopt;
  message.body = std::string(text.substr(position));
  return message;
}

std::string WriteCpim(const CpimMessage& message) {
  std::string out;
  out.reserve(256 + message.body.size());
  if (!message.from.empty()) StrAppend(&out, "From: ", WithoutControls(message.from), kCrlf);
  if (!message.to.empty()) StrAppend(&out, "To: ", WithoutControls(message.to), kCrlf);
  if (!message.date_time.empty()) {
    StrAppend(&out, "DateTime: ", WithoutControls(message.date_time), kCrlf);
  }
  for (const auto& [name, value] : message.other_headers) {
    StrAppend(&out, WithoutControls(name), ": ", WithoutControls(value), kCrlf);
  }
  StrAppend(&out, kCrlf, "Content-Type: ", WithoutControls(message.content_type), kCrlf, kCrlf,
            message.body);
  return out;
}

std::string CpimAddress(std::string_view display_name, std::string_view uri) {
  // Neither part may end the header or the angle brackets early.
  std::string clean_uri;
  for (char c : uri) {
    if (!IsControlOrTab(c) && c != '<' && c != '>' && c != ' ') clean_uri.push_back(c);
  }
  std::string name(StripWhitespace(display_name));
  for (char& c : name) {
    if (IsControlOrTab(c)) c = ' ';
  }
  if (name.empty()) return StrCat("<", clean_uri, ">");
  if (!NeedsQuotes(name)) return StrCat(name, " <", clean_uri, ">");
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  StrAppend(&quoted, "\" <", clean_uri, ">");
  return quoted;
}

}  // namespace tutti::msrp
