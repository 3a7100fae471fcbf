#include "signaling/call/dial_outs.h"

#include <vector>

#include "common/strings.h"
#include "signaling/call/event_json.h"
#include "signaling/sip/header_values.h"
#include "signaling/trunk/phone_number.h"

namespace tutti {
namespace {

// The dialled part of a target: the number of a tel: URI, the user part of
// a sip: URI (which must name `only` a trunk's host), the text itself.
struct Dialled {
  std::string text;
  const trunk::TrunkConfig* only = nullptr;  // a sip: URI: this trunk alone
};

absl::StatusOr<Dialled> DialledOf(const trunk::TrunkTable& trunks, std::string_view target) {
  const std::string_view trimmed = StripWhitespace(target);
  const size_t colon = trimmed.find(':');
  const std::string_view scheme =
      colon == std::string_view::npos ? std::string_view() : trimmed.substr(0, colon);
  if (EqualsIgnoreCase(scheme, "tel")) {
    std::string_view number = trimmed.substr(colon + 1);
    number = number.substr(0, number.find(';'));  // ;phone-context and the like
    return Dialled{std::string(number)};
  }
  if (!EqualsIgnoreCase(scheme, "sip") && !EqualsIgnoreCase(scheme, "sips")) {
    return Dialled{std::string(trimmed)};
  }
  absl::StatusOr<sip::SipUri> uri = sip::ParseUri(trimmed);
  if (!uri.ok() || uri->user.empty()) {
    return absl::InvalidArgumentError("the target is not a number, tel: or sip: URI with a user");
  }
  if (const trunk::TrunkConfig* trunk = trunks.ForHost(uri->host)) {
    return Dialled{std::string(uri->user), trunk};
  }
  // Anything else would make tutti a free relay to any SIP address.
  return absl::PermissionDeniedError(
      StrCat("sip: URIs may only name a trunk's domain, not ", uri->host));
}

}  // namespace

std::string_view TrunkDomain(const trunk::TrunkConfig& trunk) {
  return trunk.domain.empty() ? std::string_view(trunk.host) : std::string_view(trunk.domain);
}

absl::StatusOr<DialOutTarget> ResolveDialOutTarget(
    const trunk::TrunkTable& trunks, std::string_view target,
    const std::function<bool(const trunk::TrunkConfig&)>& down) {
  if (target.size() > 256) return absl::InvalidArgumentError("the target is too long");
  absl::StatusOr<Dialled> dialled = DialledOf(trunks, target);
  if (!dialled.ok()) return dialled.status();
  std::vector<std::string_view> skip;
  for (const trunk::TrunkConfig& trunk : trunks.trunks()) {
    if (down(trunk) || (dialled->only != nullptr && dialled->only != &trunk)) {
      skip.push_back(trunk.name);
    }
  }
  bool a_number = false;
  bool only_down = false;
  // A number is read by each trunk's own rules (its country code), in config order.
  for (const trunk::TrunkConfig& trunk : trunks.trunks()) {
    if (dialled->only != nullptr && dialled->only != &trunk) continue;
    std::optional<std::string> number = trunk::NormalizeNumber(dialled->text, trunk.numbers);
    if (!number) continue;
    a_number = true;
    if (const trunk::TrunkConfig* chosen = trunks.OutboundFor(*number, skip)) {
      std::optional<std::string> in_its_rules =
          trunk::NormalizeNumber(dialled->text, chosen->numbers);
      return DialOutTarget{chosen, in_its_rules ? *in_its_rules : *number};
    }
    if (trunks.OutboundFor(*number) != nullptr) only_down = true;
  }
  if (!a_number) return absl::InvalidArgumentError("the target is not a phone number");
  if (only_down) return absl::UnavailableError("every trunk that may call the number is down");
  return absl::PermissionDeniedError("no trunk may call the number (dial_out_patterns)");
}

std::string DialOutEventJson(std::string_view room, uint64_t id, const DialOutLeg& leg,
                             std::string_view state) {
  std::string json = StrCat(
      "{\"room\":", JsonString(room), ",\"id\":", id, ",\"number\":", JsonString(leg.number),
      ",\"trunk\":", JsonString(leg.trunk != nullptr ? std::string_view(leg.trunk->name) : ""),
      ",\"requested_by\":", JsonString(leg.requested_by), ",\"state\":", JsonString(state));
  if (leg.final_status != 0) {
    StrAppend(&json, ",\"status\":", leg.final_status,
              ",\"reason\":", JsonString(leg.final_reason));
  }
  json.push_back('}');
  return json;
}

std::string Sipfrag(int status, std::string_view reason) {
  // A reason from the wire is one line of printable text here.
  std::string clean;
  for (char c : reason.substr(0, 64)) {
    if (c >= 0x20 && c != 0x7f) clean.push_back(c);
  }
  return StrCat("SIP/2.0 ", status, " ", clean, "\r\n");
}

}  // namespace tutti
