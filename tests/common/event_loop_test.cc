#include "common/event_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tutti {
namespace {

// Runs the loop until `done` or a generous deadline (never a timing assertion).
template <typename Predicate>
void RunUntil(EventLoop& loop, Predicate done) {
  for (int i = 0; i < 500 && !done(); ++i) loop.RunOnce(absl::Milliseconds(10));
}

TEST(EventLoopTest, TimersRunInDeadlineOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.AddTimer(absl::Milliseconds(30), [&] { order.push_back(3); });
  loop.AddTimer(absl::Milliseconds(10), [&] { order.push_back(1); });
  loop.AddTimer(absl::Milliseconds(20), [&] { order.push_back(2); });
  RunUntil(loop, [&] { return order.size() == 3; });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoopTest, CancelledTimerNeverRuns) {
  EventLoop loop;
  bool ran = false, other = false;
  EventLoop::TimerId id = loop.AddTimer(absl::Milliseconds(5), [&] { ran = true; });
  loop.AddTimer(absl::Milliseconds(20), [&] { other = true; });
  loop.CancelTimer(id);
  loop.CancelTimer(id);  // twice is harmless
  RunUntil(loop, [&] { return other; });
  EXPECT_FALSE(ran);
}

TEST(EventLoopTest, ZeroDelayTimerThatReArmsDoesNotStarveSockets) {
  EventLoop loop;
  int sockets[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sockets), 0);
  bool readable = false;
  ASSERT_TRUE(loop.AddFd(sockets[0], EPOLLIN, [&](uint32_t) { readable = true; }).ok());
  std::function<void()> rearm = [&] { loop.AddTimer(absl::ZeroDuration(), rearm); };
  loop.AddTimer(absl::ZeroDuration(), rearm);
  ASSERT_EQ(write(sockets[1], "x", 1), 1);
  RunUntil(loop, [&] { return readable; });
  EXPECT_TRUE(readable);
  loop.RemoveFd(sockets[0]);
  close(sockets[0]);
  close(sockets[1]);
}

TEST(EventLoopTest, FdRemovedByEarlierCallbackInSameBatchIsNotCalled) {
  EventLoop loop;
  int a[2], b[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, a), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, b), 0);
  int calls = 0;
  // Whichever runs first removes the other; only one may run.
  ASSERT_TRUE(loop.AddFd(a[0], EPOLLIN,
                         [&](uint32_t) {
                           ++calls;
                           loop.RemoveFd(b[0]);
                         })
                  .ok());
  ASSERT_TRUE(loop.AddFd(b[0], EPOLLIN,
                         [&](uint32_t) {
                           ++calls;
                           loop.RemoveFd(a[0]);
                         })
                  .ok());
  ASSERT_EQ(write(a[1], "x", 1), 1);
  ASSERT_EQ(write(b[1], "x", 1), 1);
  loop.RunOnce(absl::Milliseconds(100));
  EXPECT_EQ(calls, 1);
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST(EventLoopTest, PostFromAnotherThreadWakesTheLoop) {
  EventLoop loop;
  bool ran = false;
  std::thread poster([&] {
    loop.Post([&] {
      ran = true;
      loop.Stop();
    });
  });
  loop.AddTimer(absl::Seconds(5), [&] { loop.Stop(); });  // safety net
  loop.Run();
  poster.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace tutti
