#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds everything and runs the whole test
# suite (unit, integration with SIPp, end-to-end). `ops/test.sh asan` runs it
# on the ASan+UBSan build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
ops/setup.sh
ops/build.sh "$preset"
ctest --preset "$preset" -j"$(nproc)"
