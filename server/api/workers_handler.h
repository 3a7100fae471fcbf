// GET /v1/workers: each media worker's load as the operator's console shows
// it (ops/openapi.yaml "Worker"): the share of its core it was busy (the
// load placement and admission read; mixer/tick_load.h), the time its
// mixing takes per 20 ms, smoothed over about a second, its late ticks, and
// the rooms and participants it mixes now. Runs on the control thread.
#pragma once

#include <cstdint>
#include <vector>

#include "mixer/worker_pool.h"
#include "nlohmann/json.hpp"
#include "server/api/api_handler.h"

namespace tutti::api {

// One worker's counters and what it carries, as read for the API.
struct WorkerLoad {
  int index = 0;
  uint64_t ticks = 0;
  uint64_t late_ticks = 0;
  uint64_t tick_ns_total = 0;         // since start
  uint64_t tick_ns_smoothed = 0;      // over about the last second
  uint32_t load_permille = 0;         // busy share of the core, over about the last second
  uint32_t participant_cost_ppm = 0;  // one participant's share, millionths (admission.h)
  int rooms = 0;                      // rooms with someone in them
  int participants = 0;
};

// {"tick_ms": 20, "workers": [...]}: "load" is the measured busy share of
// the worker's core, "tick_ms" its mixing time per 20 ms (smoothed),
// "tick_load" that time's share of the 20 ms, "tick_ms_mean" the mean since
// start, "participant_cost" what admission reckons one participant costs
// (a share of the core; 0 until the worker has been busy).
nlohmann::json WorkersJson(const std::vector<WorkerLoad>& workers);

class WorkersHandler {
 public:
  WorkersHandler(const RoomDirectory* rooms, const CallController* calls)
      : rooms_(rooms), calls_(calls) {}
  // The workers to show (none until set); before any request.
  void set_workers(mixer::WorkerPool* workers) { workers_ = workers; }

  Reply List(const ApiRequest& request);

 private:
  const RoomDirectory* rooms_;
  const CallController* calls_;
  mixer::WorkerPool* workers_ = nullptr;
};

}  // namespace tutti::api
