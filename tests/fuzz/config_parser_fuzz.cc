// libFuzzer target for the configuration loader (toml++ underneath, then
// tutti's key-by-key checks). A config file is operator input, but it is also
// what a reload reads while calls run: any text must end in a Config or in an
// error that names a line, never in a crash, a hang or an uncaught exception.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tutti::Config> config = tutti::ParseConfig(text, "fuzz.toml");
  // Errors must say where: "fuzz.toml:<line>: ...".
  if (!config.ok() && config.status().message().find("fuzz.toml") == std::string_view::npos) {
    std::abort();
  }
  return 0;
}
