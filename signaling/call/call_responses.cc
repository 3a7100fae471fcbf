#include "signaling/call/call_responses.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti {

using sip::HeaderId;

void Reject(sip::CallSignaling& signaling, const ServerIdentity& server, sip::TransactionId id,
            int status_code, std::string_view reason, std::string_view warning, int warn_code) {
  sip::MessageWriter response =
      signaling.ResponseFor(id, status_code, reason, sip::TransactionLayer::NewTag());
  if (status_code == 405 || status_code == 501)
    response.Header(HeaderId::kAllow, server.allowed_methods);
  if (status_code == 415) response.Header(HeaderId::kAccept, kSdpType);
  // RFC 6665 §8.3.1: which event packages we do serve (conference, RFC 4575).
  if (status_code == 489) response.Header("Allow-Events", "conference");
  if (status_code == 503 || (status_code == 500 && reason == "Request Pending")) {
    response.Header(HeaderId::kRetryAfter, StrCat(server.retry_after_s));
  }
  if (!warning.empty()) {
    std::string text(warning);
    std::replace(text.begin(), text.end(), '"', '\'');  // a quoted-string (RFC 3261 §20.43)
    response.Header("Warning", StrCat(warn_code, " tutti \"", text, "\""));
  } else if (status_code == 488) {
    response.Header("Warning", "305 tutti \"Incompatible media format\"");
  }
  response.Header(HeaderId::kServer, server.user_agent);
  signaling.Respond(id, status_code, std::move(response).Finish());
}

bool CheckRequire(sip::CallSignaling& signaling, sip::TransactionId id,
                  const sip::SipMessage& request) {
  std::vector<std::string> unsupported;
  for (const sip::HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kRequire) continue;
    for (std::string_view tag : SplitNonEmpty(field.value, ',')) {
      // RFC 3262: an INVITE may require reliable provisionals (a trunk
      // whose prack is "off" refuses them itself, call_trunk_calls.cc).
      if (!EqualsIgnoreCase(tag, "100rel")) unsupported.emplace_back(tag);
    }
  }
  if (unsupported.empty()) return true;
  sip::MessageWriter response =
      signaling.ResponseFor(id, 420, "Bad Extension", sip::TransactionLayer::NewTag());
  response.Header(HeaderId::kUnsupported, absl::StrJoin(unsupported, ", "));
  signaling.Respond(id, 420, std::move(response).Finish());
  return false;
}

bool IsSdp(std::string_view content_type) {
  std::string_view media_type = content_type.substr(0, content_type.find(';'));
  return EqualsIgnoreCase(StripWhitespace(media_type), kSdpType);
}

}  // namespace tutti
