// The embedded default configuration (ops/tutti.toml at build time).
#pragma once

#include <string_view>

namespace tutti {

std::string_view DefaultConfigText();

}  // namespace tutti
