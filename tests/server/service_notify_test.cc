// NotifyService against a socket standing in for systemd's: what arrives,
// on a path and on an abstract socket, and what happens without a manager
// or with a socket nobody listens on.
#include "server/service_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

#include "tests/support/temp_path.h"

namespace tutti {
namespace {

// A datagram socket bound where $NOTIFY_SOCKET will say, as the manager's.
class ManagerSocket {
 public:
  // `name` is a path, or "@name" for an abstract socket (as systemd writes it).
  explicit ManagerSocket(const std::string& name) : fd_(socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  }
  ~ManagerSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }
  // The next datagram already queued (NotifyService sends before it returns).
  std::optional<std::string> Received() const {
    char buffer[512];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }

 private:
  int fd_;
  bool bound_ = false;
};

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("NOTIFY_SOCKET"); }
};

TEST_F(ServiceNotifyTest, WithoutManagerSendsNothingAndSucceeds) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyService("READY=1"));
}

TEST_F(ServiceNotifyTest, SendsStateToPathSocket) {
  const std::string path = testing_support::UniqueTempPath("notify");
  ManagerSocket manager(path);
  ASSERT_TRUE(manager.bound()) << path;
  setenv("NOTIFY_SOCKET", path.c_str(), 1);

  EXPECT_TRUE(NotifyService("READY=1\nSTATUS=serving"));
  EXPECT_EQ(manager.Received(), "READY=1\nSTATUS=serving");
  unlink(path.c_str());
}

TEST_F(ServiceNotifyTest, SendsToAbstractSocketAndKeepsEnvironmentForLaterStates) {
  const std::string name = "@tutti-notify-test-" + std::to_string(getpid());
  ManagerSocket manager(name);
  ASSERT_TRUE(manager.bound()) << name;
  setenv("NOTIFY_SOCKET", name.c_str(), 1);

  // A reload and the shutdown come later: the first notification must not
  // take $NOTIFY_SOCKET away from them.
  EXPECT_TRUE(NotifyService("READY=1"));
  EXPECT_TRUE(NotifyService("RELOADING=1"));
  EXPECT_TRUE(NotifyService("STOPPING=1"));
  EXPECT_EQ(manager.Received(), "READY=1");
  EXPECT_EQ(manager.Received(), "RELOADING=1");
  EXPECT_EQ(manager.Received(), "STOPPING=1");
}

TEST_F(ServiceNotifyTest, SocketNobodyListensOnIsAFailure) {
  const std::string path = testing_support::UniqueTempPath("nobody-listens");
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_FALSE(NotifyService("READY=1"));
}

}  // namespace
}  // namespace tutti
