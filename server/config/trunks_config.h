// The trunk sections of tuttid's config: [[trunk]], [[dial_plan]],
// [dial_out] and [trunks] (ops/tutti.toml documents each key), read into
// Config's trunk fields and checked (signaling/trunk's own checks, at the
// section's line). Private to server/config.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "server/config/config.h"
#include "toml++/toml.h"

namespace tutti::config_internal {

// Whether `name` is one of the sections this file reads.
bool IsTrunkSection(std::string_view name);
absl::Status ReadTrunkSections(const toml::table& root, std::string_view origin, Config* config);

}  // namespace tutti::config_internal
