// Hands out RTP/RTCP port pairs from a configured range, with their UDP
// sockets already bound, so a port in an SDP answer is a port we hold.
//
// RTP takes the even port, RTCP the odd one above it (RFC 3550 §11). Ports
// another process holds are skipped. Pairs are picked at random: ports handed
// out in order told a stranger where the next call's media would be (issue
// 13). Not thread-safe: one allocator belongs to one thread (the control
// thread today; one per worker range later).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
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

  // Binds a free pair: the first free one from a random pair onwards (one
  // random draw and, while the range is not nearly full, a step or two). A
  // pair just released comes back only by chance (1 in pair_count()); late
  // packets of its old call would meet the new call's latch, not its media.
  // ResourceExhausted when none is free.
  absl::StatusOr<PortPair> Allocate();

  const std::string& bind_address() const { return bind_address_; }
  int pair_count() const { return (max_port_ - min_port_ + 1) / 2; }

 private:
  std::string bind_address_;
  uint16_t min_port_;
  uint16_t max_port_;
  absl::BitGen random_;
  std::shared_ptr<PortLeases> leases_;  // kNumbersOnly
};

}  // namespace tutti::media
