// Answers call control gives without a dialog's help: rejections (with the
// headers each status needs) and 420 for a Require we do not support.
#pragma once

#include <string>
#include <string_view>

#include "signaling/sip/call_signaling.h"

namespace tutti {

// What Allow lists (OPTIONS, 200s to INVITEs, 405 and 501): MESSAGE only
// while it is relayed ([messaging] enabled; otherwise it gets 405).
inline constexpr std::string_view kAllowedMethods =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, SUBSCRIBE, MESSAGE, REFER";
inline constexpr std::string_view kAllowedMethodsWithoutMessage =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, SUBSCRIBE, REFER";
inline constexpr std::string_view kSdpType = "application/sdp";
// The extensions tutti supports (RFC 4028 session timers, RFC 3262 reliable
// provisionals), named alike in OPTIONS answers and in the 200 to an INVITE.
inline constexpr std::string_view kSupportedExtensions = "timer, 100rel";

// How the server names itself and when it asks to be retried.
struct ServerIdentity {
  std::string user_agent = "tutti";
  int retry_after_s = 5;
  std::string_view allowed_methods = kAllowedMethods;  // the Allow header's
};

// A final error response with a fresh To tag. `warning`: the text of a
// Warning header (why media was refused) with `warn_code`; empty: a 488
// gets the generic 305 "Incompatible media format".
void Reject(sip::CallSignaling& signaling, const ServerIdentity& server, sip::TransactionId id,
            int status_code, std::string_view reason = {}, std::string_view warning = {},
            int warn_code = 399);

// RFC 3261 §8.2.2.3: of the extensions a caller could require we support
// 100rel only. False when the request has been answered 420.
bool CheckRequire(sip::CallSignaling& signaling, sip::TransactionId id,
                  const sip::SipMessage& request);

// Whether a Content-Type is application/sdp (parameters ignored).
bool IsSdp(std::string_view content_type);

}  // namespace tutti
