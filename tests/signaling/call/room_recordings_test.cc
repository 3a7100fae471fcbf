// RoomRecordings over fake workers: which recorder each worker is handed,
// and that a file is closed only once its worker let go of it.
#include "signaling/call/room_recordings.h"

#include <sys/stat.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint32_t kConference = 7;

class RoomRecordingsTest : public ::testing::Test {
 protected:
  RoomRecordingsTest() {
    dir_ = tutti::testing_support::UniqueTempPath("room_recordings_test");
    mkdir(dir_.c_str(), 0755);
    recordings_.set_event_hub(&events_);
    subscription_ = events_.Subscribe();
  }

  absl::StatusOr<std::string> Start(bool occupied = true) {
    return recordings_.Start("1000", kConference, occupied, dir_, mixer::RecordingFormat::kWav);
  }
  // The events published since the last call, as SSE text.
  std::string Events() {
    std::string out;
    while (std::optional<std::string> event = subscription_->Next(0)) out += *event;
    return out;
  }

  std::string dir_;
  fakes::FakeWorkers workers_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  RoomRecordings recordings_{&workers_};
};

TEST_F(RoomRecordingsTest, StartHandsTheRoomsWorkerARecorder) {
  absl::StatusOr<std::string> path = Start();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_THAT(*path, StartsWith(dir_ + "/1000-"));
  EXPECT_THAT(*path, ::testing::EndsWith(".wav"));
  ASSERT_EQ(workers_.sent.size(), 1u);
  EXPECT_EQ(workers_.sent[0].conference_id, kConference);
  const auto set = workers_.SentOf<mixer::SetRecorder>();
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0]->conference_id, kConference);
  ASSERT_NE(set[0]->recorder, nullptr);
  EXPECT_EQ(set[0]->recorder->path(), *path);
  EXPECT_TRUE(recordings_.Recording(kConference));
  EXPECT_EQ(recordings_.Path(kConference), *path);
  EXPECT_THAT(Events(), HasSubstr("event: recording_started"));
}

TEST_F(RoomRecordingsTest, RefusesAnEmptyRoomARecordedOneAndABusyWorker) {
  EXPECT_EQ(Start(/*occupied=*/false).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(workers_.sent.empty());
  ASSERT_TRUE(Start().ok());
  EXPECT_EQ(Start().status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(workers_.sent.size(), 1u);

  RoomRecordings other(&workers_);
  workers_.full = true;
  EXPECT_EQ(other.Start("2000", 8, true, dir_, mixer::RecordingFormat::kWav).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(other.Recording(8));
  workers_.full = false;
}

TEST_F(RoomRecordingsTest, FileIsClosedOnlyAfterTheWorkerReleasedIt) {
  const std::string path = *Start();
  Events();
  ASSERT_TRUE(recordings_.Stop("1000", kConference).ok());
  const auto set = workers_.SentOf<mixer::SetRecorder>();
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[1]->recorder, nullptr);
  // The worker may still append: the recorder stays open, and a stop while
  // stopping or a new start is refused.
  EXPECT_TRUE(recordings_.Recording(kConference));
  EXPECT_EQ(recordings_.Path(kConference), path);
  EXPECT_EQ(recordings_.Stop("1000", kConference).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Start().status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Events(), "");
  EXPECT_EQ(workers_.sent.size(), 2u);

  recordings_.OnReleased(kConference);
  EXPECT_FALSE(recordings_.Recording(kConference));
  EXPECT_EQ(recordings_.Path(kConference), "");
  EXPECT_THAT(Events(), HasSubstr("event: recording_stopped"));
  struct stat file {};
  ASSERT_EQ(stat(path.c_str(), &file), 0);
  EXPECT_GE(file.st_size, 44);  // a finalised WAV header
  // Released: the room may be recorded again, at once, into a file of its
  // own (named for the next second: the first is neither truncated nor reused).
  absl::StatusOr<std::string> again = Start();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(*again, path);
  ASSERT_EQ(stat(path.c_str(), &file), 0);
  EXPECT_GE(file.st_size, 44);
}

TEST_F(RoomRecordingsTest, ReleaseOfAnotherConferenceClosesNothing) {
  ASSERT_TRUE(Start().ok());
  recordings_.OnReleased(kConference + 1);
  EXPECT_TRUE(recordings_.Recording(kConference));
  EXPECT_EQ(recordings_.Stop("1000", kConference + 1).code(), absl::StatusCode::kNotFound);
}

TEST_F(RoomRecordingsTest, CloseAllStopsEveryRecordingAndWaitsForItsRelease) {
  workers_.release_recorders = true;
  ASSERT_TRUE(Start().ok());
  ASSERT_TRUE(recordings_.Stop("1000", kConference).ok());  // already stopping: not asked again
  ASSERT_TRUE(recordings_.Start("2000", 8, true, dir_, mixer::RecordingFormat::kWav).ok());
  workers_.events.push_back(mixer::TalkingStarted{1});  // dropped on the way
  recordings_.CloseAll();
  EXPECT_EQ(recordings_.open(), 0u);
  EXPECT_EQ(workers_.SentOf<mixer::SetRecorder>().size(), 4u);
  EXPECT_TRUE(workers_.events.empty());
}

}  // namespace
}  // namespace tutti
