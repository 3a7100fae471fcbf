#!/usr/bin/env bash
# The soak run (bench/README.md, not in CI): tuttid under churn for a long
# time, checking that nothing creeps. tutti-load places calls at a steady
# rate into a fixed set of rooms, each call holding HOLD_S seconds with
# media (the talk model's speech and silence), so about CONCURRENT calls
# are up at any time and every room sees members join and leave all run
# long. Every minute the sampler records tuttid's resident memory, open
# descriptors, participants, and the worker's tick and lateness histograms
# (as deltas per minute) into soak.csv; soak_report.py then compares the
# first minutes with the last and draws soak.svg.
#
#   bench/tutti_load/soak.sh CODEC CONCURRENT MINUTES [HOLD_S] [ROOM_SIZE]
#   e.g. bench/tutti_load/soak.sh pcmu 2500 60        # an hour at 2,500 G.711
#
# Same pinning as capacity.sh (tuttid on core 0, tutti-load on core 1).
# OUT (default /tmp/tutti-soak) keeps soak.csv, soak.svg, the summary, and
# tutti-load's JSON and progress.
set -euo pipefail
cd "$(dirname "$0")/../.."
codec="$1" concurrent="$2" minutes="$3" hold="${4:-60}" room_size="${5:-10}"
. bench/tutti_load/bench_server.sh
bench_dirs /tmp/tutti-soak
start_tuttid true
api="http://127.0.0.1:${API_PORT:-8088}"
cps=$(python3 -c "print(round($concurrent / $hold, 3))")
calls=$(python3 -c "print(int($cps * $minutes * 60))")
rooms=$(( (concurrent + room_size - 1) / room_size ))
echo "soak: $codec, about $concurrent calls up ($cps calls/s, each $hold s) in $rooms rooms of $room_size," \
  "$calls calls over $minutes min; $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
  "$(nproc) CPUs; tuttid pid $server" | tee "$out/soak.summary"

sample() {  # one CSV row: seconds since the start, then the server's figures
  curl -sf -H "Authorization: Bearer capacity-token" "$api/metrics" |
    python3 bench/tutti_load/soak_report.py sample "$1" "$(ls "/proc/$server/fd" 2>/dev/null | wc -l)"
}

python3 bench/tutti_load/soak_report.py header > "$out/soak.csv"
sample 0 >> "$out/soak.csv"
taskset -c 1 "$build/bench/tutti-load" --calls="$calls" --room_size="$room_size" --rooms="$rooms" \
  --codec="$codec" --cps="$cps" --hold_s="$hold" --media=true \
  --server="127.0.0.1:${SIP_PORT:-5060}" --api="127.0.0.1:${API_PORT:-8088}" \
  --token=capacity-token --json --progress_s=60 > "$out/soak-load.json" 2> "$out/soak-load.progress" &
load=$!
started=$(date +%s)
while kill -0 "$load" 2>/dev/null; do
  sleep 60 & wait $! || true
  kill -0 "$load" 2>/dev/null || break
  sample $(( $(date +%s) - started )) >> "$out/soak.csv"
done
wait "$load" || true
sample $(( $(date +%s) - started )) >> "$out/soak.csv"
kill -TERM "$server"
wait "$server" || true
python3 bench/tutti_load/soak_report.py report "$out/soak.csv" "$out/soak.svg" "$hold" | tee -a "$out/soak.summary"
