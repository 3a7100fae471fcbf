// Dial plan patterns and the inbound dial plan (DialPlanRule).
//
// Patterns are the ones PBX users know (Asterisk's, without the leading
// '_'), matched against a canonical number (phone_number.h) as a whole:
//   digits  themselves      X  any digit       Z  1-9       N  2-9
//   [1-57]  one of a set    .  one or more of anything      !  zero or more
// "442079460001" is one DID, "4420794600XX" a hundred, "44800." every 0800.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti::trunk {

// OK, or what is wrong with the pattern (config errors name it).
absl::Status CheckPattern(std::string_view pattern);
bool MatchesPattern(std::string_view pattern, std::string_view number);

// Where an inbound call goes.
struct CallDestination {
  enum class Kind { kRoom, kIvr };
  Kind kind = Kind::kRoom;
  // kRoom: the room's name. kIvr: the room number pre-filled (empty: none).
  std::string room;
};

// OK, or what is wrong with one rule (pattern, exactly one destination,
// ivr_room_digits); the message does not name the rule.
absl::Status CheckDialPlanRule(const DialPlanRule& rule);

class DialPlan {
 public:
  DialPlan() = default;
  // Checks every rule (pattern, exactly one destination); the error names the rule.
  static absl::StatusOr<DialPlan> Make(std::vector<DialPlanRule> rules);

  // The first rule matching `number` (canonical) on `trunk` decides;
  // nullopt: no rule (the call gets 404).
  std::optional<CallDestination> Route(std::string_view trunk, std::string_view number) const;
  const std::vector<DialPlanRule>& rules() const { return rules_; }

 private:
  std::vector<DialPlanRule> rules_;
};

}  // namespace tutti::trunk
