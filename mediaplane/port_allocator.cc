#include "mediaplane/port_allocator.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mediaplane/endpoint_sockaddr.h"

namespace tutti::media {

PortPair::PortPair(PortPair&& other) noexcept
    : rtp_fd_(std::exchange(other.rtp_fd_, -1)),
      rtcp_fd_(std::exchange(other.rtcp_fd_, -1)),
      rtp_port_(std::exchange(other.rtp_port_, 0)),
      leases_(std::move(other.leases_)),
      lease_index_(other.lease_index_) {}

PortPair& PortPair::operator=(PortPair&& other) noexcept {
  if (this != &other) {
    Close();
    rtp_fd_ = std::exchange(other.rtp_fd_, -1);
    rtcp_fd_ = std::exchange(other.rtcp_fd_, -1);
    rtp_port_ = std::exchange(other.rtp_port_, 0);
    leases_ = std::move(other.leases_);
    lease_index_ = other.lease_index_;
  }
  return *this;
}

PortPair::~PortPair() { Close(); }

void PortPair::Close() {
  if (rtp_fd_ >= 0) ::close(rtp_fd_);
  if (rtcp_fd_ >= 0) ::close(rtcp_fd_);
  rtp_fd_ = rtcp_fd_ = -1;
  if (leases_) {
    leases_->in_use[lease_index_].store(false, std::memory_order_release);
    leases_.reset();
  }
  rtp_port_ = 0;
}

namespace {

// A non-blocking UDP socket bound to `local`, or -1 with errno set. Bound
// to one IPv6 address (config refuses ::), the kernel makes it IPv6-only:
// IPv4 media has sockets of its own.
int BindUdp(const Endpoint& local) {
  SocketAddressBuffer address;
  const socklen_t length = FillSocketAddress(local, &address);
  int fd = ::socket(address.base.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::bind(fd, &address.base, length) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

PortAllocator::PortAllocator(std::string bind_address, uint16_t min_port, uint16_t max_port,
                             Mode mode, std::string bind_address6)
    : bind_address_(std::move(bind_address)),
      bind_address6_(std::move(bind_address6)),
      min_port_(static_cast<uint16_t>(min_port + (min_port & 1))),
      max_port_(max_port),
      mode_(mode),
      leases_(std::make_shared<PortLeases>(static_cast<size_t>(std::max(pair_count(), 0)))) {}

bool PortAllocator::Supports(IpFamily family) const {
  return family == IpFamily::kIpv4 || !bind_address6_.empty();
}

absl::Status PortAllocator::CheckAddress(IpFamily family) const {
  const std::string& address = family == IpFamily::kIpv4 ? bind_address_ : bind_address6_;
  const std::optional<Endpoint> local = ParseEndpoint(address, 0);
  if (!local) {
    return absl::InvalidArgumentError(absl::StrCat("bad media address \"", address, "\""));
  }
  const int fd = BindUdp(*local);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("bind ", address, ": ", std::strerror(errno)));
  ::close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PortPair>> PortAllocator::Bind(const std::string& address,
                                                            uint16_t rtp_port, size_t index) {
  const std::optional<Endpoint> local = ParseEndpoint(address, rtp_port);
  if (!local) return absl::InvalidArgumentError(absl::StrCat("bad media address ", address));
  int rtp_fd = BindUdp(*local);
  if (rtp_fd < 0) {
    if (errno == EADDRINUSE) return std::nullopt;
    return absl::InternalError(
        absl::StrCat("bind ", address, ":", rtp_port, ": ", std::strerror(errno)));
  }
  int rtcp_fd = BindUdp(local->WithPort(static_cast<uint16_t>(rtp_port + 1)));
  if (rtcp_fd < 0) {
    const int bind_error = errno;
    ::close(rtp_fd);
    if (bind_error == EADDRINUSE) return std::nullopt;
    return absl::InternalError(
        absl::StrCat("bind ", address, ":", rtp_port + 1, ": ", std::strerror(bind_error)));
  }
  leases_->in_use[index].store(true, std::memory_order_relaxed);
  return PortPair(rtp_fd, rtcp_fd, rtp_port, leases_, index);
}

absl::StatusOr<PortPair> PortAllocator::Allocate(IpFamily family) {
  if (!Supports(family)) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", std::string(IpFamilyName(family)), " media address"));
  }
  const int pairs = pair_count();
  if (pairs <= 0) return absl::ResourceExhaustedError("RTP port range is empty");
  const std::string& address = family == IpFamily::kIpv4 ? bind_address_ : bind_address6_;
  const int start = absl::Uniform<int>(random_, 0, pairs);
  for (int tried = 0; tried < pairs; ++tried) {
    const auto index = static_cast<size_t>((start + tried) % pairs);
    const auto rtp_port = static_cast<uint16_t>(min_port_ + 2 * index);
    // Ours already, in either family.
    if (leases_->in_use[index].load(std::memory_order_acquire)) continue;
    if (mode_ == Mode::kNumbersOnly) {
      leases_->in_use[index].store(true, std::memory_order_relaxed);
      return PortPair(leases_, index, rtp_port);
    }
    absl::StatusOr<std::optional<PortPair>> bound = Bind(address, rtp_port, index);
    if (!bound.ok()) return bound.status();
    if (*bound) return std::move(**bound);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free RTP port pair in ", min_port_, "-", max_port_));
}

}  // namespace tutti::media
