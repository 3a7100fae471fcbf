// STUN messages (RFC 5389 §6) arriving on a media port. Without ICE, phones
// still send them: linphone (mediastreamer2) sends Binding requests to the
// RTP and RTCP ports at the start of a call, and every 500 ms on the RTCP
// port until its first report, to open NAT bindings. They carry no media
// and need no answer; recognised, they are not counted as malformed RTP.
#pragma once

#include <cstdint>
#include <span>

namespace tutti::media {

constexpr size_t kStunHeaderSize = 20;

// RFC 7983 §7: a first byte of 0..3 is STUN (the two top bits of every STUN
// message are zero). Also required: a whole header and a length field that
// accounts for the rest of the datagram in 32-bit words (RFC 5389 §6). The
// magic cookie is not: RFC 3489 clients send none.
bool IsStunMessage(std::span<const uint8_t> datagram);

}  // namespace tutti::media
