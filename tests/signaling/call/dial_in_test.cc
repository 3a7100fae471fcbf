#include "signaling/call/dial_in.h"

#include <gtest/gtest.h>

namespace tutti {
namespace {

using Next = DialInStep::Next;
using Prompts = std::vector<std::string>;

class DialInTest : public ::testing::Test {
 protected:
  DialInTest() : rooms_(MakeRooms()) {}

  static std::vector<RoomConfig> MakeRooms() {
    RoomConfig open;
    open.name = "1000";
    RoomConfig secured;
    secured.name = "2000";
    secured.pin = "4321";
    secured.moderator_pin = "9999";
    RoomConfig moderated;
    moderated.name = "3000";
    moderated.moderator_pin = "5555";
    return {open, secured, moderated};
  }

  // Types `keys`; the step of the last key that ended an entry.
  std::optional<DialInStep> Type(DialIn& dial_in, std::string_view keys) {
    std::optional<DialInStep> step;
    for (char key : keys) {
      step = dial_in.OnDigit(key, rooms_, guard_, now_);
      if (step) return step;
    }
    return step;
  }

  RoomDirectory rooms_;
  PinGuard guard_{PinGuardOptions{.max_failures_per_source = 5}};
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
};

TEST_F(DialInTest, IvrNumberAsksForTheRoomThenJoinsAnOpenRoom) {
  DialIn dial_in({}, "192.0.2.1", "");
  EXPECT_EQ(dial_in.Start().prompts, (Prompts{"welcome", "enter_room"}));
  EXPECT_FALSE(Type(dial_in, "100"));
  std::optional<DialInStep> step = Type(dial_in, "0#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_EQ(step->room, "1000");
  EXPECT_FALSE(step->moderator);
}

TEST_F(DialInTest, RoomWithPinAsksForItAndTellsModeratorsApart) {
  DialIn participant({}, "192.0.2.1", "");
  std::optional<DialInStep> step = Type(participant, "2000#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kCollect);
  EXPECT_EQ(step->prompts, (Prompts{"enter_pin"}));
  EXPECT_TRUE(participant.asking_pin());
  step = Type(participant, "4321#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_FALSE(step->moderator);

  DialIn moderator({}, "192.0.2.2", "2000");  // dialed the room directly
  EXPECT_EQ(moderator.Start().prompts, (Prompts{"welcome", "enter_pin"}));
  step = Type(moderator, "9999#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_EQ(step->room, "2000");
  EXPECT_TRUE(step->moderator);
}

TEST_F(DialInTest, OnlyAModeratorPinLetsABarePoundJoinAsParticipant) {
  DialIn caller({}, "192.0.2.1", "3000");
  std::optional<DialInStep> step = Type(caller, "#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_FALSE(step->moderator);
  DialIn wrong({}, "192.0.2.1", "3000");
  step = Type(wrong, "1#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kCollect);
  EXPECT_EQ(step->prompts, (Prompts{"invalid_pin", "enter_pin"}));
}

TEST_F(DialInTest, ThreeWrongPinsSayGoodbye) {
  DialIn dial_in({.max_attempts = 3}, "192.0.2.1", "2000");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    std::optional<DialInStep> step = Type(dial_in, "1111#");
    ASSERT_TRUE(step);
    EXPECT_EQ(step->next, Next::kCollect);
    EXPECT_EQ(step->prompts, (Prompts{"invalid_pin", "enter_pin"}));
    EXPECT_EQ(step->why, "wrong PIN");
  }
  std::optional<DialInStep> step = Type(dial_in, "1111#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kHangUp);
  EXPECT_EQ(step->prompts, (Prompts{"invalid_pin", "goodbye"}));
}

TEST_F(DialInTest, UnknownRoomsAndTimeoutsUseUpAttempts) {
  DialIn dial_in({.max_attempts = 2}, "192.0.2.1", "");
  std::optional<DialInStep> step = Type(dial_in, "4242#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->prompts, (Prompts{"invalid_room", "enter_room"}));
  EXPECT_EQ(step->why, "no such conference");
  const DialInStep timeout = dial_in.OnTimeout(rooms_, guard_, now_);
  EXPECT_EQ(timeout.next, Next::kHangUp);
  EXPECT_EQ(timeout.prompts, (Prompts{"invalid_room", "goodbye"}));
  EXPECT_EQ(timeout.why, "no conference number entered");
}

// What a caller who fails asked for stays known (for its call record); its
// PIN never does.
TEST_F(DialInTest, TheRoomAskedForOutlivesAFailedEntry) {
  DialIn dial_in({.max_attempts = 3}, "192.0.2.1", "");
  EXPECT_EQ(dial_in.room_asked(), "");
  ASSERT_TRUE(Type(dial_in, "4242#"));
  EXPECT_EQ(dial_in.room_asked(), "4242");  // no such conference: what was typed
  dial_in.OnTimeout(rooms_, guard_, now_);  // nothing typed keeps the last number
  EXPECT_EQ(dial_in.room_asked(), "4242");
  ASSERT_TRUE(Type(dial_in, "2000#"));
  EXPECT_EQ(dial_in.room_asked(), "2000");
  std::optional<DialInStep> step = Type(dial_in, "1111#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->why, "wrong PIN");
  EXPECT_EQ(dial_in.room_asked(), "2000");
}

TEST_F(DialInTest, StarClearsAndLongEntriesEndWithoutPound) {
  DialIn dial_in({.max_digits = 4}, "192.0.2.1", "");
  EXPECT_FALSE(Type(dial_in, "99*"));
  EXPECT_EQ(dial_in.typed(), "");
  std::optional<DialInStep> step = Type(dial_in, "1000");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
}

TEST_F(DialInTest, LockedOutSourceIsToldAndHungUpOn) {
  PinGuard strict(PinGuardOptions{.max_failures_per_source = 2});
  DialIn first({.max_attempts = 5}, "198.51.100.7", "2000");
  std::optional<DialInStep> step = first.OnDigit('1', rooms_, strict, now_);
  step = first.OnDigit('#', rooms_, strict, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kCollect);
  step = first.OnDigit('#', rooms_, strict, now_);  // empty: wrong again, starts the lockout
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kHangUp);
  EXPECT_EQ(step->prompts, (Prompts{"invalid_pin", "too_many_attempts", "goodbye"}));

  // The same address calling again is told at once, even with the right PIN.
  DialIn again({}, "198.51.100.7", "");
  step.reset();
  for (char key : std::string_view("2000#")) step = again.OnDigit(key, rooms_, strict, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kHangUp);
  EXPECT_EQ(step->prompts, (Prompts{"too_many_attempts", "goodbye"}));
  // Another address is not affected.
  DialIn other({}, "198.51.100.8", "2000");
  for (char key : std::string_view("4321#")) step = other.OnDigit(key, rooms_, strict, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
}

// Issue 13: wrong PINs from many addresses used to lock the room, and then
// its owners typing the right PIN were refused. Now the room's answers are
// held, right and wrong alike, and the right PIN still joins.
TEST_F(DialInTest, RoomGuessedFromManyAddressesStillTakesTheRightPin) {
  PinGuard guard(PinGuardOptions{.max_failures_per_source = 3,
                                 .max_failures_per_room = 4,
                                 .room_delay_step = absl::Seconds(2),
                                 .room_max_delay = absl::Seconds(9)});
  // Ten addresses, two wrong PINs each: none reaches its own limit.
  absl::Duration last_hold;
  for (int source = 0; source < 10; ++source) {
    DialIn guesser({.max_attempts = 5}, "198.51.100." + std::to_string(source), "2000");
    for (std::string_view entry : {"1111#", "2222#"}) {
      std::optional<DialInStep> step;
      for (char key : entry) step = guesser.OnDigit(key, rooms_, guard, now_);
      ASSERT_TRUE(step);
      EXPECT_EQ(step->next, Next::kCollect);
      EXPECT_EQ(step->why, "wrong PIN");
      EXPECT_GE(step->hold, last_hold);  // guessing only gets slower
      last_hold = step->hold;
    }
  }
  EXPECT_EQ(last_hold, absl::Seconds(9));
  // A fresh address with the right PIN joins; its answer is held like any other.
  DialIn owner({}, "203.0.113.5", "2000");
  std::optional<DialInStep> step;
  for (char key : std::string_view("4321#")) step = owner.OnDigit(key, rooms_, guard, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_EQ(step->hold, absl::Seconds(9));
  // So does one of the guessers that finally types it (below its own limit).
  DialIn guesser({}, "198.51.100.3", "2000");
  for (char key : std::string_view("9999#")) step = guesser.OnDigit(key, rooms_, guard, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kJoin);
  EXPECT_TRUE(step->moderator);
  // An address past its own limit is still refused, whatever it types.
  DialIn persistent({.max_attempts = 5}, "198.51.100.200", "2000");
  for (int i = 0; i < 3; ++i) {
    for (char key : std::string_view("0000#")) step = persistent.OnDigit(key, rooms_, guard, now_);
  }
  ASSERT_TRUE(step);
  EXPECT_TRUE(step->source_locked);
  DialIn again({}, "198.51.100.200", "2000");
  for (char key : std::string_view("4321#")) step = again.OnDigit(key, rooms_, guard, now_);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kHangUp);
  EXPECT_EQ(step->why, "source locked out");
}

TEST_F(DialInTest, RoomRemovedWhileTypingThePin) {
  DialIn dial_in({}, "192.0.2.1", "2000");
  rooms_.Remove("2000");
  std::optional<DialInStep> step = Type(dial_in, "4321#");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->next, Next::kHangUp);
  EXPECT_EQ(step->why, "room removed");
}

// Same length, same last digit, wrong before it: refused, for either PIN.
TEST_F(DialInTest, WrongPinEndingInTheRightDigitIsRefused) {
  DialIn dial_in({.max_attempts = 10}, "192.0.2.1", "2000");  // PIN 4321, moderator 9999
  for (std::string_view entry : {"0001#", "4311#", "0009#", "9909#"}) {
    std::optional<DialInStep> step = Type(dial_in, entry);
    ASSERT_TRUE(step) << entry;
    EXPECT_EQ(step->next, Next::kCollect) << entry;
    EXPECT_EQ(step->prompts, (Prompts{"invalid_pin", "enter_pin"})) << entry;
    EXPECT_EQ(step->why, "wrong PIN") << entry;
    EXPECT_FALSE(step->moderator) << entry;
  }
}

TEST(PinMatchesTest, EveryDigitCounts) {
  for (std::string_view wrong : {"0234", "1034", "1204", "9994", "0004"}) {
    EXPECT_FALSE(PinMatches(wrong, "1234")) << wrong;
  }
}

TEST(PinMatchesTest, ComparesWholePins) {
  EXPECT_TRUE(PinMatches("1234", "1234"));
  EXPECT_FALSE(PinMatches("1235", "1234"));
  EXPECT_FALSE(PinMatches("123", "1234"));
  EXPECT_FALSE(PinMatches("", "1234"));
  EXPECT_TRUE(PinMatches("", ""));
}

}  // namespace
}  // namespace tutti
