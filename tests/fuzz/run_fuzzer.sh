#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, as ctest's "fuzz" label does:
#   run_fuzzer.sh <fuzzer binary> <seconds> <seed corpus dir> <work dir>
# New inputs go to <work dir>/corpus (the seed corpus in the tree is read, never
# written); a crash leaves its input in <work dir> and fails the test. The
# output is also kept in <work dir>/last.log for ops/fuzz.sh's summary.
set -euo pipefail
fuzzer="$1" seconds="$2" seeds="$3" work="$4"
mkdir -p "$work/corpus"
cd "$work"
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" corpus "$seeds" 2>&1 | tee "$work/last.log"
