#!/usr/bin/env bash
# Builds the Debian package from this tree: ops/package.sh [build-dir]
# (default build/release, configured and built here as ops/build.sh does).
# Only tuttid is built; the prompts are made if missing. Prints the path of
# the .deb (in <build-dir>/deb/). Install it with
# `apt install ./tutti_<version>_amd64.deb` (or dpkg -i), README "Install
# the package". What goes in it: ops/package/packaging.cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
if [ "$build" = build/release ]; then
  ops/build.sh release tuttid >/dev/null
else
  cmake --build "$build" --target tuttid >/dev/null
fi
ops/prompts/make_prompts.sh >/dev/null
out="$build/deb"
rm -rf "$out"
cpack --config "$build/CPackConfig.cmake" -B "$out" >"$build/package.log" 2>&1 || {
  cat "$build/package.log" >&2
  exit 1
}
ls "$out"/*.deb
