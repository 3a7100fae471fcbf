#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>

#include "gtest/gtest.h"

namespace tutti {
namespace {

// Writes the log into a pipe for one test and gives back what was written.
class LogCapture {
 public:
  explicit LogCapture(LogFormat format) {
    EXPECT_EQ(pipe2(fds_.data(), O_CLOEXEC | O_NONBLOCK), 0);
    SetLogFd(fds_[1]);
    SetLogFormat(format);
  }
  ~LogCapture() {
    SetLogFd(2);
    SetLogFormat(LogFormat::kLogfmt);
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string Text() {
    std::string text;
    std::array<char, 4096> buffer{};
    ssize_t n;
    while ((n = read(fds_[0], buffer.data(), buffer.size())) > 0) {
      text.append(buffer.data(), static_cast<size_t>(n));
    }
    return text;
  }

 private:
  std::array<int, 2> fds_{};
};

TEST(LogTest, BooleansAreJsonBooleans) {
  LogCapture capture(LogFormat::kJson);
  LogInfo("test", "flags").With("tls", true).With("moderator", false).With("text", "true");
  const std::string line = capture.Text();
  EXPECT_NE(line.find(R"("tls":true,"moderator":false,"text":"true"})"), std::string::npos) << line;
}

TEST(LogTest, BooleansInLogfmtAreBare) {
  LogCapture capture(LogFormat::kLogfmt);
  LogInfo("test", "flags").With("tls", true).With("moderator", false);
  const std::string line = capture.Text();
  EXPECT_NE(line.find(" tls=true moderator=false\n"), std::string::npos) << line;
}

}  // namespace
}  // namespace tutti
