// The kernel path of tutti-load's audio: one UDP socket, a sendmmsg and a
// recvmmsg per 64 datagrams, the kernel's receive timestamp as arrival time.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "bench/tutti_load/media_transport.h"
#include "bench/tutti_load/udp_socket.h"
#include "mediaplane/monotonic_clock.h"

namespace tutti::load {
namespace {

class KernelTransport final : public MediaTransport {
 public:
  KernelTransport(int fd, std::string address)
      : fd_(fd), address_(std::move(address)), port_(LocalPort(fd)) {
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    // Kernel timestamps are CLOCK_REALTIME; the run's schedule is on the
    // steady clock.
    timespec real{};
    clock_gettime(CLOCK_REALTIME, &real);
    realtime_minus_steady_us_ =
        real.tv_sec * 1'000'000 + real.tv_nsec / 1000 - media::MonotonicMicros();
  }
  ~KernelTransport() override { close(fd_); }

  const std::string& address() const override { return address_; }
  uint16_t port() const override { return port_; }
  uint8_t* next_out() override { return batch_.next_out(); }
  bool Queue(size_t length, const sockaddr_in& to) override { return batch_.Queue(length, to); }
  size_t Flush() override { return batch_.Flush(fd_); }
  bool busy_poll() const override { return false; }

  size_t Drain(OnDatagram fn) override {
    const int64_t now_us = media::MonotonicMicros();
    size_t count = 0;
    batch_.Drain(
        fd_, true,
        [&](std::span<const uint8_t> packet, const sockaddr_in& from, const msghdr& header) {
          ++count;
          fn(packet, ntohs(from.sin_port), ArrivalUs(header, now_us));
        });
    return count;
  }

 private:
  // When the kernel queued the datagram (steady clock), from SO_TIMESTAMPNS.
  int64_t ArrivalUs(const msghdr& header, int64_t fallback_us) const {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&header), const_cast<cmsghdr*>(c))) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec stamp{};
        std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        return stamp.tv_sec * 1'000'000 + stamp.tv_nsec / 1000 - realtime_minus_steady_us_;
      }
    }
    return fallback_us;
  }

  const int fd_;
  const std::string address_;
  const uint16_t port_;
  int64_t realtime_minus_steady_us_ = 0;
  DatagramBatch batch_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MediaTransport>> OpenKernelTransport(const std::string& address) {
  const std::optional<int> fd = BindUdp(address, 0, 64 << 20);
  if (!fd) return absl::UnavailableError("cannot bind a UDP socket for RTP on " + address);
  return std::make_unique<KernelTransport>(*fd, address);
}

}  // namespace tutti::load
