// Which worker runs each conference in use (mixer/placement.h): placed at
// the first join, kept while anyone is in it, forgotten when it empties.
#include "mixer/placement.h"

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

TEST(PlacementTest, AConferenceStaysOnItsWorkerWhileAnyoneIsIn) {
  Placement placement(2);
  EXPECT_EQ(placement.WorkerOf(7), -1);
  EXPECT_EQ(placement.Join(7, 100, 1), 1);
  // Later joins go where the room is, whatever worker would be chosen now.
  EXPECT_EQ(placement.Join(7, 101, 0), 1);
  EXPECT_EQ(placement.WorkerOf(7), 1);
  EXPECT_EQ(placement.participants(1), 2);
  EXPECT_EQ(placement.participants(0), 0);
  EXPECT_TRUE(placement.Leave(100));
  EXPECT_EQ(placement.WorkerOf(7), 1);
  EXPECT_TRUE(placement.Leave(101));
  EXPECT_EQ(placement.WorkerOf(7), -1);  // empty: forgotten
  EXPECT_EQ(placement.participants(1), 0);
  EXPECT_EQ(placement.conferences(), 0u);
  EXPECT_EQ(placement.tracked_participants(), 0u);
  // Next time it may land elsewhere.
  EXPECT_EQ(placement.Join(7, 102, 0), 0);
}

TEST(PlacementTest, UnknownOrRepeatedLeavesChangeNothing) {
  Placement placement(1);
  placement.Join(3, 1, 0);
  EXPECT_FALSE(placement.Leave(99));
  EXPECT_TRUE(placement.Leave(1));
  EXPECT_FALSE(placement.Leave(1));  // e.g. RtpTimeout, then the call's Remove finds nothing
  EXPECT_EQ(placement.participants(0), 0);
}

TEST(PlacementTest, AMoveCountsTheParticipantOnceWhereItWent) {
  // IVR lobby 1000 on worker 0 -> room 5 on worker 1: Detached leaves the
  // lobby (forgotten: a lobby has one caller), the Add joins the room.
  Placement placement(2);
  placement.Join(1000, 42, 0);
  placement.Join(5, 43, 1);
  EXPECT_TRUE(placement.Leave(42));
  EXPECT_EQ(placement.WorkerOf(1000), -1);
  EXPECT_EQ(placement.Join(5, 42, 0), 1);
  EXPECT_EQ(placement.participants(0), 0);
  EXPECT_EQ(placement.participants(1), 2);
  // A participant joined again without a leave (never expected) is not
  // counted twice.
  EXPECT_EQ(placement.Join(6, 42, 0), 0);
  EXPECT_EQ(placement.participants(1), 1);
  EXPECT_EQ(placement.participants(0), 1);
  EXPECT_EQ(placement.tracked_participants(), 2u);
}

}  // namespace
}  // namespace tutti::mixer
