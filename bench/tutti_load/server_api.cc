#include "bench/tutti_load/server_api.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace tutti::load {

namespace {

// Calls fn(value) for every sample of `name` (all label sets).
template <typename Fn>
void ForEachSample(std::string_view text, std::string_view name, Fn&& fn) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;  // a longer name with this prefix
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    fn(std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr));
  }
}

}  // namespace

double SumOfMetric(std::string_view text, std::string_view name) {
  double sum = 0;
  ForEachSample(text, name, [&](double value) { sum += value; });
  return sum;
}

std::optional<double> MaxOfMetric(std::string_view text, std::string_view name) {
  std::optional<double> max;
  ForEachSample(text, name, [&](double value) { max = max ? std::max(*max, value) : value; });
  return max;
}

ServerApi::ServerApi(const std::string& host, int port, std::string token)
    : client_(std::make_unique<httplib::Client>(host, port)), token_(std::move(token)) {
  client_->set_connection_timeout(2);
  client_->set_read_timeout(5);
  client_->set_bearer_token_auth(token_);
}

ServerApi::~ServerApi() = default;

absl::StatusOr<ServerSample> ServerApi::Sample() {
  httplib::Result result = client_->Get("/metrics");
  if (!result) return absl::UnavailableError("GET /metrics: " + httplib::to_string(result.error()));
  if (result->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET /metrics: HTTP ", result->status));
  }
  ServerSample sample;
  sample.taken_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
  sample.cpu_seconds = SumOfMetric(result->body, "process_cpu_seconds_total");
  sample.late_ticks = SumOfMetric(result->body, "tutti_worker_late_ticks_total");
  sample.ticks = SumOfMetric(result->body, "tutti_worker_tick_seconds_count");
  sample.participants = SumOfMetric(result->body, "tutti_participants");
  sample.worker_load_max = MaxOfMetric(result->body, "tutti_worker_load_ratio").value_or(-1);
  sample.resident_bytes = SumOfMetric(result->body, "process_resident_memory_bytes");
  sample.packets_in = SumOfMetric(result->body, "tutti_media_packets_in_total");
  sample.packets_out = SumOfMetric(result->body, "tutti_media_packets_out_total");
  sample.send_drops = SumOfMetric(result->body, "tutti_media_send_drops_total");
  sample.video_packets_in = SumOfMetric(result->body, "tutti_video_packets_in_total");
  sample.video_packets_out = SumOfMetric(result->body, "tutti_video_packets_out_total");
  sample.video_keyframe_requests = SumOfMetric(result->body, "tutti_video_keyframe_requests_total");
  sample.video_switches = SumOfMetric(result->body, "tutti_video_switches_total");
  sample.video_switch_wait_seconds =
      SumOfMetric(result->body, "tutti_video_switch_wait_seconds_total");
  sample.video_nacks_answered = SumOfMetric(result->body, "tutti_video_nacks_answered_total");
  return sample;
}

absl::Status ServerApi::CreateRoom(const std::string& name, std::string_view codec) {
  const nlohmann::json body = {{"name", name}, {"codecs", {std::string(codec)}}};
  httplib::Result result = client_->Post("/v1/rooms", body.dump(), "application/json");
  if (!result)
    return absl::UnavailableError("POST /v1/rooms: " + httplib::to_string(result.error()));
  if (result->status == 201 || result->status == 409) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("POST /v1/rooms ", name, ": HTTP ", result->status, " ", result->body));
}

absl::Status ServerApi::DeleteRoom(const std::string& name) {
  httplib::Result result = client_->Delete("/v1/rooms/" + name);
  if (!result) return absl::UnavailableError("DELETE room: " + httplib::to_string(result.error()));
  if (result->status == 204 || result->status == 404) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("DELETE /v1/rooms/", name, ": HTTP ", result->status));
}

}  // namespace tutti::load
