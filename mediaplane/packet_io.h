// The packet plane seen from a media worker: bursts of UDP datagrams in and
// out on the worker's own media ports. One instance per worker, used by that
// worker's thread only. The kernel-socket backend (kernel_socket_io.h) is the
// default; the DPDK backend (dpdk/) implements the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "mediaplane/endpoint.h"

namespace tutti::media {

struct Datagram {
  uint16_t local_port = 0;  // the media port it arrived on / leaves from
  Endpoint remote;
  uint8_t* data = nullptr;
  uint16_t size = 0;
};

constexpr size_t kMaxDatagramBytes = 1500;

class PacketIo {
 public:
  virtual ~PacketIo() = default;

  // Fills `out` with up to out.size() datagrams, waiting at most `timeout_us`
  // microseconds for the first (0: do not wait). The data pointers stay valid
  // until the next Receive. Returns the count.
  virtual int Receive(std::span<Datagram> out, int64_t timeout_us) = 0;

  // Sends what it can and returns how many were handed to the network; the
  // caller counts the rest as dropped. The data is copied or sent before return.
  virtual int Send(std::span<const Datagram> datagrams) = 0;

  struct Counters {
    uint64_t received = 0;
    uint64_t sent = 0;
    uint64_t send_errors = 0;  // refused by Send (not in its return)
    // Failed in the kernel after Send had handed them over (io_uring's
    // completions), so the caller could not count them.
    uint64_t send_failed_late = 0;
    uint64_t receive_errors = 0;
    // Receiving on a socket stopped for want of a buffer and was re-armed
    // (io_uring's shared buffers; the datagrams waited in the socket).
    uint64_t receive_stalls = 0;
  };
  virtual Counters counters() const = 0;

  // Wall time (ns, cumulative) this I/O spent waiting with nothing to hand
  // over: blocked in the kernel with no datagram ready, or busy-polling empty
  // queues. The worker's load is the share of time that was not idle
  // (issue 20: placement and admission by measured load).
  virtual uint64_t idle_ns() const = 0;

  // Starts and stops receiving on a media port. The kernel backend needs the
  // socket the PortAllocator bound (`fd`); a kernel-bypass backend ignores it.
  // The caller keeps the socket open until after DetachPort.
  virtual bool AttachPort(uint16_t port, int fd) = 0;
  virtual void DetachPort(uint16_t port, int fd) = 0;
};

}  // namespace tutti::media
