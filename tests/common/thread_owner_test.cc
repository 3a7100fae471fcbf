#include "common/thread_owner.h"

#include <thread>

#include "absl/time/time.h"
#include "common/event_loop.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

// Death tests fork while other threads may exist: the threadsafe style
// re-runs the test binary up to the statement instead.
class OwnerThreadDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OwnerThread::kChecked) GTEST_SKIP() << "thread checks are compiled out (release)";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(OwnerThreadDeathTest, ACheckFromAnotherThreadAborts) {
  OwnerThread owner;
  owner.Check();  // this thread owns it now
  owner.Check();
  EXPECT_DEATH(std::thread([&owner] { owner.Check(); }).join(), "belongs to thread");
}

TEST_F(OwnerThreadDeathTest, AReleasedObjectBelongsToTheNextThreadThatChecks) {
  OwnerThread owner;
  owner.Check();
  owner.Release();  // handed on
  std::thread([&owner] { owner.Check(); }).join();
  EXPECT_DEATH(owner.Check(), "belongs to thread");
  owner.Bind();  // taken back
  owner.Check();
}

TEST_F(OwnerThreadDeathTest, TheEventLoopRunsOnOneThread) {
  EventLoop loop;
  loop.RunOnce(absl::ZeroDuration());
  // Post is for other threads; a timer from one is a race with the loop.
  std::thread([&loop] { loop.Post([] {}); }).join();
  EXPECT_DEATH(std::thread([&loop] { loop.AddTimer(absl::Seconds(1), [] {}); }).join(),
               "AddTimer.*belongs to thread");
}

}  // namespace
}  // namespace tutti
