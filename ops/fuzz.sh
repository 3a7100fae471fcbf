#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded
# time under ctest's "fuzz" label, then prints one line per target: executions,
# coverage, corpus size and whether it found anything.
#   ops/fuzz.sh [seconds per target, default 60] [ctest -R regex]
# Not part of ./ops/test.sh: it is a soak, run before landing a parser change
# and recorded in tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
select=()
[ -n "${2:-}" ] && select=(-R "$2")
./ops/setup.sh >/dev/null
[ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
cmake -S . -B build/fuzz -DTUTTI_FUZZ_SECONDS="$seconds" >/dev/null
# Every target tests/fuzz/CMakeLists.txt declares.
mapfile -t targets < <(sed -n 's/^tutti_fuzzer(\([a-z_0-9]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
ops/build.sh fuzz "${targets[@]}"
status=0
ctest --preset fuzz -j"$(nproc)" "${select[@]}" || status=$?
echo
echo "| target | seconds | executions | coverage (edges) | corpus | findings |"
echo "| --- | --- | --- | --- | --- | --- |"
for t in "${targets[@]}"; do
  log="build/fuzz/tests/fuzz/work/$t/last.log"
  [ -f "$log" ] || continue
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  corpus=$(find "build/fuzz/tests/fuzz/work/$t/corpus" -type f | wc -l)
  found=$(find "build/fuzz/tests/fuzz/work/$t" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 \
    -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
  echo "| $t | $seconds | ${execs:-?} | ${cov:-?} | $corpus | $found |"
done
exit "$status"
