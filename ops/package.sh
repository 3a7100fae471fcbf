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
log="$build/package.log"
mkdir -p "$build"
: >"$log"
# Each step's output goes to the log, shown when the step fails.
step() {
  "$@" >>"$log" 2>&1 || {
    cat "$log" >&2
    echo "ops/package.sh: failed: $*" >&2
    exit 1
  }
}
if [ "$build" = build/release ]; then
  step ops/build.sh release tuttid
else
  step cmake --build "$build" --target tuttid
fi
step ops/prompts/make_prompts.sh
out="$build/deb"
rm -rf "$out"
step cpack --config "$build/CPackConfig.cmake" -B "$out"
ls "$out"/*.deb
