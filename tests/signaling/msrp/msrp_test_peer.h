// An MSRP peer for the MSRP service's tests: a blocking loopback TCP
// socket that sends MSRP it writes itself and reads frames with deadlines
// (never sleeps). The frames are read with tutti_msrp's parser, which has
// tests of its own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp::testing {

using Clock = std::chrono::steady_clock;
inline Clock::time_point Deadline(int seconds = 10) {
  return Clock::now() + std::chrono::seconds(seconds);
}

class MsrpTestPeer {
 public:
  MsrpTestPeer() = default;
  explicit MsrpTestPeer(int fd) : fd_(fd) {}
  MsrpTestPeer(MsrpTestPeer&& other) noexcept { *this = std::move(other); }
  MsrpTestPeer& operator=(MsrpTestPeer&& other) noexcept {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    closed_ = other.closed_;
    return *this;
  }
  ~MsrpTestPeer() { Close(); }

  static MsrpTestPeer Connect(uint16_t port, int receive_buffer = 0) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      close(fd);
      return MsrpTestPeer(-1);
    }
    return MsrpTestPeer(fd);
  }

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // The next frame, or nullopt at the deadline, a close or bytes that do
  // not parse.
  std::optional<MsrpMessage> Read(Clock::time_point deadline = Deadline()) {
    ParseLimits limits;
    limits.max_body_bytes = 1 << 20;
    while (true) {
      FrameResult frame = ParseFrame(buffer_, limits);
      if (frame.kind == FrameResult::Kind::kMessage) {
        buffer_.erase(0, frame.consumed);
        return std::move(frame.message);
      }
      if (frame.kind == FrameResult::Kind::kError || !ReadMore(deadline)) return std::nullopt;
    }
  }

  // The next request, answering 200 to any SEND met on the way (when `answer`).
  std::optional<MsrpMessage> ReadRequest(bool answer = true,
                                         Clock::time_point deadline = Deadline()) {
    while (std::optional<MsrpMessage> message = Read(deadline)) {
      if (!message->is_request) continue;
      if (answer && message->method == "SEND") Send(WriteResponse(*message, 200, "OK"));
      return message;
    }
    return std::nullopt;
  }

  // True once the service closed the connection (everything before it read).
  bool WaitClosed(Clock::time_point deadline = Deadline()) {
    while (ReadMore(deadline)) buffer_.clear();
    return closed_;
  }

 private:
  bool ReadMore(Clock::time_point deadline) {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[65536];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        closed_ = true;
        return false;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace tutti::msrp::testing
