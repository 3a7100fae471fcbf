// libFuzzer target for reading phone numbers and callers out of what a trunk
// (or a stranger) sends: the input as a SIP message (CalledNumberOf,
// CallerOf under two rule sets), as a dialled string (NormalizeNumber,
// FormatNumber) and as "pattern|number" (CheckPattern, MatchesPattern).
// Properties checked beyond "no crash, no sanitizer report":
//  - every number read is 1-32 digits;
//  - a canonical number written in any format reads back as itself;
//  - a display name is bounded and holds no control characters;
//  - matching is safe for any pattern, refused ones too.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "signaling/sip/sip_parser.h"
#include "signaling/trunk/dial_plan.h"
#include "signaling/trunk/phone_number.h"

namespace {

using tutti::trunk::NumberRules;

void CheckNumber(std::string_view number) {
  if (number.empty() || number.size() > 32) std::abort();
  for (char c : number) {
    if (c < '0' || c > '9') std::abort();
  }
}

// "+e164" is exact whatever the rules; the other formats are read back by
// the trunk's national rules, which a short number may not survive.
void CheckRoundTrip(const std::string& number, const NumberRules& rules) {
  NumberRules global = rules;
  global.format = "+e164";
  const std::string written = tutti::trunk::FormatNumber(number, global);
  if (tutti::trunk::NormalizeNumber(written, rules) != number) std::abort();
}

void CheckMessage(const std::string& bytes, const NumberRules& rules) {
  tutti::sip::ParseOutcome outcome = tutti::sip::ParseSipMessage(bytes);
  if (!outcome.answerable || !outcome.message.is_request()) return;
  if (std::optional<std::string> called = tutti::trunk::CalledNumberOf(outcome.message, rules)) {
    CheckNumber(*called);
  }
  const tutti::trunk::CallerIdentity caller = tutti::trunk::CallerOf(outcome.message, rules);
  if (!caller.number.empty()) CheckNumber(caller.number);
  if (caller.display_name.size() > 128) std::abort();
  for (unsigned char c : caller.display_name) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  NumberRules uk;
  uk.country_code = "44";
  const NumberRules plain;
  for (const NumberRules& rules : {uk, plain}) {
    CheckMessage(bytes, rules);
    if (std::optional<std::string> number = tutti::trunk::NormalizeNumber(bytes, rules)) {
      CheckNumber(*number);
      CheckRoundTrip(*number, rules);
    }
  }
  const size_t bar = bytes.find('|');
  if (bar != std::string::npos) {
    const std::string_view pattern = std::string_view(bytes).substr(0, bar);
    const std::string_view number = std::string_view(bytes).substr(bar + 1);
    (void)tutti::trunk::CheckPattern(pattern);
    (void)tutti::trunk::MatchesPattern(pattern, number);
  }
  return 0;
}
