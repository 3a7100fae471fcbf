#!/usr/bin/env bash
# Configures (once) and builds tutti with a CMake preset: ops/build.sh [preset] [targets...]
# Presets: release (default), asan, fuzz. See CMakePresets.json.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" "${targets[@]}" -- -j"$(nproc)"
