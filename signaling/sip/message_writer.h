// Builds outgoing SIP messages as text (RFC 3261 §7): the serializer side of
// SipMessage. Content-Length is always written, last, from the body.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "signaling/sip/sip_message.h"
#include "signaling/sip/sip_method.h"

namespace tutti::sip {

// The RFC 3261 §21 reason phrase for a code ("Busy Here"); "Unknown" otherwise.
std::string_view DefaultReasonPhrase(int status_code);

class MessageWriter {
 public:
  static MessageWriter Request(std::string_view method, std::string_view request_uri);
  static MessageWriter Request(Method method, std::string_view request_uri);
  // An empty reason uses DefaultReasonPhrase.
  static MessageWriter Response(int status_code, std::string_view reason = {});

  // Appends "name: value\r\n". Values are written as given.
  MessageWriter& Header(std::string_view name, std::string_view value) &;
  MessageWriter& Header(HeaderId id, std::string_view value) &;
  // The same on a temporary, so that a chain can end in Finish().
  MessageWriter&& Header(std::string_view name, std::string_view value) && {
    return std::move(Header(name, value));
  }
  MessageWriter&& Header(HeaderId id, std::string_view value) && {
    return std::move(Header(id, value));
  }

  // Adds Content-Type (when body is non-empty and content_type given) and
  // Content-Length, the blank line and the body.
  std::string Finish(std::string_view body = {}, std::string_view content_type = {}) &&;

 private:
  std::string text_;
};

// A response to `request` (RFC 3261 §8.2.6): every Via in order, From, To (a
// tag is added when the request's To had none and to_tag is non-empty),
// Call-ID, CSeq, and for 100 Trying the Timestamp. Add more headers, then Finish().
// A non-empty `top_via` replaces the value of the first Via (the transaction
// layer passes the request's top Via stamped with received/rport, RFC 3581).
MessageWriter ResponseTo(const SipMessage& request, int status_code, std::string_view reason = {},
                         std::string_view to_tag = {}, std::string_view top_via = {});

}  // namespace tutti::sip
