#include "server/api/workers_handler.h"

#include <cmath>

namespace tutti::api {

using nlohmann::json;

namespace {

constexpr int kTickMs = 20;  // the media workers' tick (kTickUs in mixer/media_worker.cc)

// Milliseconds to the microsecond: what a person reads, without noise digits.
double Millis(double ns) { return std::round(ns / 1e3) / 1e3; }

}  // namespace

json WorkersJson(const std::vector<WorkerLoad>& workers) {
  json list = json::array();
  for (const WorkerLoad& w : workers) {
    const double smoothed_ms = Millis(static_cast<double>(w.tick_ns_smoothed));
    // ticks: 20 ms intervals, so this is the mixing time per 20 ms too.
    const double mean_ns =
        w.ticks == 0 ? 0 : static_cast<double>(w.tick_ns_total) / static_cast<double>(w.ticks);
    list.push_back({{"index", w.index},
                    {"load", static_cast<double>(w.load_permille) / 1000},
                    {"participant_cost", static_cast<double>(w.participant_cost_ppm) / 1e6},
                    {"tick_load", std::round(smoothed_ms / kTickMs * 1e4) / 1e4},
                    {"tick_ms", smoothed_ms},
                    {"tick_ms_mean", Millis(mean_ns)},
                    {"ticks", w.ticks},
                    {"late_ticks", w.late_ticks},
                    {"rooms", w.rooms},
                    {"participants", w.participants}});
  }
  return json{{"tick_ms", kTickMs}, {"workers", list}};
}

Reply WorkersHandler::List(const ApiRequest&) {
  std::vector<WorkerLoad> loads;
  if (workers_ == nullptr) return Reply{200, WorkersJson(loads)};
  for (const auto& worker : workers_->workers()) {
    const mixer::WorkerCounters& c = worker->counters();
    WorkerLoad load;
    load.index = worker->index();
    load.ticks = c.ticks.load(std::memory_order_relaxed);
    load.late_ticks = c.late_ticks.load(std::memory_order_relaxed);
    load.tick_ns_total = c.tick_ns_total.load(std::memory_order_relaxed);
    load.tick_ns_smoothed = c.tick_ns_smoothed.load(std::memory_order_relaxed);
    load.load_permille = c.load_permille.load(std::memory_order_relaxed);
    load.participant_cost_ppm = c.participant_cost_ppm.load(std::memory_order_relaxed);
    loads.push_back(load);
  }
  // A room's conference lives on one worker (WorkerPool::WorkerFor).
  for (const RoomConfig* room : rooms_->All()) {
    const size_t participants = calls_->Participants(room->name).size();
    if (participants == 0) continue;
    const int index = workers_->WorkerIndexFor(rooms_->ConferenceId(room->name));
    if (index < 0 || static_cast<size_t>(index) >= loads.size()) continue;
    loads[static_cast<size_t>(index)].rooms += 1;
    loads[static_cast<size_t>(index)].participants += static_cast<int>(participants);
  }
  return Reply{200, WorkersJson(loads)};
}

}  // namespace tutti::api
