#include "mixer/video_selection.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

constexpr int kHoldMs = 2000;
constexpr int64_t kTickUs = 20000;

// A conference of members 1..n, all sending and receiving video, ticked
// every 20 ms.
class Room {
 public:
  explicit Room(int n) {
    for (int i = 1; i <= n; ++i) {
      VideoMember m;
      m.id = static_cast<uint64_t>(i);
      m.sends_video = true;
      m.receives_video = true;
      members_.push_back(m);
    }
  }

  VideoMember& operator[](uint64_t id) {
    return *std::find_if(members_.begin(), members_.end(),
                         [id](const VideoMember& m) { return m.id == id; });
  }
  void Talk(uint64_t id, float level_db = -20.0f) {
    (*this)[id].talking = true;
    (*this)[id].level_db = level_db;
  }
  void Quiet(uint64_t id) {
    (*this)[id].talking = false;
    (*this)[id].level_db = -70.0f;
  }
  void Leave(uint64_t id) {
    members_.erase(std::find_if(members_.begin(), members_.end(),
                                [id](const VideoMember& m) { return m.id == id; }));
    selection_.Forget(id);
  }

  bool Tick(VideoMode mode = VideoMode::kFollowTalker, uint64_t presenter = 0) {
    now_us_ += kTickUs;
    return selection_.Update(members_, mode, presenter, kHoldMs, now_us_);
  }
  // Ticks for `ms` milliseconds; true when anything changed on the way.
  bool TickFor(int ms, VideoMode mode = VideoMode::kFollowTalker, uint64_t presenter = 0) {
    bool changed = false;
    for (int t = 0; t < ms; t += 20) changed = Tick(mode, presenter) || changed;
    return changed;
  }

  uint64_t Sees(uint64_t id) { return (*this)[id].sees; }
  uint64_t floor() const { return selection_.floor(); }
  std::vector<VideoMember>& members() { return members_; }
  VideoSelection& selection() { return selection_; }

 private:
  std::vector<VideoMember> members_;
  VideoSelection selection_;
  int64_t now_us_ = 1'000'000;
};

TEST(VideoSelectionTest, TheFirstMemberWithVideoHasTheFloorBeforeAnyoneTalks) {
  Room room(3);
  room[1].sends_video = false;
  EXPECT_TRUE(room.Tick());
  EXPECT_EQ(room.floor(), 2u);
  EXPECT_EQ(room.Sees(1), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
  EXPECT_EQ(room.Sees(2), 3u);  // no previous holder yet: the next one with video
  EXPECT_FALSE(room.Tick());    // nothing changed
}

TEST(VideoSelectionTest, ATalkerTakesTheFloorOnceItHasBeenHeldLongEnough) {
  Room room(3);
  room.Tick();
  ASSERT_EQ(room.floor(), 1u);
  room.Talk(2);
  EXPECT_FALSE(room.TickFor(kHoldMs - 100));  // the floor is still held
  EXPECT_EQ(room.floor(), 1u);
  EXPECT_TRUE(room.TickFor(100));
  EXPECT_EQ(room.floor(), 2u);
  EXPECT_EQ(room.Sees(1), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
  EXPECT_EQ(room.Sees(2), 1u);  // the talker sees the previous one
}

TEST(VideoSelectionTest, AShortBurstDoesNotSwitchThePicture) {
  Room room(3);
  room.Tick();
  room.Talk(2);
  room.TickFor(kHoldMs);
  ASSERT_EQ(room.floor(), 2u);  // just taken
  room.Quiet(2);
  room.TickFor(500);
  room.Talk(3);  // a cough while the new floor is held
  room.TickFor(400);
  room.Quiet(3);
  EXPECT_FALSE(room.TickFor(3000));
  EXPECT_EQ(room.floor(), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
}

TEST(VideoSelectionTest, EachNewTalkerSeesThePreviousOne) {
  Room room(3);
  room.Tick();
  room.Talk(2);
  room.TickFor(kHoldMs);
  ASSERT_EQ(room.floor(), 2u);
  room.Quiet(2);
  room.Talk(3);
  room.TickFor(kHoldMs);
  EXPECT_EQ(room.floor(), 3u);
  EXPECT_EQ(room.Sees(3), 2u);  // not 1, who had it before 2
  EXPECT_EQ(room.Sees(2), 3u);
  EXPECT_EQ(room.Sees(1), 3u);
}

TEST(VideoSelectionTest, AHolderStillTalkingKeepsTheFloor) {
  Room room(3);
  room.Talk(2, -30.0f);
  room.TickFor(kHoldMs + 40);
  ASSERT_EQ(room.floor(), 2u);
  room.Talk(3, -10.0f);  // louder, but 2 has not stopped
  room.TickFor(3 * kHoldMs);
  EXPECT_EQ(room.floor(), 2u);
  room.Quiet(2);
  room.Tick();
  EXPECT_EQ(room.floor(), 3u);  // held long enough: at once
}

TEST(VideoSelectionTest, AMemberWithoutVideoNeverTakesTheFloor) {
  Room room(3);
  room[2].sends_video = false;
  room.Talk(2, -5.0f);
  room.TickFor(3 * kHoldMs);
  EXPECT_EQ(room.floor(), 1u);
  EXPECT_EQ(room.Sees(2), 1u);  // it still sees the floor
  EXPECT_EQ(room.Sees(1), 3u);
  EXPECT_NE(room.Sees(3), 2u);
}

TEST(VideoSelectionTest, AMemberThatReceivesNoVideoSeesNobody) {
  Room room(3);
  room[3].receives_video = false;
  room.Talk(3);
  room.TickFor(kHoldMs + 40);
  EXPECT_EQ(room.floor(), 3u);  // it can still be seen
  EXPECT_EQ(room.Sees(3), 0u);
  EXPECT_EQ(room.Sees(1), 3u);
}

TEST(VideoSelectionTest, TheLouderOfTwoTalkersTakesTheFloorAndEqualOnesGoByOrder) {
  struct Case {
    float level_2, level_4;
    uint64_t floor;
  };
  for (const Case& c : {Case{-30.0f, -18.0f, 4}, Case{-20.0f, -20.0f, 2}}) {
    Room room(4);
    room.Tick();
    room.Talk(4, c.level_4);  // talking first changes nothing
    room.Talk(2, c.level_2);
    room.TickFor(kHoldMs);
    EXPECT_EQ(room.floor(), c.floor) << c.level_2 << " vs " << c.level_4;
  }
}

TEST(VideoSelectionTest, EveryoneSeesAFixedPresenterWhoSeesTheTalker) {
  Room room(4);
  const auto mode = VideoMode::kPresenter;
  room.Tick(mode, 3);
  EXPECT_EQ(room.floor(), 3u);
  EXPECT_EQ(room.Sees(1), 3u);
  EXPECT_EQ(room.Sees(2), 3u);
  EXPECT_EQ(room.Sees(4), 3u);
  EXPECT_EQ(room.Sees(3), 1u);  // the floor among the others
  room.Talk(3, -5.0f);          // the presenter talking does not take that floor
  room.Talk(4, -25.0f);
  room.TickFor(kHoldMs, mode, 3);
  EXPECT_EQ(room.floor(), 3u);
  EXPECT_EQ(room.Sees(3), 4u);
  EXPECT_EQ(room.Sees(4), 3u);
  EXPECT_EQ(room.Sees(1), 3u);
}

TEST(VideoSelectionTest, APresenterWhoHeldTheFloorHandsItOver) {
  Room room(3);
  room.Talk(2);
  room.TickFor(kHoldMs + 40);
  ASSERT_EQ(room.floor(), 2u);
  room.Tick(VideoMode::kPresenter, 2);
  EXPECT_EQ(room.Sees(2), 1u);  // never itself
  EXPECT_EQ(room.Sees(1), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
}

TEST(VideoSelectionTest, WithoutAPresenterWithVideoItIsFollowTheTalker) {
  Room room(3);
  room.Talk(2);
  room.TickFor(kHoldMs + 40);
  ASSERT_EQ(room.floor(), 2u);
  room.Tick(VideoMode::kPresenter, 0);  // unset
  EXPECT_EQ(room.floor(), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
  room.Tick(VideoMode::kPresenter, 9);  // not in the room
  EXPECT_EQ(room.floor(), 2u);
  room[3].sends_video = false;
  room.Tick(VideoMode::kPresenter, 3);  // sends no video
  EXPECT_EQ(room.floor(), 2u);
  EXPECT_EQ(room.Sees(3), 2u);
}

TEST(VideoSelectionTest, WhenThePresenterLeavesTheTalkerIsShown) {
  Room room(3);
  room.Talk(1);
  room.TickFor(kHoldMs + 40, VideoMode::kPresenter, 3);
  ASSERT_EQ(room.floor(), 3u);
  ASSERT_EQ(room.Sees(3), 1u);
  room.Leave(3);
  EXPECT_TRUE(room.Tick(VideoMode::kPresenter, 3));
  EXPECT_EQ(room.floor(), 1u);
  EXPECT_EQ(room.Sees(2), 1u);
  EXPECT_EQ(room.Sees(1), 2u);
}

TEST(VideoSelectionTest, AudioOnlyShowsNobody) {
  Room room(3);
  room.Tick();
  ASSERT_NE(room.Sees(2), 0u);
  EXPECT_TRUE(room.Tick(VideoMode::kAudioOnly));
  EXPECT_EQ(room.floor(), 0u);
  for (const VideoMember& m : room.members()) EXPECT_EQ(m.sees, 0u) << m.id;
  room.Talk(2);
  EXPECT_FALSE(room.TickFor(kHoldMs * 2, VideoMode::kAudioOnly));
  EXPECT_TRUE(room.Tick());
  EXPECT_NE(room.Sees(2), 0u);
}

TEST(VideoSelectionTest, TheFloorMovesAtOnceWhenItsHolderLeaves) {
  Room room(4);
  room.Tick();
  room.Talk(2);
  room.TickFor(kHoldMs);
  ASSERT_EQ(room.floor(), 2u);
  room.Leave(2);
  EXPECT_TRUE(room.Tick());
  EXPECT_EQ(room.floor(), 1u);  // the previous holder, nobody talking
  EXPECT_EQ(room.Sees(3), 1u);
  EXPECT_EQ(room.Sees(1), 3u);  // its previous left: the first other with video
}

TEST(VideoSelectionTest, ALeavingHolderGivesWayToATalker) {
  Room room(4);
  room.Tick();
  room.Talk(2);
  room.TickFor(kHoldMs);
  ASSERT_EQ(room.floor(), 2u);
  room.Talk(4);
  room.Leave(2);
  room.Tick();
  EXPECT_EQ(room.floor(), 4u);  // no hold on a vacant floor
  EXPECT_EQ(room.Sees(4), 1u);
}

TEST(VideoSelectionTest, TheFloorMovesAtOnceWhenItsHolderStopsSending) {
  Room room(3);
  room.Tick();
  room.Talk(2);
  room.TickFor(kHoldMs);
  ASSERT_EQ(room.floor(), 2u);
  room[2].sends_video = false;  // put on hold
  EXPECT_TRUE(room.Tick());
  EXPECT_EQ(room.floor(), 1u);
  for (const VideoMember& m : room.members()) EXPECT_NE(m.sees, 2u) << m.id;
}

TEST(VideoSelectionTest, NobodySeesItselfOrAMemberWithoutVideo) {
  std::mt19937 random(16);
  Room room(6);
  const VideoMode modes[] = {VideoMode::kFollowTalker, VideoMode::kPresenter, VideoMode::kAudioOnly,
                             VideoMode::kDefault};
  for (int tick = 0; tick < 5000; ++tick) {
    for (VideoMember& m : room.members()) {
      if (random() % 50 == 0) m.sends_video = !m.sends_video;
      if (random() % 80 == 0) m.receives_video = !m.receives_video;
      if (random() % 10 == 0) m.talking = !m.talking;
      m.level_db = -static_cast<float>(random() % 60);
    }
    const VideoMode mode = modes[(tick / 500) % 4];
    room.Tick(mode, 1 + random() % 7);
    for (const VideoMember& m : room.members()) {
      ASSERT_NE(m.sees, m.id) << tick;
      if (!m.receives_video || mode == VideoMode::kAudioOnly) {
        ASSERT_EQ(m.sees, 0u) << tick;
      }
      if (m.sees != 0) {
        ASSERT_TRUE(room[m.sees].sends_video) << tick;
      }
    }
  }
}

}  // namespace
}  // namespace tutti::mixer
