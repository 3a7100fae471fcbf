// POST /v1/reload: reads the configuration file again, as SIGHUP does
// (README "Reloading the configuration", ops/openapi.yaml). The daemon does
// the reload (server/daemon_reload.cc) and hands this handler a callback
// to it. Runs on the control thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/api/api_handler.h"

namespace tutti::api {

// What a reload did, for the log, the API and /metrics.
struct ReloadOutcome {
  enum class Result {
    kOk,            // the live parts took the new settings
    kInvalid,       // the file does not load or a running part refused it: nothing changed
    kNeedsRestart,  // it changes keys only a restart takes: nothing changed
  };
  Result result = Result::kOk;
  std::string message;  // why it was refused; empty when it was not
  // Keys as ops/tutti.toml names them ("[ivr] max_attempts", "[[room]] 4000 pin").
  std::vector<std::string> changed;
  std::vector<std::string> needs_restart;
  std::vector<std::string> rooms_added, rooms_updated, rooms_removed;
  int calls_ended = 0;  // in rooms the file no longer has
};

// "ok", "invalid", "needs_restart": the metrics' result label.
const char* ReloadResultName(ReloadOutcome::Result result);

class ReloadHandler {
 public:
  using Reload = std::function<ReloadOutcome()>;

  // Until set (the daemon does before the API starts): 503.
  void set_reload(Reload reload) { reload_ = std::move(reload); }

  // 200 with what changed; 400 (the file) or 409 (a restart needed) with
  // the message, nothing changed.
  Reply Post(const ApiRequest& request);

 private:
  Reload reload_;
};

}  // namespace tutti::api
