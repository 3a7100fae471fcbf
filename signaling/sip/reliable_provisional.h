// RFC 3262 reliable provisional responses (100rel, PRACK), both sides.
//
// UAS (a carrier's INVITE with Supported or Require: 100rel, answered 183
// with SDP for early media): the 1xx carries Require: 100rel and RSeq, is
// retransmitted on T1 doubling until its PRACK arrives (the PRACK is
// answered 200), and gives up after 64*T1 (the INVITE then gets 5xx per
// §3). At most one unacknowledged reliable provisional at a time.
//
// UAC (our dial-outs): a 1xx with Require: 100rel and RSeq is answered with
// a PRACK (RAck: rseq cseq INVITE) inside the early dialog, once per RSeq,
// in order; retransmissions of it are not answered again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/sip/sip_message.h"

namespace tutti::sip {

// The option tag in Supported / Require headers.
bool Supports100rel(const SipMessage& message);  // Supported or Require lists 100rel
bool Requires100rel(const SipMessage& message);  // Require lists 100rel

// RSeq of a reliable provisional; nullopt when absent or malformed.
std::optional<uint32_t> RSeqOf(const SipMessage& response);
// RAck of a PRACK: response number, CSeq number, method.
struct RAck {
  uint32_t rseq = 0;
  uint32_t cseq = 0;
  std::string method;
};
std::optional<RAck> ParseRAck(std::string_view value);
std::string RAckValue(uint32_t rseq, uint32_t invite_cseq);  // "<rseq> <cseq> INVITE"

}  // namespace tutti::sip
