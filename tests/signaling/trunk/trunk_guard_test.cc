#include "signaling/trunk/trunk_guard.h"

#include "gtest/gtest.h"

namespace tutti::trunk {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TrunkConfig Carrier() {
  TrunkConfig trunk;
  trunk.name = "carrier";
  trunk.host = "192.0.2.1";
  trunk.dial_out_patterns = {"44XXXXXXXXXX"};
  return trunk;
}

TEST(TrunkGuardTest, InboundCallsAreHeldToMaxCalls) {
  TrunkConfig trunk = Carrier();
  trunk.max_calls = 2;
  TrunkGuard guard;
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart));
  EXPECT_EQ(guard.calls("carrier"), 2);
  guard.CallEnded(trunk);
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  trunk.max_calls = 0;  // no limit
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
}

TEST(TrunkGuardTest, CallsPerSecondRefillAtTheRate) {
  TrunkConfig trunk = Carrier();
  trunk.max_calls_per_second = 2;
  TrunkGuard guard;
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart));  // a third in the same instant
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart + absl::Milliseconds(400)));
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart + absl::Milliseconds(500)));
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart + absl::Milliseconds(500)));
  // A long quiet spell buys one second's burst, no more.
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart + absl::Hours(1)));
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart + absl::Hours(1)));
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart + absl::Hours(1)));
  // Below one a second: one call, then the next after 1/rate seconds.
  trunk.name = "slow";
  trunk.max_calls_per_second = 0.5;
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart + absl::Seconds(1)));
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart + absl::Seconds(2)));
}

TEST(TrunkGuardTest, DialOutsReachOnlyTheTrunksPatterns) {
  TrunkConfig trunk = Carrier();
  TrunkGuard guard;
  absl::Status refused = guard.AdmitDialOut(trunk, "demo", "19005550100", kStart);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(), "trunk carrier may not reach 19005550100 (dial_out_patterns)");
  trunk.dial_out_patterns.clear();  // none: no dial-out at all
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(guard.calls("carrier"), 0);
}

TEST(TrunkGuardTest, DialOutsAreHeldToTheTrunksLimitsAtOnceAndPerHour) {
  TrunkConfig trunk = Carrier();
  trunk.max_dial_outs = 2;
  trunk.max_dial_outs_per_hour = 3;
  TrunkGuard guard(DialOutConfig{.max_per_room = 100, .max_per_room_per_hour = 100});
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "a", "442079460000", kStart).ok());
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "b", "442079460000", kStart).ok());
  absl::Status third = guard.AdmitDialOut(trunk, "c", "442079460000", kStart);
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(third.message(), "trunk carrier: max_dial_outs (2) reached");
  EXPECT_EQ(guard.calls("carrier"), 2);
  EXPECT_EQ(guard.dial_outs("carrier"), 2);

  guard.DialOutEnded(trunk, "a");
  guard.CallEnded(trunk);
  EXPECT_EQ(guard.dial_outs("carrier"), 1);
  EXPECT_EQ(guard.calls("carrier"), 1);
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "a", "442079460000", kStart + absl::Minutes(1)).ok());
  guard.DialOutEnded(trunk, "a");
  guard.CallEnded(trunk);
  EXPECT_EQ(guard.AdmitDialOut(trunk, "a", "442079460000", kStart + absl::Minutes(2)).message(),
            "trunk carrier: max_dial_outs_per_hour (3) reached");
  // The hour slides: the first start leaves the window an hour later.
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "a", "442079460000", kStart + absl::Minutes(60)).ok());
}

TEST(TrunkGuardTest, DialOutsCountAgainstTheTrunksCallsAndRate) {
  TrunkConfig trunk = Carrier();
  trunk.max_calls = 1;
  TrunkGuard guard;
  ASSERT_TRUE(guard.AdmitInbound(trunk, kStart));
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).message(),
            "trunk carrier: max_calls (1) reached");
  trunk.max_calls = 0;
  trunk.max_calls_per_second = 1;
  trunk.name = "rated";
  ASSERT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).ok());
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).message(),
            "trunk rated: max_calls_per_second reached");
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart));
}

TEST(TrunkGuardTest, RoomsAreHeldToDialOutConfig) {
  TrunkConfig trunk = Carrier();
  trunk.max_dial_outs = 100;
  trunk.max_dial_outs_per_hour = 100;
  TrunkGuard guard(DialOutConfig{.max_per_room = 1, .max_per_room_per_hour = 2});
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).ok());
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).message(),
            "room demo: [dial_out] max_per_room (1) reached");
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "other", "442079460000", kStart).ok());
  EXPECT_EQ(guard.dial_outs_in_room("demo"), 1);
  guard.DialOutEnded(trunk, "demo");
  EXPECT_EQ(guard.dial_outs_in_room("demo"), 0);
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).ok());
  guard.DialOutEnded(trunk, "demo");
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).message(),
            "room demo: [dial_out] max_per_room_per_hour (2) reached");
  // Refused dial-outs count nowhere.
  EXPECT_EQ(guard.dial_outs("carrier"), 1);
  EXPECT_EQ(guard.calls("carrier"), 3);
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart + absl::Hours(1)).ok());
}

TEST(TrunkGuardTest, ZeroLimitsAllowNoDialOut) {
  TrunkConfig trunk = Carrier();
  trunk.max_dial_outs = 0;
  TrunkGuard guard;
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).code(),
            absl::StatusCode::kResourceExhausted);
  trunk.max_dial_outs = 1;
  TrunkGuard closed_rooms(DialOutConfig{.max_per_room = 0});
  EXPECT_EQ(closed_rooms.AdmitDialOut(trunk, "demo", "442079460000", kStart).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(TrunkGuardTest, EndsWithoutStartsChangeNothing) {
  TrunkConfig trunk = Carrier();
  TrunkGuard guard;
  guard.CallEnded(trunk);
  guard.DialOutEnded(trunk, "demo");
  EXPECT_EQ(guard.calls("carrier"), 0);
  EXPECT_EQ(guard.dial_outs_in_room("demo"), 0);
  EXPECT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460000", kStart).ok());
}

// A reload's guard: the same counts (a thief's hour is not reset by a
// reload), the new room limits, and a trunk removed counted until its calls end.
TEST(TrunkGuardTest, AReloadKeepsTheCountsAndTakesTheNewRoomLimits) {
  TrunkConfig trunk = Carrier();
  trunk.max_dial_outs_per_hour = 2;
  TrunkGuard guard;
  ASSERT_TRUE(guard.AdmitInbound(trunk, kStart));
  ASSERT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460001", kStart).ok());
  ASSERT_TRUE(guard.AdmitDialOut(trunk, "demo", "442079460002", kStart).ok());
  guard.DialOutEnded(trunk, "demo");
  guard.CallEnded(trunk);

  const absl::StatusOr<TrunkTable> same = TrunkTable::Make({Carrier()});
  ASSERT_TRUE(same.ok());
  guard.Reconfigure(DialOutConfig{.max_per_room = 1}, *same, kStart + absl::Minutes(1));
  EXPECT_EQ(guard.calls("carrier"), 2);
  EXPECT_EQ(guard.dial_outs("carrier"), 1);
  EXPECT_EQ(guard.AdmitDialOut(trunk, "other", "442079460003", kStart + absl::Minutes(1)).message(),
            "trunk carrier: max_dial_outs_per_hour (2) reached");
  EXPECT_EQ(guard.AdmitDialOut(trunk, "demo", "442079460003", kStart + absl::Minutes(1)).message(),
            "room demo: [dial_out] max_per_room (1) reached");

  guard.Reconfigure(DialOutConfig{}, TrunkTable{}, kStart + absl::Minutes(2));  // removed
  EXPECT_EQ(guard.calls("carrier"), 2);  // its calls go on, and are released
  guard.DialOutEnded(trunk, "demo");
  guard.CallEnded(trunk);
  guard.CallEnded(trunk);
  EXPECT_EQ(guard.calls("carrier"), 0);
  EXPECT_EQ(guard.dial_outs("carrier"), 0);
}

TEST(TrunkGuardTest, ATrunkRemovedIsForgottenOnceNothingOfItIsCounted) {
  TrunkConfig trunk = Carrier();
  trunk.max_calls_per_second = 1;
  TrunkGuard guard;
  ASSERT_TRUE(guard.AdmitInbound(trunk, kStart));
  guard.CallEnded(trunk);
  EXPECT_FALSE(guard.AdmitInbound(trunk, kStart));  // its bucket is empty
  guard.Reconfigure(DialOutConfig{}, TrunkTable{}, kStart);
  // Forgotten: the table holds no trunk that is gone and idle (a trunk of
  // that name added again starts afresh).
  EXPECT_TRUE(guard.AdmitInbound(trunk, kStart));
}

}  // namespace
}  // namespace tutti::trunk
