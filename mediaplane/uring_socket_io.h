// PacketIo over kernel UDP sockets driven by io_uring ([media] kernel_io =
// "uring"): the same sockets as KernelSocketIo, without a system call per
// socket. Each attached socket has one multishot recvmsg armed that fills
// buffers from a ring provided per worker, so a whole burst from thousands
// of sockets is collected by one io_uring_enter; a tick's sends are one
// sendmsg submission each and go to the kernel in one io_uring_enter
// (successful sends post no completion).
//
// The ring is made in the constructor (any thread) but disabled; the first
// call from the worker's thread enables it and makes that thread its only
// submitter, so deferred task work (the receives' copies) runs in the
// worker, in its io_uring_enter, batched.
//
// A detached socket is cancelled by descriptor before DetachPort returns
// and every completion carries the port's generation: a completion of a
// socket detached since (its descriptor closed and perhaps reused) is never
// delivered as data.
#pragma once

#include <liburing.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "mediaplane/endpoint_sockaddr.h"
#include "mediaplane/packet_io.h"

namespace tutti::media {

struct UringOptions {
  unsigned submission_entries = 1024;  // sends and re-arms per io_uring_enter
  unsigned completion_entries = 8192;
  // Receive buffers shared by all the worker's sockets (a power of two). A
  // socket whose receive finds none stops until the next Receive re-arms it
  // (its datagrams wait in the socket).
  unsigned buffers = 4096;
};

class UringSocketIo final : public PacketIo {
 public:
  static constexpr int kBurst = 64;

  // An error says why io_uring cannot be used (kernel too old, a seccomp
  // filter, io_uring_disabled): the caller falls back to epoll.
  static absl::StatusOr<std::unique_ptr<UringSocketIo>> Create(UringOptions options = {});
  ~UringSocketIo() override;
  UringSocketIo(const UringSocketIo&) = delete;
  UringSocketIo& operator=(const UringSocketIo&) = delete;

  bool AttachPort(uint16_t port, int fd) override;
  void DetachPort(uint16_t port, int fd) override;
  int Receive(std::span<Datagram> out, int64_t timeout_us) override;
  int Send(std::span<const Datagram> datagrams) override;
  Counters counters() const override { return counters_; }
  uint64_t idle_ns() const override { return idle_ns_; }

  // Receives stopped for want of a buffer (each re-armed): receive_stalls.
  uint64_t rearms() const { return counters_.receive_stalls; }

 private:
  explicit UringSocketIo(UringOptions options);
  absl::Status Setup();
  // Enables the ring on the first call from the worker's thread; false when
  // called from another thread (a stopped worker's teardown).
  bool OnOwnThread();
  io_uring_sqe* NextSqe();
  void Arm(uint16_t port);
  void RecycleHeld();
  void ReturnBuffer(uint16_t buffer_id);
  // Takes completions from the ring into out[filled...]; returns the new fill.
  size_t Drain(std::span<Datagram> out, size_t filled);
  bool TakeReceive(const io_uring_cqe& cqe, Datagram* out);
  uint8_t* BufferAt(uint16_t buffer_id) {
    return buffer_memory_ + size_t{buffer_id} * kBufferBytes;
  }

  // A buffer holds the recvmsg header, the sender's address and the payload.
  static constexpr size_t kBufferBytes = 2048;
  static constexpr uint16_t kBufferGroup = 0;

  struct PortState {
    int fd = -1;
    uint32_t generation = 0;
    bool armed = false;  // a multishot recvmsg is (or is about to be) in the kernel
  };

  UringOptions options_;
  io_uring ring_{};
  bool ring_made_ = false;
  bool enabled_ = false;
  std::thread::id owner_;
  io_uring_buf_ring* buffer_ring_ = nullptr;
  size_t buffer_ring_bytes_ = 0;
  uint8_t* buffer_memory_ = nullptr;
  size_t buffer_memory_bytes_ = 0;
  unsigned returned_ = 0;  // buffers added to the ring, not yet published
  // Port -> state: a flat table, one lookup per send and per completion.
  std::vector<PortState> ports_;
  // Ports whose multishot receive ended (no buffer, an error), re-armed by
  // the next Receive. Sized for every port: bounded, never grows.
  std::vector<uint16_t> to_arm_;
  size_t to_arm_count_ = 0;
  // Buffers lent to the caller by the last Receive.
  std::array<uint16_t, kBurst> held_{};
  size_t held_count_ = 0;
  // What one submission's sendmsg calls read: valid until io_uring_enter
  // returns, which is before Send returns.
  std::vector<msghdr> send_headers_;
  std::vector<iovec> send_vectors_;
  std::vector<SocketAddressBuffer> send_addresses_;
  size_t send_slots_used_ = 0;
  msghdr receive_template_{};
  Counters counters_;
  uint64_t idle_ns_ = 0;
};

}  // namespace tutti::media
