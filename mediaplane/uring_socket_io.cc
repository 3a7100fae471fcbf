#include "mediaplane/uring_socket_io.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "mediaplane/monotonic_clock.h"

namespace tutti::media {
namespace {

// user_data: what a completion is for. The port's generation rides along so
// that a completion of a socket detached since is recognised and dropped.
enum Kind : uint64_t { kReceive = 1, kSend = 2 };

uint64_t UserData(Kind kind, uint16_t port, uint32_t generation) {
  return (uint64_t{kind} << 56) | (uint64_t{generation} << 16) | port;
}
Kind KindOf(uint64_t data) { return static_cast<Kind>(data >> 56); }
uint16_t PortOf(uint64_t data) { return static_cast<uint16_t>(data & 0xffff); }
uint32_t GenerationOf(uint64_t data) { return static_cast<uint32_t>((data >> 16) & 0xffffffff); }

// Populated now: the receive buffers are used in turn, all of them within
// seconds, so a worker's resident memory is what it will be from the start
// (not creeping up by 8 MB as traffic first reaches each buffer).
void* MapAnonymous(size_t bytes) {
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return memory == MAP_FAILED ? nullptr : memory;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringSocketIo>> UringSocketIo::Create(UringOptions options) {
  std::unique_ptr<UringSocketIo> io(new UringSocketIo(options));
  if (absl::Status s = io->Setup(); !s.ok()) return s;
  return io;
}

UringSocketIo::UringSocketIo(UringOptions options)
    : options_(options),
      ports_(65536),
      to_arm_(65536),
      send_headers_(options.submission_entries),
      send_vectors_(options.submission_entries),
      send_addresses_(options.submission_entries) {}

absl::Status UringSocketIo::Setup() {
  if (options_.buffers == 0 || (options_.buffers & (options_.buffers - 1)) != 0 ||
      options_.buffers > 32768) {
    return absl::InvalidArgumentError("io_uring buffers must be a power of two up to 32768");
  }
  io_uring_params params{};
  // Disabled until the worker's thread enables it (and so becomes its only
  // submitter); task work deferred to that thread's io_uring_enter.
  params.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  params.cq_entries = options_.completion_entries;
  if (const int r = io_uring_queue_init_params(options_.submission_entries, &ring_, &params);
      r < 0) {
    return absl::UnavailableError(absl::StrCat("io_uring_setup: ", std::strerror(-r)));
  }
  ring_made_ = true;
  if ((params.features & IORING_FEAT_EXT_ARG) == 0) {
    return absl::UnavailableError("io_uring without IORING_FEAT_EXT_ARG (Linux 5.11 or later)");
  }

  buffer_ring_bytes_ = options_.buffers * sizeof(io_uring_buf);
  buffer_ring_ = static_cast<io_uring_buf_ring*>(MapAnonymous(buffer_ring_bytes_));
  buffer_memory_bytes_ = size_t{options_.buffers} * kBufferBytes;
  buffer_memory_ = static_cast<uint8_t*>(MapAnonymous(buffer_memory_bytes_));
  if (buffer_ring_ == nullptr || buffer_memory_ == nullptr) {
    return absl::ResourceExhaustedError("no memory for the io_uring receive buffers");
  }
  io_uring_buf_ring_init(buffer_ring_);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<uint64_t>(buffer_ring_);
  registration.ring_entries = options_.buffers;
  registration.bgid = kBufferGroup;
  if (const int r = io_uring_register_buf_ring(&ring_, &registration, 0); r < 0) {
    return absl::UnavailableError(
        absl::StrCat("io_uring provided buffer ring (Linux 5.19 or later): ", std::strerror(-r)));
  }
  for (unsigned i = 0; i < options_.buffers; ++i) ReturnBuffer(static_cast<uint16_t>(i));
  io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
  returned_ = 0;

  // Every receive asks for the sender's address (either family), no control data.
  receive_template_.msg_namelen = sizeof(SocketAddressBuffer);
  return absl::OkStatus();
}

UringSocketIo::~UringSocketIo() {
  // Closing the ring cancels every receive still armed.
  if (ring_made_) io_uring_queue_exit(&ring_);
  if (buffer_ring_ != nullptr) munmap(buffer_ring_, buffer_ring_bytes_);
  if (buffer_memory_ != nullptr) munmap(buffer_memory_, buffer_memory_bytes_);
}

bool UringSocketIo::OnOwnThread() {
  if (enabled_) return std::this_thread::get_id() == owner_;
  // The system call itself: liburing 2.3 (Debian 12) declares
  // io_uring_enable_rings but its library does not export it.
  if (syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) <
      0) {
    return false;
  }
  enabled_ = true;
  owner_ = std::this_thread::get_id();
  return true;
}

io_uring_sqe* UringSocketIo::NextSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe != nullptr) return sqe;
  // Full: hand what is queued to the kernel (which reads it now) and reuse.
  if (returned_ > 0) {
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
    returned_ = 0;
  }
  io_uring_submit(&ring_);
  send_slots_used_ = 0;
  return io_uring_get_sqe(&ring_);
}

void UringSocketIo::Arm(uint16_t port) {
  PortState& state = ports_[port];
  io_uring_sqe* sqe = NextSqe();
  if (sqe == nullptr) return;  // cannot happen once submitted; retried on the next end
  io_uring_prep_recvmsg_multishot(sqe, state.fd, &receive_template_, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, UserData(kReceive, port, state.generation));
  state.armed = true;
}

bool UringSocketIo::AttachPort(uint16_t port, int fd) {
  if (!OnOwnThread() || fd < 0) return false;
  PortState& state = ports_[port];
  if (state.fd >= 0 && state.fd != fd) DetachPort(port, state.fd);
  if (state.fd == fd) return true;
  state.fd = fd;
  ++state.generation;
  Arm(port);  // submitted with the next Receive or Send
  return true;
}

void UringSocketIo::DetachPort(uint16_t port, int fd) {
  PortState& state = ports_[port];
  if (state.fd != fd || fd < 0) return;
  state.fd = -1;
  state.armed = false;
  ++state.generation;  // whatever completes for it from now on is stale
  // A stopped worker's teardown (another thread): the ring cannot be used
  // there; closing it with this I/O releases the socket.
  if (!OnOwnThread()) return;
  // An arm still queued goes in first, so that the cancel finds it: it must
  // never reach the kernel after the caller closed (and reused) the fd.
  io_uring_submit(&ring_);
  send_slots_used_ = 0;
  io_uring_sync_cancel_reg cancel{};
  cancel.fd = fd;
  cancel.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  cancel.timeout.tv_sec = -1;
  cancel.timeout.tv_nsec = -1;
  io_uring_register_sync_cancel(&ring_, &cancel);
  // Runs the cancelled receive's completion, which lets go of the socket:
  // once the caller closes the fd, the port is free to bind again.
  io_uring_get_events(&ring_);
}

void UringSocketIo::ReturnBuffer(uint16_t buffer_id) {
  io_uring_buf_ring_add(buffer_ring_, BufferAt(buffer_id), kBufferBytes, buffer_id,
                        io_uring_buf_ring_mask(options_.buffers), static_cast<int>(returned_));
  ++returned_;
}

void UringSocketIo::RecycleHeld() {
  for (size_t i = 0; i < held_count_; ++i) ReturnBuffer(held_[i]);
  held_count_ = 0;
}

bool UringSocketIo::TakeReceive(const io_uring_cqe& cqe, Datagram* out) {
  const uint64_t data = cqe.user_data;
  const uint16_t port = PortOf(data);
  PortState& state = ports_[port];
  const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  const auto buffer_id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  if (GenerationOf(data) != state.generation) {
    // A socket detached since: its datagram is not the new socket's.
    if (has_buffer) ReturnBuffer(buffer_id);
    return false;
  }
  if ((cqe.flags & IORING_CQE_F_MORE) == 0) {
    // The multishot receive ended (no buffer left, or an error): re-armed
    // by the next Receive, the socket keeps its datagrams meanwhile.
    state.armed = false;
    if (state.fd >= 0) to_arm_[to_arm_count_++] = port;
    if (cqe.res == -ENOBUFS) {
      ++counters_.receive_stalls;
    } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
      ++counters_.receive_errors;
    }
  }
  if (cqe.res < 0 || !has_buffer) {
    if (has_buffer) ReturnBuffer(buffer_id);
    return false;
  }
  uint8_t* buffer = BufferAt(buffer_id);
  io_uring_recvmsg_out* header = io_uring_recvmsg_validate(buffer, cqe.res, &receive_template_);
  if (header == nullptr || (header->flags & MSG_TRUNC) != 0 ||
      io_uring_recvmsg_payload_length(header, cqe.res, &receive_template_) > kMaxDatagramBytes) {
    ++counters_.receive_errors;
    ReturnBuffer(buffer_id);
    return false;
  }
  SocketAddressBuffer source{};
  std::memcpy(&source, io_uring_recvmsg_name(header),
              std::min<size_t>(header->namelen, sizeof source));
  out->local_port = port;
  out->remote = EndpointFrom(source);
  out->data = static_cast<uint8_t*>(io_uring_recvmsg_payload(header, &receive_template_));
  out->size =
      static_cast<uint16_t>(io_uring_recvmsg_payload_length(header, cqe.res, &receive_template_));
  held_[held_count_++] = buffer_id;
  return true;
}

size_t UringSocketIo::Drain(std::span<Datagram> out, size_t filled) {
  unsigned seen = 0;
  unsigned head = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    // Full: the rest stays in the completion ring for the next call.
    if (filled == out.size()) break;
    ++seen;
    switch (KindOf(cqe->user_data)) {
      case kReceive:
        if (TakeReceive(*cqe, &out[filled])) ++filled;
        break;
      case kSend:  // only failures complete (IOSQE_CQE_SKIP_SUCCESS)
        ++counters_.send_failed_late;
        break;
    }
  }
  io_uring_cq_advance(&ring_, seen);
  return filled;
}

int UringSocketIo::Receive(std::span<Datagram> out, int64_t timeout_us) {
  if (!OnOwnThread()) return 0;
  out = out.first(std::min<size_t>(out.size(), kBurst));
  RecycleHeld();  // the caller is done with the last burst
  const size_t arming = std::exchange(to_arm_count_, 0);
  for (size_t i = 0; i < arming; ++i) {
    const uint16_t port = to_arm_[i];
    if (ports_[port].fd >= 0 && !ports_[port].armed) Arm(port);
  }
  if (returned_ > 0) {
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
    returned_ = 0;
  }
  // Completions already in the ring first; then one io_uring_enter submits
  // the re-arms and runs the deferred receives of every socket at once.
  size_t filled = Drain(out, 0);
  if (filled < out.size()) {
    io_uring_submit_and_get_events(&ring_);
    send_slots_used_ = 0;
    filled = Drain(out, filled);
  }
  if (filled == 0 && timeout_us > 0) {
    if (returned_ > 0) {
      io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
      returned_ = 0;
    }
    __kernel_timespec timeout{};
    timeout.tv_sec = timeout_us / 1'000'000;
    timeout.tv_nsec = (timeout_us % 1'000'000) * 1000;
    io_uring_cqe* first = nullptr;
    // Nothing ready: this wait is the worker's idle time.
    const int64_t wait_started = MonotonicNanos();
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, &timeout, nullptr);
    idle_ns_ += static_cast<uint64_t>(MonotonicNanos() - wait_started);
    filled = Drain(out, 0);
  }
  if (returned_ > 0) {
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
    returned_ = 0;
  }
  counters_.received += filled;
  return static_cast<int>(filled);
}

int UringSocketIo::Send(std::span<const Datagram> datagrams) {
  if (!OnOwnThread()) {
    counters_.send_errors += datagrams.size();
    return 0;
  }
  int handed = 0;
  for (const Datagram& datagram : datagrams) {
    const PortState& state = ports_[datagram.local_port];
    io_uring_sqe* sqe = state.fd < 0 ? nullptr : NextSqe();
    if (sqe == nullptr) {
      ++counters_.send_errors;
      continue;
    }
    const size_t slot = send_slots_used_++;
    msghdr& header = send_headers_[slot];
    header = {};
    header.msg_namelen = FillSocketAddress(datagram.remote, &send_addresses_[slot]);
    header.msg_name = &send_addresses_[slot];
    send_vectors_[slot] = {datagram.data, datagram.size};
    header.msg_iov = &send_vectors_[slot];
    header.msg_iovlen = 1;
    // MSG_DONTWAIT: a full socket fails the send at once (counted) rather
    // than leaving it to be retried later from the caller's buffer.
    io_uring_prep_sendmsg(sqe, state.fd, &header, MSG_DONTWAIT);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, UserData(kSend, datagram.local_port, state.generation));
    ++handed;
  }
  if (returned_ > 0) {
    io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(returned_));
    returned_ = 0;
  }
  // One system call for the whole tick's sends, to however many sockets.
  io_uring_submit(&ring_);
  send_slots_used_ = 0;
  counters_.sent += static_cast<uint64_t>(handed);
  return handed;
}

}  // namespace tutti::media
