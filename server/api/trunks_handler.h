// GET /v1/trunks: each configured trunk, its link (registration, OPTIONS
// keepalive) and its calls now (ops/openapi.yaml "Trunk"). Never a
// password. Runs on the control thread.
#pragma once

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/api/api_handler.h"
#include "server/api/trunks_view.h"

namespace tutti::api {

// One trunk as the API shows it.
nlohmann::json TrunkJson(const trunk::TrunkConfig& trunk, const trunk::TrunkLinkStatus& link,
                         int calls, int dial_outs);
// {"trunks": [...]}, in config order.
nlohmann::json TrunksJson(const TrunksView& view);

class TrunksHandler {
 public:
  // `view` outlives the handler; it may be filled after (before any request).
  explicit TrunksHandler(const TrunksView* view) : view_(view) {}

  Reply List(const ApiRequest& request);

 private:
  const TrunksView* view_;
};

}  // namespace tutti::api
