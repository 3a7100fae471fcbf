// What the control API and /metrics read of the SIP trunks, on the control
// thread: the configured table, the guard's counts and each link's state
// (registration, OPTIONS). The daemon fills it; a view with no table is a
// server without trunks.
#pragma once

#include <functional>
#include <vector>

#include "signaling/trunk/trunk_guard.h"
#include "signaling/trunk/trunk_links.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti::api {

struct TrunksView {
  const trunk::TrunkTable* table = nullptr;
  const trunk::TrunkGuard* guard = nullptr;
  // TrunkLinks::Status(); empty: no links (every trunk shown up, not registering).
  std::function<std::vector<trunk::TrunkLinkStatus>()> links;

  // The link state of `name`: a default (up, registration "none") when there is none.
  static trunk::TrunkLinkStatus LinkOf(const std::vector<trunk::TrunkLinkStatus>& links,
                                       std::string_view name) {
    for (const trunk::TrunkLinkStatus& link : links) {
      if (link.trunk == name) return link;
    }
    trunk::TrunkLinkStatus none;
    none.trunk = std::string(name);
    return none;
  }
  std::vector<trunk::TrunkLinkStatus> Links() const {
    return links ? links() : std::vector<trunk::TrunkLinkStatus>{};
  }
};

}  // namespace tutti::api
