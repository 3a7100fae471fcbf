#include "signaling/trunk/dial_plan.h"

#include <utility>

#include "common/strings.h"

namespace tutti::trunk {
namespace {

// Patterns are written by operators, but bounded all the same: a match is a
// walk over at most this many characters.
constexpr size_t kMaxPatternLength = 64;
// More digits than a number may have (phone_number.cc keeps 32) would
// never match anything; an IVR pre-fill longer than that is a typo.
constexpr int kMaxIvrRoomDigits = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A leading '+' is allowed for readability: canonical numbers have none.
std::string_view Body(std::string_view pattern) {
  if (!pattern.empty() && pattern.front() == '+') pattern.remove_prefix(1);
  return pattern;
}

// The length of the "[...]" set at the start of `text` (0: malformed).
size_t SetLength(std::string_view text) {
  const size_t close = text.find(']');
  if (close == std::string_view::npos || close < 2) return 0;
  const std::string_view inside = text.substr(1, close - 1);
  for (size_t i = 0; i < inside.size(); ++i) {
    if (!IsDigit(inside[i])) return 0;
    if (i + 1 < inside.size() && inside[i + 1] == '-') {
      if (i + 2 >= inside.size() || !IsDigit(inside[i + 2]) || inside[i + 2] < inside[i]) return 0;
      i += 2;
    }
  }
  return close + 1;
}

bool InSet(std::string_view set, char digit) {
  const std::string_view inside = set.substr(1, set.size() - 2);
  for (size_t i = 0; i < inside.size(); ++i) {
    if (i + 2 < inside.size() && inside[i + 1] == '-') {
      if (digit >= inside[i] && digit <= inside[i + 2]) return true;
      i += 2;
    } else if (inside[i] == digit) {
      return true;
    }
  }
  return false;
}

// One pattern element against one digit: the element's length in the
// pattern, or 0 when it does not match.
size_t MatchOne(std::string_view pattern, char digit) {
  switch (AsciiLower(pattern.front())) {
    case 'x':
      return IsDigit(digit) ? 1 : 0;
    case 'z':
      return digit >= '1' && digit <= '9' ? 1 : 0;
    case 'n':
      return digit >= '2' && digit <= '9' ? 1 : 0;
    case '[': {
      const size_t length = SetLength(pattern);
      return length != 0 && InSet(pattern.substr(0, length), digit) ? length : 0;
    }
    default:
      return pattern.front() == digit ? 1 : 0;
  }
}

std::string RuleName(size_t index, const DialPlanRule& rule) {
  return StrCat("[[dial_plan]] #", index + 1, " (match = \"", rule.match, "\")");
}

}  // namespace

absl::Status CheckPattern(std::string_view pattern) {
  const std::string_view body = Body(pattern);
  if (body.empty()) return absl::InvalidArgumentError("an empty pattern matches nothing");
  if (pattern.size() > kMaxPatternLength) {
    return absl::InvalidArgumentError(
        StrCat("a pattern is at most ", kMaxPatternLength, " characters"));
  }
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = AsciiLower(body[i]);
    if (IsDigit(c) || c == 'x' || c == 'z' || c == 'n') continue;
    if (c == '.' || c == '!') {
      if (i + 1 != body.size()) {
        return absl::InvalidArgumentError(
            StrCat("'", c, "' (any digits) may only end a pattern, in \"", pattern, "\""));
      }
      continue;
    }
    if (c == '[') {
      const size_t length = SetLength(body.substr(i));
      if (length == 0) {
        return absl::InvalidArgumentError(
            StrCat("a malformed [set] (digits and ranges like [1-57]) in \"", pattern, "\""));
      }
      i += length - 1;
      continue;
    }
    return absl::InvalidArgumentError(
        StrCat("'", body[i], "' in \"", pattern,
               "\": a pattern holds digits, X, Z, N, [sets], and '.' or '!' at its end"));
  }
  return absl::OkStatus();
}

bool MatchesPattern(std::string_view pattern, std::string_view number) {
  std::string_view rest = Body(pattern);
  size_t at = 0;
  while (!rest.empty()) {
    if (rest.front() == '!') return true;  // zero or more: whatever is left
    if (rest.front() == '.') return at < number.size();
    if (at == number.size()) return false;
    const size_t length = MatchOne(rest, number[at]);
    if (length == 0) return false;
    rest.remove_prefix(length);
    ++at;
  }
  return at == number.size();
}

absl::Status CheckDialPlanRule(const DialPlanRule& rule) {
  if (absl::Status pattern = CheckPattern(rule.match); !pattern.ok()) return pattern;
  if (rule.room.empty() == !rule.ivr) {
    return absl::InvalidArgumentError("give exactly one of room = \"...\" or ivr = true");
  }
  if (rule.ivr_room_digits < 0 || rule.ivr_room_digits > kMaxIvrRoomDigits) {
    return absl::InvalidArgumentError(StrCat("ivr_room_digits must be 0-", kMaxIvrRoomDigits));
  }
  if (rule.ivr_room_digits > 0 && !rule.ivr) {
    return absl::InvalidArgumentError("ivr_room_digits needs ivr = true");
  }
  return absl::OkStatus();
}

absl::StatusOr<DialPlan> DialPlan::Make(std::vector<DialPlanRule> rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (absl::Status checked = CheckDialPlanRule(rules[i]); !checked.ok()) {
      return absl::InvalidArgumentError(StrCat(RuleName(i, rules[i]), ": ", checked.message()));
    }
  }
  DialPlan plan;
  plan.rules_ = std::move(rules);
  return plan;
}

std::optional<CallDestination> DialPlan::Route(std::string_view trunk,
                                               std::string_view number) const {
  for (const DialPlanRule& rule : rules_) {
    if (!rule.trunk.empty() && rule.trunk != trunk) continue;
    if (!MatchesPattern(rule.match, number)) continue;
    CallDestination destination;
    if (!rule.ivr) {
      destination.room = rule.room;
      return destination;
    }
    destination.kind = CallDestination::Kind::kIvr;
    const size_t digits = static_cast<size_t>(rule.ivr_room_digits);
    if (digits > 0) {
      destination.room =
          std::string(number.substr(number.size() > digits ? number.size() - digits : 0));
    }
    return destination;
  }
  return std::nullopt;
}

}  // namespace tutti::trunk
