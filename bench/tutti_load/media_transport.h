// The path tutti-load's audio takes: every participant's RTP leaves from one
// local port and comes back to it, told apart by the server's port. Two
// implementations: a kernel UDP socket (sendmmsg/recvmmsg, arrival times
// from SO_TIMESTAMPNS) and a DPDK port (dpdk_media_transport.h; frames
// built and parsed by tutti-load itself, arrival times taken when the poll
// finds them). load_runner.cc sees only this interface.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace tutti::load {

class MediaTransport {
 public:
  virtual ~MediaTransport() = default;

  // Where the server sends every participant's audio: the SDP's c= address
  // and m= port.
  virtual const std::string& address() const = 0;
  virtual uint16_t port() const = 0;

  // Sending: write the next datagram at next_out() (room for 1500 bytes),
  // then Queue it. True when the batch is full: Flush before writing more.
  virtual uint8_t* next_out() = 0;
  virtual bool Queue(size_t length, const sockaddr_in& to) = 0;
  // Sends what is queued; returns how many went out (the rest are lost, as
  // on a real link).
  virtual size_t Flush() = 0;

  // Everything that has arrived, without waiting: fn(payload, the sender's
  // UDP port, arrival time in steady-clock microseconds). Returns how many.
  using OnDatagram =
      absl::FunctionRef<void(std::span<const uint8_t> payload, uint16_t from_port, int64_t at_us)>;
  virtual size_t Drain(OnDatagram fn) = 0;

  // True when the run loop should poll Drain instead of sleeping: the DPDK
  // path, where nothing wakes a sleeper and the arrival time is the poll's.
  virtual bool busy_poll() const = 0;
};

// A UDP socket bound to address (any free port), with large buffers.
absl::StatusOr<std::unique_ptr<MediaTransport>> OpenKernelTransport(const std::string& address);

// The DPDK media path's settings (tutti-load --dpdk_eal, --dpdk_ip, ...).
struct DpdkMediaOptions {
  std::string eal_args;  // EAL's command line, split at spaces; "": the kernel path
  std::string address;   // tutti-load's IPv4 address on the DPDK port
  int prefix_length = 24;
  uint16_t port = 5004;        // the UDP port every participant's audio arrives at
  std::string device;          // DPDK's port name; "": the first port
  double link_timeout_s = 10;  // how long to wait for the link (the peer) to come up
  // > 0: the run loop sleeps this long after an empty poll instead of
  // spinning (a shared machine; arrival times coarsen by as much). 0: spins.
  int idle_sleep_us = 0;
};

// Starts EAL (once per process) and the port. Fails with the reason when
// this build has no DPDK, EAL does not start or no port (or link) comes up.
absl::StatusOr<std::unique_ptr<MediaTransport>> OpenDpdkTransport(const DpdkMediaOptions& options);

}  // namespace tutti::load
