#include "signaling/call/session_timer.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace tutti {
namespace {

std::optional<int> Seconds(std::string_view text) {
  text = StripWhitespace(text);
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool SupportsTimer(const sip::SipMessage& request) {
  for (const sip::HeaderField& field : request.headers()) {
    if ((field.id == sip::HeaderId::kSupported || field.id == sip::HeaderId::kRequire) &&
        EqualsIgnoreCase(StripWhitespace(field.value), "timer")) {
      return true;
    }
  }
  return false;
}

}  // namespace

SessionTimerDecision DecideSessionTimer(const sip::SipMessage& request,
                                        const SessionTimerPolicy& policy) {
  SessionTimerDecision decision;
  const bool supports_timer = SupportsTimer(request);
  const sip::HeaderField* expires = request.FindHeader(sip::HeaderId::kSessionExpires);
  if (expires == nullptr && !supports_timer) return decision;

  int interval = policy.default_se_s;
  std::string_view refresher;
  if (expires != nullptr) {
    const std::string_view value = expires->value;
    const size_t semicolon = value.find(';');
    const std::optional<int> asked = Seconds(value.substr(0, semicolon));
    if (!asked) return decision;  // unreadable: behave as if absent (no timer)
    interval = *asked;
    if (semicolon != std::string_view::npos) {
      refresher = sip::FindParam(value.substr(semicolon), "refresher").value_or("");
    }
  }
  int min_se = policy.min_se_s;
  if (const sip::HeaderField* field = request.FindHeader(sip::HeaderId::kMinSe)) {
    min_se = std::max(min_se, Seconds(field->value.substr(0, field->value.find(';'))).value_or(0));
  }
  if (interval < policy.min_se_s) {
    // §8.1: too small for us. Only a caller that supports timers can retry.
    if (supports_timer) {
      decision.reject_min_se = policy.min_se_s;
      return decision;
    }
    interval = policy.min_se_s;
  }
  interval = std::max(interval, min_se);

  // §9: keep the caller's choice; otherwise the caller refreshes when it can.
  if (EqualsIgnoreCase(refresher, "uas")) {
    decision.we_refresh = true;
  } else if (EqualsIgnoreCase(refresher, "uac")) {
    decision.we_refresh = false;
  } else {
    decision.we_refresh = !supports_timer;
  }
  decision.active = true;
  decision.interval_s = interval;
  decision.require_timer = supports_timer;
  return decision;
}

}  // namespace tutti
