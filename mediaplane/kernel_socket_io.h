// PacketIo over kernel UDP sockets: the sockets the PortAllocator bound are
// attached to this worker's epoll, read with recvmmsg and written with
// sendmmsg, so a worker makes one system call per socket per burst.
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

 private:
  int ReceiveFrom(int fd, uint16_t local_port, std::span<Datagram> out);
  int SendRun(int fd, std::span<const Datagram> run);

  int epoll_fd_ = -1;
  // Port -> descriptor (-1 when not attached): a flat table, one lookup per send.
  std::vector<int> fd_by_port_;
  std::array<std::array<uint8_t, kMaxDatagramBytes>, kBurst> buffers_{};
  Counters counters_;
};

}  // namespace tutti::media
