#include "signaling/call/room_presence.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint64_t> Ids(const std::vector<RoomMember*>& members) {
  std::vector<uint64_t> ids;
  for (const RoomMember* member : members) ids.push_back(member->id);
  return ids;
}

class RoomPresenceTest : public ::testing::Test {
 protected:
  RoomPresenceTest() {
    room_.name = "1000";
    for (uint64_t id = 1; id <= 4; ++id) members_[id - 1].id = id;
  }
  RoomMember& M(uint64_t id) { return members_[id - 1]; }
  // What the controller does: decide waiting on the way in, then enter.
  Entered Join(uint64_t id, bool moderator = false) {
    M(id).moderator = moderator;
    M(id).waiting = presence_.MustWait(&room_, room_.name, M(id));
    return presence_.Enter(&room_, room_.name, M(id));
  }

  RoomConfig room_;
  RoomPresence presence_;
  RoomMember members_[4];
};

TEST_F(RoomPresenceTest, MembersAreInJoinOrderAndLeaveFromAnywhere) {
  Join(3);
  Join(1);
  Join(2);
  EXPECT_THAT(Ids(presence_.InRoom("1000")), ElementsAre(3, 1, 2));
  EXPECT_THAT(Ids(presence_.InRoom("1000", &M(1))), ElementsAre(3, 2));
  presence_.Leave(&room_, "1000", M(1));
  EXPECT_THAT(Ids(presence_.InRoom("1000")), ElementsAre(3, 2));
  EXPECT_FALSE(M(1).in_room);
  EXPECT_THAT(presence_.InRoom("2000"), IsEmpty());
}

TEST_F(RoomPresenceTest, ParticipantsWaitUntilAModeratorArrives) {
  room_.wait_for_moderator = true;
  room_.music_when_alone = true;
  Entered first = Join(1);
  EXPECT_TRUE(M(1).waiting);
  EXPECT_THAT(first.say, ElementsAre("wait_moderator"));
  EXPECT_TRUE(first.music);
  Entered second = Join(2);
  EXPECT_TRUE(M(2).waiting);
  EXPECT_THAT(second.others, IsEmpty());  // the waiting hear no join tone

  Entered moderator = Join(3, /*moderator=*/true);
  EXPECT_FALSE(M(3).waiting);
  EXPECT_THAT(Ids(moderator.released), ElementsAre(1, 2));
  EXPECT_THAT(Ids(moderator.others), ElementsAre(1, 2));  // released, so they hear it too
  // Those after the moderator do not wait.
  Join(4);
  EXPECT_FALSE(M(4).waiting);
}

TEST_F(RoomPresenceTest, AWaitingDecisionMadeInTheLobbyIsRevisedOnEntry) {
  room_.wait_for_moderator = true;
  M(1).waiting = true;  // decided in the lobby, before the moderator came in
  Join(2, /*moderator=*/true);
  Entered entered = presence_.Enter(&room_, room_.name, M(1));
  EXPECT_TRUE(entered.waiting_changed);
  EXPECT_FALSE(M(1).waiting);
}

TEST_F(RoomPresenceTest, TheConferenceEndsWhenTheLastModeratorLeaves) {
  room_.end_when_moderator_leaves = true;
  Join(1, /*moderator=*/true);
  Join(2, /*moderator=*/true);
  Join(3);
  EXPECT_EQ(presence_.Leave(&room_, "1000", M(1)).kind, Left::Kind::kTones);  // one is left
  Left left = presence_.Leave(&room_, "1000", M(2));
  EXPECT_EQ(left.kind, Left::Kind::kEndConference);
  EXPECT_THAT(Ids(left.others), ElementsAre(3));
}

TEST_F(RoomPresenceTest, OthersWaitAgainWhenTheModeratorLeavesAWaitingRoom) {
  room_.wait_for_moderator = true;
  room_.music_when_alone = true;
  Join(1, /*moderator=*/true);
  Join(2);
  Join(3);
  Left left = presence_.Leave(&room_, "1000", M(1));
  EXPECT_EQ(left.kind, Left::Kind::kWaitForModerator);
  EXPECT_THAT(Ids(left.others), ElementsAre(2, 3));
  EXPECT_TRUE(left.music);
}

TEST_F(RoomPresenceTest, TonesCountAndMusicWhenAlone) {
  room_.announce_joins = true;
  room_.music_when_alone = true;
  Entered first = Join(1);
  EXPECT_THAT(first.say, ElementsAre("alone"));
  EXPECT_TRUE(first.music);
  Entered second = Join(2);
  EXPECT_EQ(second.tone, "join_tone");
  EXPECT_THAT(Ids(second.others), ElementsAre(1));
  EXPECT_THAT(second.say, IsEmpty());
  EXPECT_FALSE(second.music);
  Left left = presence_.Leave(&room_, "1000", M(2));
  EXPECT_EQ(left.tone, "leave_tone");
  EXPECT_TRUE(left.music);  // alone again

  room_.announce_count = true;
  Join(2);
  EXPECT_THAT(Join(3).say, ElementsAre("there_are", "n3", "participants_in_conference"));
}

TEST_F(RoomPresenceTest, LeavingAnEmptyOrRemovedRoomSaysNothing) {
  Join(1);
  EXPECT_EQ(presence_.Leave(&room_, "1000", M(1)).kind, Left::Kind::kNothing);
  Join(1);
  Join(2);
  EXPECT_EQ(presence_.Leave(nullptr, "1000", M(1)).kind, Left::Kind::kNothing);
  EXPECT_THAT(Ids(presence_.InRoom("1000")), ElementsAre(2));
}

TEST_F(RoomPresenceTest, PlacesCountRingingCallersUntilFreed) {
  room_.max_participants = 2;
  presence_.Take("1000");
  EXPECT_FALSE(presence_.Full(room_));
  presence_.Take("1000");
  EXPECT_TRUE(presence_.Full(room_));
  presence_.Free("1000");
  EXPECT_FALSE(presence_.Full(room_));
  room_.max_participants = 0;  // no limit
  presence_.Take("1000");
  presence_.Take("1000");
  EXPECT_FALSE(presence_.Full(room_));
}

}  // namespace
}  // namespace tutti
