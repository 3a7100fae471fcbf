// tutti-load's UDP sockets (SIP, the audio and the video each have one) and
// the batches its media goes through: one sendmmsg and one recvmmsg per
// kBatch datagrams, so that thousands of participants cost a few system
// calls a millisecond.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tutti::load {

// A non-blocking UDP socket bound to address:port (0: any free port), with
// send and receive buffers of `buffer_bytes` where the system lets it.
std::optional<int> BindUdp(const std::string& address, uint16_t port, int buffer_bytes);
uint16_t LocalPort(int fd);

// Buffers for a batch of datagrams out and one in. Holds pointers into
// itself: it stays where it was made.
class DatagramBatch {
 public:
  static constexpr size_t kBatch = 64;
  static constexpr size_t kDatagramBytes = 1500;

  DatagramBatch();
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  // Sending: write the next datagram at next_out(), then Queue it. True
  // when the batch is full: Flush before writing more.
  uint8_t* next_out() { return out_buffers_[out_count_].data(); }
  bool Queue(size_t length, const sockaddr_in& to);
  // Sends what is queued; returns how many went out (a full send buffer
  // loses the rest, as a real link would).
  size_t Flush(int fd);

  // Receiving: reads the socket empty, kBatch datagrams a system call, and
  // calls fn(packet, from, header) for each; with `control`, with room for
  // ancillary data (SO_TIMESTAMPNS) in the header.
  template <typename Fn>
  void Drain(int fd, bool control, Fn&& fn) {
    while (true) {
      const size_t n = Receive(fd, control);
      if (n == 0) return;
      for (size_t i = 0; i < n; ++i) {
        fn(std::span<const uint8_t>(in_buffers_[i].data(), in_msgs_[i].msg_len), in_from_[i],
           in_msgs_[i].msg_hdr);
      }
    }
  }

 private:
  static constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec));
  // Up to kBatch datagrams, without waiting; how many (0: none).
  size_t Receive(int fd, bool control);

  std::array<std::array<uint8_t, kDatagramBytes>, kBatch> out_buffers_{};
  std::array<iovec, kBatch> out_iov_{};
  std::array<sockaddr_in, kBatch> out_to_{};
  std::array<mmsghdr, kBatch> out_msgs_{};
  size_t out_count_ = 0;
  std::array<std::array<uint8_t, kDatagramBytes>, kBatch> in_buffers_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<sockaddr_in, kBatch> in_from_{};
  std::array<std::array<char, kControlBytes>, kBatch> in_control_{};
  std::array<mmsghdr, kBatch> in_msgs_{};
};

}  // namespace tutti::load
