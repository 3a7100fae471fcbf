// tutti-load's view of the server's control API: rooms made for a run and
// removed after it, and the /metrics figures a run reports (CPU, ticks).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace httplib {
class Client;
}

namespace tutti::load {

struct ServerSample {
  double cpu_seconds = 0;  // process_cpu_seconds_total
  double late_ticks = 0;   // tutti_worker_late_ticks_total, every worker
  double ticks = 0;        // tutti_worker_tick_seconds_count, every worker
  double participants = 0;
  // The busiest worker's tutti_worker_load_ratio (busy share of its core
  // over about a second, 0..1); -1 on a server that does not export it. A
  // DPDK worker busy-polls its core, so its CPU time says nothing: this does.
  double worker_load_max = -1;
  double resident_bytes = 0;  // process_resident_memory_bytes
  // Datagrams through the media workers (tutti_media_packets_{in,out}_total)
  // and those the packet plane did not take (tutti_media_send_drops_total):
  // where a run's missing frames were lost, on the way in or out.
  double packets_in = 0;
  double packets_out = 0;
  double send_drops = 0;
  // Video forwarding (tutti_video_*_total, every worker): 0 on a server
  // without it.
  double video_packets_in = 0;
  double video_packets_out = 0;
  double video_keyframe_requests = 0;
  double video_switches = 0;
  double video_switch_wait_seconds = 0;
  double video_nacks_answered = 0;
  int64_t taken_us = 0;  // steady clock of this process
};

// The sum of every sample of `name` (all label sets) in Prometheus text; 0
// when absent.
double SumOfMetric(std::string_view text, std::string_view name);
// The largest sample of `name`; nullopt when absent.
std::optional<double> MaxOfMetric(std::string_view text, std::string_view name);

class ServerApi {
 public:
  ServerApi(const std::string& host, int port, std::string token);
  ~ServerApi();

  absl::StatusOr<ServerSample> Sample();
  // 409 (it exists) counts as done: a run may reuse a room left behind.
  absl::Status CreateRoom(const std::string& name, std::string_view codec);
  absl::Status DeleteRoom(const std::string& name);

 private:
  std::unique_ptr<httplib::Client> client_;
  std::string token_;
};

}  // namespace tutti::load
