#!/usr/bin/env bash
# Configures (once) and builds tutti with a CMake preset: ops/build.sh [preset] [targets...]
# Presets: release (default), asan, fuzz. See CMakePresets.json.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
if [ ! -f "build/$preset/build.ninja" ]; then
  # ccache, where installed, lets several work trees of one machine share object files.
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
  cmake --preset "$preset" "${launcher[@]}" >/dev/null
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" "${targets[@]}" -- -j"$(nproc)"
