// The worker's objects belong to its thread: touched from another, a
// checked build (debug, sanitizers) aborts rather than racing.
#include <memory>
#include <thread>

#include "common/thread_owner.h"
#include "gtest/gtest.h"
#include "mediaplane/port_allocator.h"
#include "mixer/conference.h"
#include "mixer/participant.h"

namespace tutti::mixer {
namespace {

class ThreadOwnershipDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OwnerThread::kChecked) GTEST_SKIP() << "thread checks are compiled out (release)";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(ThreadOwnershipDeathTest, AConferenceIsUsedOnItsWorkersThreadOnly) {
  Conference conference(1, ConferenceOptions{});
  conference.Configure({.max_talkers = 2});  // this thread is its worker's now
  EXPECT_DEATH(std::thread([&conference] { conference.Configure({}); }).join(),
               "Configure.*belongs to thread");
  EXPECT_DEATH(std::thread([&conference] { conference.Find(7); }).join(), "belongs to thread");
}

TEST_F(ThreadOwnershipDeathTest, AParticipantChangesThreadOnlyWhenHandedOver) {
  // Numbers only: the test needs a leg, not its sockets.
  media::PortAllocator ports("127.0.0.1", 46000, 46999, media::PortAllocator::Mode::kNumbersOnly);
  auto pair = ports.Allocate();
  ASSERT_TRUE(pair.ok());
  ParticipantSpec spec;
  spec.codec = {media::CodecKind::kPcmu, 8000, 20};
  Participant participant(spec, std::move(*pair), 1);
  participant.SetMuted(true);  // the control thread, before a worker has it
  EXPECT_DEATH(std::thread([&participant] { participant.SetMuted(false); }).join(),
               "SetMuted.*belongs to thread");
  // A worker takes it (AddParticipant), hands it back (Detached), and the
  // control thread may use it again.
  std::thread([&participant] {
    participant.owner().Bind();
    participant.SetMuted(false);
    participant.owner().Release();
  }).join();
  participant.SetMuted(true);
}

}  // namespace
}  // namespace tutti::mixer
