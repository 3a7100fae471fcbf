// Hands out RTP/RTCP port pairs from a configured range, with their UDP
// sockets already bound, so a port in an SDP answer is a port we hold.
//
// RTP takes the even port, RTCP the odd one above it (RFC 3550 §11). Ports
// another process holds are skipped. Pairs are picked at random: ports handed
// out in order told a stranger where the next call's media would be (issue
// 13). A pair's sockets are bound in the family its caller's SDP uses (IPv4
// or IPv6 media address); the port numbers are unique across both families,
// because a worker routes datagrams by local port alone. Not thread-safe: one allocator belongs to
// one thread (the control thread today; one per worker range later).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "mediaplane/endpoint.h"

namespace tutti::media {

// Which port pairs the allocator has handed out: the one record for a
// kernel-bypass backend (it owns the media address, nothing is bound), and
// for kernel sockets what keeps a port number from being bound in the other
// family too. Shared with every lease, which may be released on a media
// worker's thread.
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
  // `leases` may be null (a pair bound outside an allocator).
  PortPair(int rtp_fd, int rtcp_fd, uint16_t rtp_port, std::shared_ptr<PortLeases> leases = nullptr,
           size_t index = 0)
      : rtp_fd_(rtp_fd),
        rtcp_fd_(rtcp_fd),
        rtp_port_(rtp_port),
        leases_(std::move(leases)),
        lease_index_(index) {}
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
  // leases itself. `bind_address6` is the IPv6 media address ("" = none;
  // the DPDK plane is IPv4-only and gives none).
  PortAllocator(std::string bind_address, uint16_t min_port, uint16_t max_port,
                Mode mode = Mode::kKernelSockets, std::string bind_address6 = "");

  // Binds a free pair: the first free one from a random pair onwards (one
  // random draw and, while the range is not nearly full, a step or two). A
  // pair just released comes back only by chance (1 in pair_count()); late
  // packets of its old call would meet the new call's latch, not its media.
  // ResourceExhausted when none is free; FailedPrecondition for a family
  // this allocator has no address of.
  absl::StatusOr<PortPair> Allocate(IpFamily family = IpFamily::kIpv4);

  bool Supports(IpFamily family) const;
  // Binds a socket to the family's address (on a port the kernel picks) and
  // closes it: at start, tells a host without that address (no IPv6, a typo)
  // before the first caller would meet it.
  absl::Status CheckAddress(IpFamily family) const;
  const std::string& bind_address() const { return bind_address_; }
  const std::string& bind_address6() const { return bind_address6_; }
  int pair_count() const { return (max_port_ - min_port_ + 1) / 2; }

 private:
  // Binds the pair at `rtp_port` in `address`; nullopt when another process
  // holds either port.
  absl::StatusOr<std::optional<PortPair>> Bind(const std::string& address, uint16_t rtp_port,
                                               size_t index);

  std::string bind_address_;
  std::string bind_address6_;
  uint16_t min_port_;
  uint16_t max_port_;
  Mode mode_;
  absl::BitGen random_;
  std::shared_ptr<PortLeases> leases_;
};

}  // namespace tutti::media
