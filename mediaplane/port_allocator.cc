#include "mediaplane/port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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

// A non-blocking UDP socket bound to address:port, or -1 with errno set.
// Bound to one IPv6 address (config refuses ::), the kernel makes it
// IPv6-only: IPv4 media has sockets of its own.
int BindUdp(const sockaddr_storage& address, socklen_t length) {
  int fd = ::socket(address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

bool MakeAddress(const std::string& ip, uint16_t port, sockaddr_storage* out, socklen_t* length) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
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
  sockaddr_storage storage;
  socklen_t length;
  if (!MakeAddress(address, 0, &storage, &length)) {
    return absl::InvalidArgumentError(absl::StrCat("bad media address \"", address, "\""));
  }
  const int fd = BindUdp(storage, length);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("bind ", address, ": ", std::strerror(errno)));
  ::close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PortPair>> PortAllocator::Bind(const std::string& address,
                                                            uint16_t rtp_port, size_t index) {
  sockaddr_storage storage;
  socklen_t length;
  if (!MakeAddress(address, rtp_port, &storage, &length)) {
    return absl::InvalidArgumentError(absl::StrCat("bad media address ", address));
  }
  int rtp_fd = BindUdp(storage, length);
  if (rtp_fd < 0) {
    if (errno == EADDRINUSE) return std::nullopt;
    return absl::InternalError(
        absl::StrCat("bind ", address, ":", rtp_port, ": ", std::strerror(errno)));
  }
  MakeAddress(address, static_cast<uint16_t>(rtp_port + 1), &storage, &length);
  int rtcp_fd = BindUdp(storage, length);
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
