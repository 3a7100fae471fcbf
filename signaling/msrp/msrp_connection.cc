#include "signaling/msrp/msrp_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace tutti::msrp {
namespace {

constexpr size_t kReadSize = 64 * 1024;

}  // namespace

MsrpConnection::MsrpConnection(EventLoop* loop, int fd, std::string peer, bool connecting)
    : loop_(loop), fd_(fd), peer_(std::move(peer)), connecting_(connecting) {
  watching_writes_ = connecting;
}

MsrpConnection::~MsrpConnection() {
  loop_->RemoveFd(fd_);
  close(fd_);
}

bool MsrpConnection::FinishConnect(std::string* why) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    *why = std::strerror(error);
    return false;
  }
  connecting_ = false;
  WatchWrites(!write_queue_.empty());
  return true;
}

MsrpConnection::ReadResult MsrpConnection::Read(size_t max_buffered, uint64_t* bytes_read) {
  if (read_offset_ > 0) {  // drop what was framed before growing the buffer
    read_buffer_.erase(0, read_offset_);
    read_offset_ = 0;
  }
  const size_t old_size = read_buffer_.size();
  read_buffer_.resize(old_size + kReadSize);
  const ssize_t n = recv(fd_, read_buffer_.data() + old_size, kReadSize, 0);
  read_buffer_.resize(old_size + (n > 0 ? static_cast<size_t>(n) : 0));
  if (n == 0) return ReadResult::kClosed;
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? ReadResult::kOk
                                                                     : ReadResult::kClosed;
  }
  *bytes_read += static_cast<uint64_t>(n);
  return read_buffer_.size() > max_buffered ? ReadResult::kTooMuch : ReadResult::kOk;
}

FrameResult MsrpConnection::NextFrame(const ParseLimits& limits) {
  FrameResult frame = ParseFrame(std::string_view(read_buffer_).substr(read_offset_), limits);
  if (frame.kind == FrameResult::Kind::kMessage) read_offset_ += frame.consumed;
  return frame;
}

bool MsrpConnection::Queue(std::string bytes, size_t max_queued, uint64_t* bytes_sent) {
  queued_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  if (!connecting_ && WriteQueued(bytes_sent) == FlushResult::kClosed) {
    // The reader learns of the close; what was queued stays counted so the
    // caller's check below does not mistake a dead peer for a fast one.
    return true;
  }
  return queued_bytes_ <= max_queued;
}

MsrpConnection::FlushResult MsrpConnection::Flush(uint64_t* bytes_sent) {
  if (connecting_) return FlushResult::kOk;
  return WriteQueued(bytes_sent);
}

MsrpConnection::FlushResult MsrpConnection::WriteQueued(uint64_t* bytes_sent) {
  while (!write_queue_.empty()) {
    const std::string& front = write_queue_.front();
    const ssize_t n = send(fd_, front.data() + write_offset_, front.size() - write_offset_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return FlushResult::kClosed;
    }
    *bytes_sent += static_cast<uint64_t>(n);
    write_offset_ += static_cast<size_t>(n);
    queued_bytes_ -= static_cast<size_t>(n);
    if (write_offset_ < front.size()) break;  // the kernel's buffer is full
    write_queue_.pop_front();
    write_offset_ = 0;
  }
  WatchWrites(!write_queue_.empty());
  return FlushResult::kOk;
}

void MsrpConnection::WatchWrites(bool on) {
  if (on == watching_writes_) return;
  watching_writes_ = on;
  (void)loop_->ModifyFd(fd_, EPOLLIN | (on ? EPOLLOUT : 0u));
}

}  // namespace tutti::msrp
