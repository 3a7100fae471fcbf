#include "bench/tutti_load/udp_socket.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tutti::load {

std::optional<int> BindUdp(const std::string& address, uint16_t port, int buffer_bytes) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  // FORCE works for root (the benchmark machine); otherwise the sysctl caps apply.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer_bytes, sizeof buffer_bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &local.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    return std::nullopt;
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_in local{};
  socklen_t length = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  return ntohs(local.sin_port);
}

}  // namespace tutti::load

namespace tutti::load {

DatagramBatch::DatagramBatch() {
  for (size_t i = 0; i < kBatch; ++i) {
    out_iov_[i] = {out_buffers_[i].data(), 0};
    out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
    out_msgs_[i].msg_hdr.msg_iovlen = 1;
    out_msgs_[i].msg_hdr.msg_name = &out_to_[i];
    out_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    in_iov_[i] = {in_buffers_[i].data(), in_buffers_[i].size()};
    in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_msgs_[i].msg_hdr.msg_iovlen = 1;
    in_msgs_[i].msg_hdr.msg_name = &in_from_[i];
    in_msgs_[i].msg_hdr.msg_control = in_control_[i].data();
  }
}

bool DatagramBatch::Queue(size_t length, const sockaddr_in& to) {
  out_iov_[out_count_].iov_len = length;
  out_to_[out_count_] = to;
  return ++out_count_ == kBatch;
}

size_t DatagramBatch::Flush(int fd) {
  size_t sent = 0;
  while (sent < out_count_) {
    const int n = sendmmsg(fd, &out_msgs_[sent], static_cast<unsigned>(out_count_ - sent), 0);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  out_count_ = 0;
  return sent;
}

size_t DatagramBatch::Receive(int fd, bool control) {
  for (mmsghdr& message : in_msgs_) {
    message.msg_hdr.msg_namelen = sizeof(sockaddr_in);
    message.msg_hdr.msg_controllen = control ? kControlBytes : 0;
  }
  const int n = recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace tutti::load
