// The daemon's SIP trunks: set up at start, swapped on reload (issue 19,
// trunk-reload owner). A reload makes the new table and dial plan first
// (anything wrong refuses it whole), then swaps them in one control-thread
// task: calls hold their trunk's settings (shared with the old table) until
// they end, the guard keeps counting them by trunk name, and the links
// follow by name (a trunk kept keeps its registration).
#include <string>
#include <vector>

#include "common/log.h"
#include "common/strings.h"
#include "server/component_options.h"
#include "server/daemon.h"

namespace tutti {
namespace {

void LogTrunk(const trunk::TrunkTable& table, const trunk::TrunkConfig& trunk,
              std::string_view what) {
  LogInfo("tuttid", what)
      .With("trunk", trunk.name)
      .With("next_hop", table.NextHop(trunk).address.ToString())
      .With("transport", trunk.transport)
      .With("register", trunk.register_ ? "yes" : "no")
      .With("dial_out_patterns", static_cast<int64_t>(trunk.dial_out_patterns.size()));
}

// What a reload does to the trunks, by name: "a,b" lists for the log.
struct TrunkChanges {
  std::string added;
  std::string changed;
  std::string removed;
};

TrunkChanges Compare(const trunk::TrunkTable* before, const trunk::TrunkTable* after) {
  static const trunk::TrunkTable kNone;
  const trunk::TrunkTable& was = before != nullptr ? *before : kNone;
  const trunk::TrunkTable& now = after != nullptr ? *after : kNone;
  TrunkChanges changes;
  auto add = [](std::string& list, std::string_view name) {
    StrAppend(&list, list.empty() ? "" : ",", name);
  };
  for (const trunk::TrunkConfig& trunk : now.trunks()) {
    const trunk::TrunkConfig* old = was.Named(trunk.name);
    if (old == nullptr) {
      add(changes.added, trunk.name);
    } else if (!(*old == trunk) || was.NextHop(*old).address != now.NextHop(trunk).address) {
      add(changes.changed, trunk.name);
    }
  }
  for (const trunk::TrunkConfig& trunk : was.trunks()) {
    if (now.Named(trunk.name) == nullptr) add(changes.removed, trunk.name);
  }
  return changes;
}

}  // namespace

bool Daemon::SetUpTrunks() {
  // Made even with no trunk: a reload may add some, and calls are released
  // on the same guard whatever reloads come between.
  trunk_guard_.emplace(config_.dial_out);
  if (config_.trunks.empty()) {
    if (!config_.dial_plan.empty()) {
      LogWarn("tuttid", "[[dial_plan]] rules but no [[trunk]]: no call is routed by them");
    }
    HandOverTrunks();
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
  trunk_timers_ = std::make_unique<LoopTimers>(&loop_);
  trunk_links_ = std::make_unique<trunk::TrunkLinks>(*trunks_, trunk_timers_.get(), &*transactions_,
                                                     CallControllerOptionsFrom(config_).local,
                                                     StrCat("tutti/", TUTTI_VERSION));
  HandOverTrunks();
  for (const trunk::TrunkConfig& trunk : trunks_->trunks()) LogTrunk(*trunks_, trunk, "trunk");
  return true;
}

void Daemon::HandOverTrunks() {
  controller_->set_trunks(trunks_, trunks_ != nullptr ? &*dial_plan_ : nullptr, &*trunk_guard_,
                          trunk_links_.get());
  // The API's view points into the table: renewed with it, on this thread
  // (GET /v1/trunks and /metrics run here too).
  if (control_api_) control_api_->set_trunks(TrunksForApi());
}

api::TrunksView Daemon::TrunksForApi() const {
  api::TrunksView view;
  if (!trunks_) return view;
  view.table = trunks_.get();
  view.guard = &*trunk_guard_;
  view.links = [this] { return trunk_links_->Status(); };
  return view;
}

absl::Status Daemon::ReloadTrunks(const Config& next) {
  if (stopping_) return absl::UnavailableError("shutting down: trunks not reloaded");
  // Everything new first; an error leaves every trunk as it was.
  std::shared_ptr<const trunk::TrunkTable> table;
  if (!next.trunks.empty()) {
    absl::StatusOr<trunk::TrunkTable> made = trunk::TrunkTable::Make(next.trunks, trunks_.get());
    if (!made.ok()) return made.status();
    table = std::make_shared<const trunk::TrunkTable>(*std::move(made));
  }
  absl::StatusOr<trunk::DialPlan> plan = trunk::DialPlan::Make(next.dial_plan);
  if (!plan.ok()) return plan.status();

  const TrunkChanges changes = Compare(trunks_.get(), table.get());
  const bool plan_changed = !dial_plan_ || dial_plan_->rules() != plan->rules();
  // Calls of the old table's trunks keep it until they end.
  trunks_ = std::move(table);
  dial_plan_.emplace(std::move(*plan));
  static const trunk::TrunkTable kNoTrunks;
  const trunk::TrunkTable& now = trunks_ != nullptr ? *trunks_ : kNoTrunks;
  trunk_guard_->Reconfigure(next.dial_out, now, loop_.Now());
  if (trunk_links_) {
    trunk_links_->Reconfigure(now);
  } else if (trunks_) {  // the first trunks since start
    trunk_timers_ = std::make_unique<LoopTimers>(&loop_);
    trunk_links_ = std::make_unique<trunk::TrunkLinks>(now, trunk_timers_.get(), &*transactions_,
                                                       CallControllerOptionsFrom(next).local,
                                                       StrCat("tutti/", TUTTI_VERSION));
    trunk_links_->Start();
  }
  HandOverTrunks();
  if (trunks_ == nullptr && !next.dial_plan.empty()) {
    LogWarn("tuttid", "[[dial_plan]] rules but no [[trunk]]: no call is routed by them");
  }
  if (!changes.added.empty() || !changes.changed.empty()) {
    for (const trunk::TrunkConfig& trunk : now.trunks()) LogTrunk(now, trunk, "trunk");
  }
  LogInfo("tuttid", "trunks reloaded")
      .With("trunks", static_cast<int64_t>(now.trunks().size()))
      .With("added", changes.added)
      .With("changed", changes.changed)
      .With("removed", changes.removed)
      .With("dial_plan", plan_changed ? "changed" : "same");
  return absl::OkStatus();
}

}  // namespace tutti
