#include "signaling/trunk/dial_plan.h"

#include <vector>

#include "gtest/gtest.h"

namespace tutti::trunk {
namespace {

TEST(DialPlanPatternTest, MatchesAsteriskStylePatternsAgainstWholeNumbers) {
  struct Case {
    const char* pattern;
    const char* number;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"442079460001", "442079460001", true},
      {"442079460001", "442079460002", false},
      {"442079460001", "4420794600011", false},  // whole numbers only
      {"442079460001", "44207946000", false},
      {"+442079460001", "442079460001", true},  // '+' is for the reader
      {"4420794600XX", "442079460042", true},
      {"4420794600xx", "442079460042", true},
      {"4420794600XX", "44207946004", false},
      {"Z", "0", false},
      {"Z", "1", true},
      {"N", "1", false},
      {"N", "2", true},
      {"[1-57]", "3", true},
      {"[1-57]", "6", false},
      {"[1-57]", "7", true},
      {"44[27]0", "4470", true},
      {"44[27]0", "4430", false},
      {"44800.", "44800123", true},
      {"44800.", "44800", false},  // '.' is one or more
      {"44800!", "44800", true},   // '!' is zero or more
      {"44800!", "448001", true},
      {"44800!", "4480", false},
      {"X.", "1", false},
      {"X.", "12", true},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(CheckPattern(c.pattern).ok()) << c.pattern;
    EXPECT_EQ(MatchesPattern(c.pattern, c.number), c.matches) << c.pattern << " ~ " << c.number;
  }
}

TEST(DialPlanPatternTest, RefusesMalformedPatternsSayingWhy) {
  for (const char* bad :
       {"", "+", "44a", "44.1", "4!4", "[", "[]", "[1-", "[3-1]", "[a]", "44 20", "_44X"}) {
    EXPECT_FALSE(CheckPattern(bad).ok()) << bad;
  }
  EXPECT_EQ(CheckPattern("44.1").message(), "'.' (any digits) may only end a pattern, in \"44.1\"");
  EXPECT_FALSE(CheckPattern(std::string(65, 'X')).ok());
  EXPECT_TRUE(CheckPattern(std::string(64, 'X')).ok());
}

DialPlanRule Room(const char* match, const char* room, const char* trunk = "") {
  DialPlanRule rule;
  rule.match = match;
  rule.room = room;
  rule.trunk = trunk;
  return rule;
}

DialPlanRule Ivr(const char* match, int room_digits = 0) {
  DialPlanRule rule;
  rule.match = match;
  rule.ivr = true;
  rule.ivr_room_digits = room_digits;
  return rule;
}

TEST(DialPlanTest, TheFirstMatchingRuleOnTheCallsTrunkDecides) {
  absl::StatusOr<DialPlan> plan = DialPlan::Make({
      Room("442079460001", "sales-only", "sales-trunk"),
      Room("442079460001", "board"),
      Room("4420794600XX", "demo"),
      Ivr("44800.", 4),
      Ivr("4420794601XX"),
  });
  ASSERT_TRUE(plan.ok()) << plan.status();

  std::optional<CallDestination> to = plan->Route("sales-trunk", "442079460001");
  ASSERT_TRUE(to);
  EXPECT_EQ(to->kind, CallDestination::Kind::kRoom);
  EXPECT_EQ(to->room, "sales-only");

  to = plan->Route("carrier", "442079460001");
  ASSERT_TRUE(to);
  EXPECT_EQ(to->room, "board");

  to = plan->Route("carrier", "442079460042");
  ASSERT_TRUE(to);
  EXPECT_EQ(to->room, "demo");

  to = plan->Route("carrier", "448001234567");
  ASSERT_TRUE(to);
  EXPECT_EQ(to->kind, CallDestination::Kind::kIvr);
  EXPECT_EQ(to->room, "4567");  // the last 4 digits pre-filled

  to = plan->Route("carrier", "442079460142");
  ASSERT_TRUE(to);
  EXPECT_EQ(to->kind, CallDestination::Kind::kIvr);
  EXPECT_EQ(to->room, "");  // the caller types it

  EXPECT_FALSE(plan->Route("carrier", "33142685300"));
}

TEST(DialPlanTest, PrefillsTheWholeNumberWhenShorterThanTheDigitsAsked) {
  absl::StatusOr<DialPlan> plan = DialPlan::Make({Ivr("X.", 6)});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->Route("t", "1234")->room, "1234");
}

TEST(DialPlanTest, MakeNamesTheRuleThatIsWrong) {
  DialPlanRule both = Room("44X", "demo");
  both.ivr = true;
  DialPlanRule neither;
  neither.match = "44X";
  DialPlanRule digits_without_ivr = Room("44X", "demo");
  digits_without_ivr.ivr_room_digits = 2;

  EXPECT_EQ(DialPlan::Make({Room("44X", "a"), Room("44.1", "b")}).status().message(),
            "[[dial_plan]] #2 (match = \"44.1\"): '.' (any digits) may only end a pattern, "
            "in \"44.1\"");
  EXPECT_EQ(DialPlan::Make({both}).status().message(),
            "[[dial_plan]] #1 (match = \"44X\"): give exactly one of room = \"...\" or ivr = true");
  EXPECT_FALSE(DialPlan::Make({neither}).ok());
  EXPECT_EQ(DialPlan::Make({digits_without_ivr}).status().message(),
            "[[dial_plan]] #1 (match = \"44X\"): ivr_room_digits needs ivr = true");
  EXPECT_FALSE(DialPlan::Make({Ivr("44X", -1)}).ok());
  EXPECT_FALSE(DialPlan::Make({Ivr("44X", 33)}).ok());
  EXPECT_TRUE(DialPlan::Make({}).ok());
}

}  // namespace
}  // namespace tutti::trunk
