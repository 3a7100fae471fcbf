// Parses one complete SIP message (a datagram, or one message framed from a
// TCP stream by StreamFramer) per RFC 3261 §7 and §25, tolerant of what RFC
// 4475's valid torture messages contain and strict where a guess would be unsafe.
#pragma once

#include <string>
#include <string_view>

#include "signaling/sip/sip_message.h"

namespace tutti::sip {

struct ParseOutcome {
  // As much as could be read. Valid (every essential header parsed) when ok().
  SipMessage message;
  // 0 when the message is valid. Otherwise the status code a request deserves
  // (400, 416 unsupported URI scheme, 505 version not supported, 483 ...).
  int reject_status = 0;
  // A reason phrase naming the fault, fit for the status line:
  // "Missing Call-ID", "Malformed Via header", "Content-Length exceeds body".
  std::string reject_reason;
  // The reject can be answered: it is a request whose top Via, From, To,
  // Call-ID and CSeq could be read (so a response can be built and routed).
  bool answerable = false;

  bool ok() const { return reject_status == 0; }
};

// `bytes` is taken over as the message's buffer. On a datagram transport a
// missing Content-Length means "the body is the rest of the datagram"; on a
// stream transport it means an empty body (the framer enforces that).
enum class Framing { kDatagram, kStream };
ParseOutcome ParseSipMessage(std::string bytes, Framing framing = Framing::kDatagram);

}  // namespace tutti::sip
