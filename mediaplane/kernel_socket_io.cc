#include "mediaplane/kernel_socket_io.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mediaplane/endpoint_sockaddr.h"
#include "mediaplane/monotonic_clock.h"

namespace tutti::media {

KernelSocketIo::KernelSocketIo() : fd_by_port_(65536, -1) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
}

KernelSocketIo::~KernelSocketIo() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool KernelSocketIo::AttachPort(uint16_t local_port, int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  // The port rides in the event: no lookup to learn where a datagram landed.
  event.data.u64 = (uint64_t{local_port} << 32) | static_cast<uint32_t>(fd);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
  fd_by_port_[local_port] = fd;
  return true;
}

void KernelSocketIo::DetachPort(uint16_t local_port, int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (fd_by_port_[local_port] == fd) fd_by_port_[local_port] = -1;
  // The descriptor is closed after this and its number reused: forget it.
  const auto kept = std::remove_if(pending_.begin(), pending_.begin() + pending_count_,
                                   [fd](const ReadyPort& ready) { return ready.fd == fd; });
  pending_count_ = static_cast<size_t>(kept - pending_.begin());
}

int KernelSocketIo::ReceiveFrom(int fd, uint16_t local_port, std::span<Datagram> out) {
  const int capacity = static_cast<int>(std::min<size_t>(out.size(), kPerSocket));
  // Only the entries used are written: zeroing whole arrays per socket read
  // cost more than the read's own bookkeeping.
  std::array<mmsghdr, kPerSocket> messages;
  std::array<iovec, kPerSocket> vectors;
  std::array<SocketAddressBuffer, kPerSocket> sources;
  for (int i = 0; i < capacity; ++i) {
    // Receive assigned each slot its buffer; this call fills the unused tail.
    uint8_t* buffer = out[static_cast<size_t>(i)].data;
    vectors[i] = {buffer, kMaxDatagramBytes};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &sources[i];
    messages[i].msg_hdr.msg_namelen = sizeof(SocketAddressBuffer);
  }
  const int count =
      recvmmsg(fd, messages.data(), static_cast<unsigned>(capacity), MSG_DONTWAIT, nullptr);
  if (count < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.receive_errors;
    return 0;
  }
  for (int i = 0; i < count; ++i) {
    Datagram& datagram = out[static_cast<size_t>(i)];
    datagram.local_port = local_port;
    datagram.remote = EndpointFrom(sources[i]);
    datagram.size = static_cast<uint16_t>(messages[i].msg_len);
  }
  counters_.received += static_cast<uint64_t>(count);
  return count;
}

void KernelSocketIo::ReadOrKeep(ReadyPort ready, std::span<Datagram> out, size_t* filled) {
  if (*filled < out.size()) {
    const size_t asked = std::min<size_t>(out.size() - *filled, kPerSocket);
    const auto got = static_cast<size_t>(ReceiveFrom(ready.fd, ready.port, out.subspan(*filled)));
    *filled += got;
    if (got < asked) return;  // drained (or failed): epoll reports its next datagram
  }
  pending_[pending_count_++] = ready;
}

int KernelSocketIo::Receive(std::span<Datagram> out, int64_t timeout_us) {
  const size_t capacity = std::min<size_t>(out.size(), kBurst);
  for (size_t i = 0; i < capacity; ++i) out[i].data = buffers_[i].data();
  out = out.first(capacity);
  size_t filled = 0;

  // Sockets left with datagrams by an earlier call first.
  std::array<ReadyPort, 2 * kBurst> carried;
  const size_t carried_count = pending_count_;
  std::copy_n(pending_.begin(), carried_count, carried.begin());
  pending_count_ = 0;
  for (size_t i = 0; i < carried_count; ++i) ReadOrKeep(carried[i], out, &filled);
  // Full already: the kernel's ready list keeps until the next call.
  if (filled == capacity) return static_cast<int>(filled);

  std::array<epoll_event, kBurst> ready;
  // epoll's resolution is a millisecond; round up so a tick is never early.
  // With datagrams in hand, or sockets still to read, do not wait.
  const int timeout_ms = timeout_us <= 0 || filled > 0 || pending_count_ > 0
                             ? 0
                             : static_cast<int>((timeout_us + 999) / 1000);
  // Only a wait that may block is idle time; a poll with work in hand is not.
  const int64_t wait_started = timeout_ms > 0 ? MonotonicNanos() : 0;
  const int events = epoll_wait(epoll_fd_, ready.data(), kBurst, timeout_ms);
  if (timeout_ms > 0) idle_ns_ += static_cast<uint64_t>(MonotonicNanos() - wait_started);
  for (int i = 0; i < events; ++i) {
    ReadOrKeep({static_cast<int>(ready[i].data.u64 & 0xffffffff),
                static_cast<uint16_t>(ready[i].data.u64 >> 32)},
               out, &filled);
  }
  return static_cast<int>(filled);
}

int KernelSocketIo::SendRun(int fd, std::span<const Datagram> run) {
  // Only the entries used are written (see ReceiveFrom).
  std::array<mmsghdr, kBurst> messages;
  std::array<iovec, kBurst> vectors;
  std::array<SocketAddressBuffer, kBurst> destinations;
  const size_t count = std::min<size_t>(run.size(), kBurst);
  for (size_t i = 0; i < count; ++i) {
    messages[i] = {};
    const socklen_t length = FillSocketAddress(run[i].remote, &destinations[i]);
    vectors[i] = {run[i].data, run[i].size};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &destinations[i];
    messages[i].msg_hdr.msg_namelen = length;
  }
  const int sent = sendmmsg(fd, messages.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
  return sent < 0 ? 0 : sent;
}

int KernelSocketIo::Send(std::span<const Datagram> datagrams) {
  int sent = 0;
  size_t start = 0;
  // Runs of datagrams leaving the same port go out in one sendmmsg.
  while (start < datagrams.size()) {
    const uint16_t port = datagrams[start].local_port;
    size_t end = start + 1;
    while (end < datagrams.size() && end - start < kBurst && datagrams[end].local_port == port) {
      ++end;
    }
    const int fd = fd_by_port_[port];
    const std::span<const Datagram> run = datagrams.subspan(start, end - start);
    const int done = fd < 0 ? 0 : SendRun(fd, run);
    sent += done;
    counters_.send_errors += run.size() - static_cast<size_t>(done);
    start = end;
  }
  counters_.sent += static_cast<uint64_t>(sent);
  return sent;
}

}  // namespace tutti::media
