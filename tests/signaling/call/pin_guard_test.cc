#include "signaling/call/pin_guard.h"

#include <string>

#include "common/strings.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

PinGuardOptions SmallLimits() {
  PinGuardOptions options;
  options.max_failures_per_source = 3;
  options.max_failures_per_room = 5;
  options.window = absl::Minutes(5);
  options.lockout = absl::Minutes(10);
  return options;
}

TEST(PinGuardTest, SourceLockedOutAfterLimitAndReleasedAfterLockout) {
  PinGuard guard(SmallLimits());
  absl::Time now = kStart;
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", now).source_locked);
  now += absl::Seconds(1);
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", now).source_locked);
  EXPECT_TRUE(guard.Check("10.0.0.1", now).allowed);
  now += absl::Seconds(1);
  EXPECT_TRUE(
      guard.RecordFailure("10.0.0.1", "1000", now).source_locked);  // the third starts the lockout
  const absl::Time locked_at = now;

  PinGuard::Verdict verdict = guard.Check("10.0.0.1", now);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.why, "source locked out");
  EXPECT_EQ(verdict.until, locked_at + absl::Minutes(10));
  // Locked for every room, not only the one guessed.
  EXPECT_FALSE(guard.Check("10.0.0.1", now).allowed);

  // A failure during the lockout is not reported again and does not extend it.
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", now + absl::Minutes(1)).source_locked);
  EXPECT_FALSE(guard.Check("10.0.0.1", locked_at + absl::Minutes(10) - absl::Seconds(1)).allowed);
  EXPECT_TRUE(guard.Check("10.0.0.1", locked_at + absl::Minutes(10)).allowed);

  // Afterwards the source has its full allowance again.
  now = locked_at + absl::Minutes(10);
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", now).source_locked);
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", now).source_locked);
  EXPECT_TRUE(guard.Check("10.0.0.1", now).allowed);
  EXPECT_TRUE(guard.RecordFailure("10.0.0.1", "1000", now).source_locked);
}

TEST(PinGuardTest, OtherSourceNotAffectedBySourceLockout) {
  PinGuard guard(SmallLimits());
  for (int i = 0; i < 3; ++i) guard.RecordFailure("10.0.0.1", "1000", kStart);
  EXPECT_FALSE(guard.Check("10.0.0.1", kStart).allowed);
  EXPECT_TRUE(guard.Check("10.0.0.2", kStart).allowed);
}

// Issue 13: many addresses guessing one room must never lock its owners
// out. Past the room's limit nobody is refused for it; its answers are held
// instead, longer with each further failure, up to the ceiling.
TEST(PinGuardTest, RoomAtItsLimitIsSlowedNeverLockedOut) {
  PinGuardOptions options = SmallLimits();
  options.room_delay_step = absl::Seconds(2);
  options.room_max_delay = absl::Seconds(7);
  PinGuard guard(options);
  // Five addresses, one wrong PIN each: no source reaches its limit, the room does.
  for (int i = 1; i <= 4; ++i) {
    const PinGuard::Failure failure = guard.RecordFailure(StrCat("10.0.0.", i), "1000", kStart);
    EXPECT_FALSE(failure.source_locked);
    EXPECT_FALSE(failure.room_slowed);
    EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::ZeroDuration());
  }
  EXPECT_TRUE(guard.RecordFailure("10.0.0.5", "1000", kStart).room_slowed);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(2));
  EXPECT_FALSE(guard.RecordFailure("10.0.0.6", "1000", kStart).room_slowed);  // reported once
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(4));
  guard.RecordFailure("10.0.0.7", "1000", kStart);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(6));
  for (int i = 8; i < 40; ++i) guard.RecordFailure(StrCat("10.0.0.", i), "1000", kStart);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(7));  // the ceiling

  // Nobody is refused: a fresh address, or one of the guessers below its own limit.
  EXPECT_TRUE(guard.Check("10.0.0.99", kStart).allowed);
  EXPECT_TRUE(guard.Check("10.0.0.1", kStart).allowed);
  // Only room 1000 is slowed.
  EXPECT_EQ(guard.RoomDelay("2000", kStart), absl::ZeroDuration());
  // Once the failures leave the window, answers come at once again.
  EXPECT_EQ(guard.RoomDelay("1000", kStart + absl::Minutes(5)), absl::ZeroDuration());
}

TEST(PinGuardTest, SuccessClearsSourceFailuresButNotRoomFailures) {
  PinGuardOptions options = SmallLimits();
  options.max_failures_per_room = 4;
  PinGuard guard(options);
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordSuccess("10.0.0.1", kStart);
  // Two more from the same source would have locked it without the success.
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "2000", kStart).source_locked);
  EXPECT_TRUE(guard.Check("10.0.0.1", kStart).allowed);
  // Room 1000 still remembers its two failures: two more bring it to its limit.
  EXPECT_FALSE(guard.RecordFailure("10.0.0.2", "1000", kStart).room_slowed);
  EXPECT_TRUE(guard.RecordFailure("10.0.0.3", "1000", kStart).room_slowed);
  EXPECT_GT(guard.RoomDelay("1000", kStart), absl::ZeroDuration());
}

TEST(PinGuardTest, SuccessDoesNotLiftALockout) {
  PinGuard guard(SmallLimits());
  for (int i = 0; i < 3; ++i) guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordSuccess("10.0.0.1", kStart);
  EXPECT_FALSE(guard.Check("10.0.0.1", kStart).allowed);
}

TEST(PinGuardTest, OldFailuresExpire) {
  PinGuard guard(SmallLimits());
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordFailure("10.0.0.1", "1000", kStart + absl::Minutes(1));
  // Sliding window: at 5 min the first failure has left it, the second not yet.
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", kStart + absl::Minutes(5)).source_locked);
  EXPECT_TRUE(guard.Check("10.0.0.1", kStart + absl::Minutes(5)).allowed);
  EXPECT_TRUE(guard.RecordFailure("10.0.0.1", "1000", kStart + absl::Minutes(5)).source_locked);
}

TEST(PinGuardTest, FailuresSpreadBeyondTheWindowNeverLockOut) {
  PinGuard guard(SmallLimits());
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(
        guard.RecordFailure("10.0.0.1", "1000", kStart + i * absl::Minutes(3)).source_locked);
  }
}

TEST(PinGuardTest, MemoryBoundedWithManySources) {
  PinGuardOptions options = SmallLimits();
  options.max_tracked = 100;
  PinGuard guard(options);
  for (int i = 0; i < 10'000; ++i) {
    guard.RecordFailure(StrCat("10.", i / 256, ".", i % 256, ".1"), StrCat("room", i % 7),
                        kStart + absl::Milliseconds(i));
    ASSERT_LE(guard.tracked(), 100u);
  }
  EXPECT_EQ(guard.tracked(), 100u);
  // The rooms are failed against all the time, so they are still remembered.
  EXPECT_GT(guard.RoomDelay("room3", kStart + absl::Seconds(10)), absl::ZeroDuration());
}

TEST(PinGuardTest, SuccessForgetsTheSource) {
  PinGuard guard(SmallLimits());
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  EXPECT_EQ(guard.tracked(), 2u);
  guard.RecordSuccess("10.0.0.1", kStart);
  EXPECT_EQ(guard.tracked(), 1u);
}

// Issue 19: a reload's limits judge the failures already counted.
TEST(PinGuardTest, NewLimitsCountTheFailuresAlreadyMade) {
  PinGuardOptions options = SmallLimits();  // 3 per source
  PinGuard guard(options);
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordFailure("10.0.0.1", "1000", kStart);
  guard.RecordFailure("10.0.0.2", "1000", kStart);
  options.max_failures_per_source = 5;
  guard.SetOptions(options);
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", kStart).source_locked);
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "1000", kStart).source_locked);
  EXPECT_TRUE(guard.RecordFailure("10.0.0.1", "1000", kStart).source_locked);  // the fifth
  options.max_failures_per_source = 2;
  guard.SetOptions(options);
  EXPECT_TRUE(guard.RecordFailure("10.0.0.2", "1000", kStart).source_locked);  // the second
  // A lockout already started lasts as long as it was given.
  options.lockout = absl::Minutes(1);
  guard.SetOptions(options);
  EXPECT_FALSE(guard.Check("10.0.0.1", kStart + absl::Minutes(9)).allowed);
  EXPECT_TRUE(guard.Check("10.0.0.1", kStart + absl::Minutes(10)).allowed);
}

TEST(PinGuardTest, ALowerRoomLimitSlowsARoomAtOnce) {
  PinGuardOptions options = SmallLimits();  // 5 per room
  options.room_delay_step = absl::Seconds(1);
  PinGuard guard(options);
  for (int i = 0; i < 4; ++i) guard.RecordFailure(StrCat("10.0.0.", i), "1000", kStart);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::ZeroDuration());
  options.max_failures_per_room = 3;
  options.room_delay_step = absl::Seconds(3);
  guard.SetOptions(options);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(6));  // 2 past the new limit
  options.room_max_delay = absl::Seconds(4);
  guard.SetOptions(options);
  EXPECT_EQ(guard.RoomDelay("1000", kStart), absl::Seconds(4));
}

TEST(PinGuardTest, ALowerBoundForgetsTheLeastRecentlyFailedAtOnce) {
  PinGuardOptions options = SmallLimits();
  PinGuard guard(options);
  for (int i = 0; i < 5; ++i) {
    guard.RecordFailure(StrCat("10.0.0.", i), "1000", kStart + absl::Seconds(i));
  }
  ASSERT_EQ(guard.tracked(), 6u);  // five sources and the room
  options.max_tracked = 3;
  guard.SetOptions(options);
  EXPECT_EQ(guard.tracked(), 3u);
  // The room (touched last) and the two latest sources are left.
  EXPECT_GT(guard.RoomDelay("1000", kStart + absl::Seconds(5)), absl::ZeroDuration());
  guard.RecordSuccess("10.0.0.4", kStart + absl::Seconds(5));
  guard.RecordSuccess("10.0.0.3", kStart + absl::Seconds(5));
  EXPECT_EQ(guard.tracked(), 1u);
}

}  // namespace
}  // namespace tutti
