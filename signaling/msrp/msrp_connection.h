// One MSRP TCP connection of the MSRP service: the socket, the bytes read
// and not yet framed, and the bytes queued for the peer. It does no MSRP
// itself: the service reads frames from it (NextFrame) and queues bytes
// to it (Queue), so nothing here calls back into the service and a
// connection can be closed between any two frames.
//
// Writes never block: what the kernel does not take waits in a queue
// bounded by the caller's limit (Queue says when it is past it), and the
// connection asks the loop for EPOLLOUT until the queue is empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/time/time.h"
#include "common/event_loop.h"
#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {

class MsrpConnection {
 public:
  enum class ReadResult { kOk, kClosed, kTooMuch };
  enum class FlushResult { kOk, kClosed };

  // Takes `fd` (nonblocking); `connecting`: a connect() in progress, which
  // the first EPOLLOUT finishes (FinishConnect).
  MsrpConnection(EventLoop* loop, int fd, std::string peer, bool connecting);
  ~MsrpConnection();  // stops watching and closes the socket
  MsrpConnection(const MsrpConnection&) = delete;
  MsrpConnection& operator=(const MsrpConnection&) = delete;

  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }  // the source address, for limits
  bool connecting() const { return connecting_; }
  // The connect() in progress finished: OK, or why not.
  bool FinishConnect(std::string* why);

  // Reads what the socket has (one read, so no peer hogs the thread);
  // kTooMuch when unframed bytes pile up past `max_buffered`.
  ReadResult Read(size_t max_buffered, uint64_t* bytes_read);
  // The next complete frame of what was read, if there is one.
  FrameResult NextFrame(const ParseLimits& limits);

  // Queues `bytes` and writes what the kernel takes now. False when the
  // queue is then above `max_queued`: the peer does not read.
  bool Queue(std::string bytes, size_t max_queued, uint64_t* bytes_sent);
  // On EPOLLOUT: writes what is queued.
  FlushResult Flush(uint64_t* bytes_sent);
  size_t queued_bytes() const { return queued_bytes_; }

 private:
  FlushResult WriteQueued(uint64_t* bytes_sent);
  void WatchWrites(bool on);

  EventLoop* loop_;
  int fd_;
  std::string peer_;
  bool connecting_;
  bool watching_writes_ = false;
  std::string read_buffer_;
  size_t read_offset_ = 0;  // bytes of read_buffer_ already framed
  std::deque<std::string> write_queue_;
  size_t write_offset_ = 0;  // bytes of write_queue_.front() already written
  size_t queued_bytes_ = 0;
};

}  // namespace tutti::msrp
