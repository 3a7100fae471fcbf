#include "signaling/sip/stream_framer.h"

#include "signaling/sip/sip_grammar.h"
#include "signaling/sip/sip_message.h"

namespace tutti::sip {
namespace {

// Finds Content-Length (or its compact form "l") among header lines and reads
// it; nullopt when absent, -1 when malformed or repeated with another value.
std::optional<long long> FindContentLength(std::string_view headers) {
  std::optional<long long> found;
  size_t line_start = 0;
  while (line_start < headers.size()) {
    size_t newline = headers.find('\n', line_start);
    if (newline == std::string_view::npos) newline = headers.size();
    std::string_view line = headers.substr(line_start, newline - line_start);
    line_start = newline + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.empty() || grammar::IsWhitespace(line.front())) {
      continue;
    }
    if (HeaderIdFromName(grammar::TrimWhitespace(line.substr(0, colon))) !=
        HeaderId::kContentLength) {
      continue;
    }
    const std::optional<long long> value = grammar::ParseDecimal<long long>(
        grammar::TrimWhitespace(line.substr(colon + 1)), 1LL << 40);
    if (!value || (found && *found != *value)) return -1;
    found = value;
  }
  return found;
}

}  // namespace

StreamFramer::Result StreamFramer::Next(std::string* message, std::string* error) {
  // Keep-alives: CRLF (and a lone LF) between messages.
  size_t skip = 0;
  while (skip < buffer_.size() && (buffer_[skip] == '\r' || buffer_[skip] == '\n')) ++skip;
  buffer_.erase(0, skip);
  if (buffer_.empty()) return Result::kNeedMore;

  size_t header_end = buffer_.find("\r\n\r\n");
  size_t separator = 4;
  if (const size_t bare = buffer_.find("\n\n"); bare < header_end) {
    header_end = bare;
    separator = 2;
  }
  if (header_end == std::string::npos) {
    if (buffer_.size() > max_message_bytes_) {
      *error = "header section exceeds the message size limit";
      return Result::kError;
    }
    return Result::kNeedMore;
  }
  const std::optional<long long> length =
      FindContentLength(std::string_view(buffer_).substr(0, header_end));
  if (!length) {
    *error = "no Content-Length on a stream transport";
    return Result::kError;
  }
  if (*length < 0) {
    *error = "malformed Content-Length";
    return Result::kError;
  }
  const size_t total = header_end + separator + static_cast<size_t>(*length);
  if (total > max_message_bytes_) {
    *error = "message exceeds the size limit";
    return Result::kError;
  }
  if (buffer_.size() < total) return Result::kNeedMore;
  message->assign(buffer_, 0, total);
  buffer_.erase(0, total);
  return Result::kMessage;
}

}  // namespace tutti::sip
