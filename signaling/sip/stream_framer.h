// Frames SIP messages out of a byte stream (TCP, TLS) by their Content-Length
// (RFC 3261 §18.3), with a limit on message size so a peer cannot make the
// server buffer without bound.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tutti::sip {

class StreamFramer {
 public:
  explicit StreamFramer(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  enum class Result {
    kMessage,   // *message holds one complete message (start line to end of body)
    kNeedMore,  // feed more bytes
    kError,     // the stream cannot be framed (no or bad Content-Length, too large): close it
  };

  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // Takes the next complete message out of the buffer. CRLF keep-alives
  // (RFC 5626 §3.5.1) between messages are skipped. On kError, *error names why.
  Result Next(std::string* message, std::string* error);
  size_t buffered() const { return buffer_.size(); }

 private:
  size_t max_message_bytes_;
  std::string buffer_;
};

}  // namespace tutti::sip
