// The daemon's SIP trunks: set up at start, swapped on reload (issue 19,
// trunk-reload owner).
#include "common/log.h"
#include "common/strings.h"
#include "server/component_options.h"
#include "server/daemon.h"

namespace tutti {

bool Daemon::SetUpTrunks() {
  if (config_.trunks.empty()) {
    if (!config_.dial_plan.empty()) {
      LogWarn("tuttid", "[[dial_plan]] rules but no [[trunk]]: no call is routed by them");
    }
    return true;
  }
  absl::StatusOr<trunk::TrunkTable> table = trunk::TrunkTable::Make(config_.trunks);
  if (!table.ok()) {
    LogError("tuttid", "cannot set up the SIP trunks").With("error", table.status().ToString());
    return false;
  }
  trunks_ = std::make_shared<const trunk::TrunkTable>(*std::move(table));
  absl::StatusOr<trunk::DialPlan> plan = trunk::DialPlan::Make(config_.dial_plan);
  if (!plan.ok()) {  // the config check already refused it
    LogError("tuttid", "bad [[dial_plan]]").With("error", plan.status().ToString());
    return false;
  }
  dial_plan_.emplace(std::move(*plan));
  trunk_guard_.emplace(config_.dial_out);
  trunk_timers_ = std::make_unique<LoopTimers>(&loop_);
  trunk_links_ = std::make_unique<trunk::TrunkLinks>(
      *trunks_, trunk_timers_.get(), &*transactions_, CallControllerOptionsFrom(config_).local,
      StrCat("tutti/", TUTTI_VERSION));
  controller_->set_trunks(trunks_, &*dial_plan_, &*trunk_guard_, trunk_links_.get());
  for (const trunk::TrunkConfig& trunk : trunks_->trunks()) {
    LogInfo("tuttid", "trunk")
        .With("trunk", trunk.name)
        .With("next_hop", trunks_->NextHop(trunk).address.ToString())
        .With("transport", trunk.transport)
        .With("register", trunk.register_ ? "yes" : "no")
        .With("dial_out_patterns", static_cast<int64_t>(trunk.dial_out_patterns.size()));
  }
  return true;
}

api::TrunksView Daemon::TrunksForApi() const {
  api::TrunksView view;
  if (!trunks_) return view;
  view.table = trunks_.get();
  view.guard = &*trunk_guard_;
  view.links = [this] { return trunk_links_->Status(); };
  return view;
}

// PLACEHOLDER (issue 19, trunk-reload owner).
absl::Status Daemon::ReloadTrunks(const Config& next) {
  (void)next;
  return absl::FailedPreconditionError(
      "changing [[trunk]], [[dial_plan]] or [dial_out] needs a restart");
}

}  // namespace tutti
