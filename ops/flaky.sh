#!/usr/bin/env bash
# Runs a selection of the test suite many times on a busy machine and says
# which tests failed, how often and with what, so that a flaky test is found
# before it blocks someone else's work.
#
#   ops/flaky.sh [--preset release|asan] [--hogs N] [--jobs N] RUNS [ctest selection...]
#
#   ops/flaky.sh 20                          # integration and e2e labels, 20 times
#   ops/flaky.sh --preset asan 5 -L e2e      # the e2e label on the ASan build
#   ops/flaky.sh 50 -R integration.dial_in   # one suite
#
# The selection defaults to `-L "integration|e2e"`. While it runs, N busy
# loops (--hogs, default 1) keep that many cores loaded; run two of these at
# once (e.g. release and asan) for a second ctest as well. The build must
# exist (ops/build.sh PRESET). Each run's JUnit XML and output are kept in
# the printed directory; the table at the end is markdown, for
# tests/README.md. Exit status 1 when any test failed even once.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
hogs=1
jobs=$(nproc)
while (($#)); do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --hogs) hogs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
runs="${1:?usage: ops/flaky.sh [--preset P] [--hogs N] [--jobs N] RUNS [ctest selection...]}"
shift
selection=("$@")
((${#selection[@]})) || selection=(-L "integration|e2e")

if [ ! -f "build/$preset/CTestTestfile.cmake" ]; then
  echo "flaky: build/$preset is not built; run ops/build.sh $preset first" >&2
  exit 2
fi

out=$(mktemp -d "/tmp/tutti-flaky-$preset-XXXX")
hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
for ((i = 0; i < hogs; i++)); do
  (while :; do :; done) &
  hog_pids+=($!)
done

echo "flaky: $runs run(s) of ctest --preset $preset ${selection[*]} with $hogs busy loop(s); logs in $out"
start=$(date +%s)
for ((run = 1; run <= runs; run++)); do
  run_start=$(date +%s)
  status=passed
  ctest --preset "$preset" -j"$jobs" --output-on-failure --output-junit "$out/run-$run.xml" \
    "${selection[@]}" >"$out/run-$run.log" 2>&1 || status=FAILED
  failed=$(grep -c '\*\*\*\(Failed\|Timeout\|Exception\)' "$out/run-$run.log" || true)
  echo "flaky: run $run/$runs $status ($failed failed) in $(($(date +%s) - run_start)) s"
done
echo "flaky: $runs run(s) in $(($(date +%s) - start)) s"

python3 - "$out" "$runs" "$preset" "$hogs" "${selection[*]}" <<'EOF'
import glob, os, sys, xml.etree.ElementTree as ET

out, runs, preset, hogs, selection = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
tests = {}  # name -> [runs seen, failures, first failure text, total seconds]
for path in sorted(glob.glob(os.path.join(out, "run-*.xml"))):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        print(f"flaky: {path}: {error}")
        continue
    for case in root.iter("testcase"):
        entry = tests.setdefault(case.get("name"), [0, 0, "", 0.0])
        entry[0] += 1
        entry[3] += float(case.get("time") or 0)
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None or case.get("status") == "fail":
            entry[1] += 1
            if not entry[2]:
                text = (failure.get("message") if failure is not None else "") or ""
                system_out = case.find("system-out")
                lines = (system_out.text or "").splitlines() if system_out is not None else []
                picked = [l for l in lines if "Error" in l or "FAIL" in l or "assert" in l.lower()]
                entry[2] = (text + " " + " | ".join(picked[-3:])).strip()[:300]
                entry.append(os.path.basename(path))

failing = {name: e for name, e in tests.items() if e[1]}
print()
print(f"Selection `ctest --preset {preset} {selection}`, {runs} runs, {hogs} busy loop(s):")
print()
print("| test | runs | failed | mean s | first failure |")
print("| --- | --- | --- | --- | --- |")
for name, (seen, fails, text, seconds, *where) in sorted(tests.items()):
    if fails or len(tests) <= 40:
        first = f"{where[0]}: {text}" if fails else ""
        print(f"| {name} | {seen} | {fails} | {seconds / max(seen, 1):.1f} | {first.replace('|', '/')} |")
if len(tests) > 40:
    print(f"| ({len(tests) - len(failing)} other tests) | | 0 | | |")
print()
print(f"flaky: {len(failing)} of {len(tests)} test(s) failed at least once; logs in {out}")
sys.exit(1 if failing else 0)
EOF
