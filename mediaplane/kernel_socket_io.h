// PacketIo over kernel UDP sockets: the sockets the PortAllocator bound are
// attached to this worker's epoll, read with recvmmsg and written with
// sendmmsg, so a worker makes one system call per socket per burst.
// The epoll is edge-triggered: level-triggered epoll polls every socket it
// reported again on the next epoll_wait (about a tenth of a worker's time at
// thousands of callers, bench/README.md), so sockets that may still hold
// datagrams are remembered here and read again without asking the kernel.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <vector>

#include "mediaplane/packet_io.h"

namespace tutti::media {

class KernelSocketIo final : public PacketIo {
 public:
  static constexpr int kBurst = 64;

  KernelSocketIo();
  ~KernelSocketIo() override;
  KernelSocketIo(const KernelSocketIo&) = delete;
  KernelSocketIo& operator=(const KernelSocketIo&) = delete;

  bool AttachPort(uint16_t port, int fd) override;
  void DetachPort(uint16_t port, int fd) override;
  int Receive(std::span<Datagram> out, int64_t timeout_us) override;
  int Send(std::span<const Datagram> datagrams) override;
  Counters counters() const override { return counters_; }
  uint64_t idle_ns() const override { return idle_ns_; }

 private:
  // A socket read at most this much at a time; one that filled it may hold
  // more. A caller's socket gets one datagram per 20 ms.
  static constexpr int kPerSocket = 8;
  struct ReadyPort {
    int fd = -1;
    uint16_t port = 0;
  };

  int ReceiveFrom(int fd, uint16_t local_port, std::span<Datagram> out);
  // Reads `ready` into out[filled...]; keeps it in pending_ when it may hold
  // more (or was not reached because out is full).
  void ReadOrKeep(ReadyPort ready, std::span<Datagram> out, size_t* filled);
  int SendRun(int fd, std::span<const Datagram> run);

  int epoll_fd_ = -1;
  // Port -> descriptor (-1 when not attached): a flat table, one lookup per send.
  std::vector<int> fd_by_port_;
  std::array<std::array<uint8_t, kMaxDatagramBytes>, kBurst> buffers_{};
  // Sockets that may hold unread datagrams (edge-triggered epoll will not
  // report them again). At most kBurst carried over plus kBurst new ones.
  std::array<ReadyPort, 2 * kBurst> pending_{};
  size_t pending_count_ = 0;
  Counters counters_;
  uint64_t idle_ns_ = 0;
};

}  // namespace tutti::media
