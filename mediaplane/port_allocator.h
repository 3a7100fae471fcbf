// Hands out RTP/RTCP port pairs from a configured range, with their UDP
// sockets already bound, so a port in an SDP answer is a port we hold.
//
// RTP takes the even port, RTCP the odd one above it (RFC 3550 §11). Ports
// another process holds are skipped. Not thread-safe: one allocator belongs to
// one thread (the control thread today; one per worker range later).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tutti::media {

// Which port pairs a socket-less allocator has handed out (a kernel-bypass
// backend owns the media address, so there is nothing to bind). Shared with
// every lease, which may be released on a media worker's thread.
struct PortLeases {
  explicit PortLeases(size_t pairs) : in_use(pairs) {}
  std::vector<std::atomic<bool>> in_use;  // by pair index
};

// An RTP+RTCP port pair: with kernel sockets, the bound sockets, whose
// closing (destruction) returns the ports to the range; without, a lease
// in PortLeases that destruction gives back.
class PortPair {
 public:
  PortPair() = default;
  PortPair(int rtp_fd, int rtcp_fd, uint16_t rtp_port)
      : rtp_fd_(rtp_fd), rtcp_fd_(rtcp_fd), rtp_port_(rtp_port) {}
  PortPair(std::shared_ptr<PortLeases> leases, size_t index, uint16_t rtp_port)
      : rtp_port_(rtp_port), leases_(std::move(leases)), lease_index_(index) {}
  PortPair(PortPair&& other) noexcept;
  PortPair& operator=(PortPair&& other) noexcept;
  PortPair(const PortPair&) = delete;
  PortPair& operator=(const PortPair&) = delete;
  ~PortPair();

  uint16_t rtp_port() const { return rtp_port_; }
  uint16_t rtcp_port() const { return static_cast<uint16_t>(rtp_port_ + 1); }
  // -1 without kernel sockets.
  int rtp_fd() const { return rtp_fd_; }
  int rtcp_fd() const { return rtcp_fd_; }
  bool valid() const { return rtp_port_ != 0; }

 private:
  void Close();

  int rtp_fd_ = -1;
  int rtcp_fd_ = -1;
  uint16_t rtp_port_ = 0;
  std::shared_ptr<PortLeases> leases_;
  size_t lease_index_ = 0;
};

class PortAllocator {
 public:
  enum class Mode { kKernelSockets, kNumbersOnly };
  // [min_port, max_port], both inclusive; min is rounded up to even.
  // kNumbersOnly (a kernel-bypass packet plane) binds nothing and keeps the
  // leases itself.
  PortAllocator(std::string bind_address, uint16_t min_port, uint16_t max_port,
                Mode mode = Mode::kKernelSockets);

  // Binds the next free pair, scanning round-robin from where the last scan
  // stopped so a port just released is not reused at once (late packets of
  // the old call must not reach the new one). ResourceExhausted when none is free.
  absl::StatusOr<PortPair> Allocate();

  const std::string& bind_address() const { return bind_address_; }
  int pair_count() const { return (max_port_ - min_port_ + 1) / 2; }

 private:
  std::string bind_address_;
  uint16_t min_port_;
  uint16_t max_port_;
  uint16_t next_ = 0;
  std::shared_ptr<PortLeases> leases_;  // kNumbersOnly
};

}  // namespace tutti::media
