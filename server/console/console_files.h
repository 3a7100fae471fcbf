// The operator's console: the static files of server/console/ (index.html,
// console.js, console.css, icon.svg), built into tuttid by
// embed_console.cmake so that a binary serves the console that matches its
// API, with no install step and nothing read from disk at run time.
#pragma once

#include <span>
#include <string_view>

namespace tutti::console {

struct StaticFile {
  std::string_view name;          // "console.js": the path under /console/
  std::string_view content_type;  // with a charset for text
  std::string_view etag;          // quoted: a digest of the bytes, made at build time
  std::string_view body;
};

// Every file, in the order embed_console.cmake was given them.
std::span<const StaticFile> ConsoleFiles();

}  // namespace tutti::console
