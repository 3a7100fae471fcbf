#!/usr/bin/env bash
# Pager-mode relay capacity (bench/README.md): SIP MESSAGEs one tuttid core
# relays in one room. A fresh tuttid pinned to core 0 (one media worker),
# tutti-load pinned to core 1, UDP on loopback: ROOM_SIZE calls join one
# room (no media), then send RATE MESSAGEs a second in all for DURATION_S
# seconds, each relayed by the server to the ROOM_SIZE-1 others. Prints one
# line of figures and keeps tutti-load's JSON in $OUT (/tmp/tutti-messages).
# PASS: every MESSAGE accepted, every delivery received once, none to its
# sender or elsewhere.
#
#   bench/tutti_load/messages.sh RATE [ROOM_SIZE (100)] [DURATION_S (10)] [in|out (in)]
#
# "out" sends the MESSAGEs outside the dialogs, to the room's URI.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate="$1" room_size="${2:-100}" duration="${3:-10}" dialog="${4:-in}"
. bench/tutti_load/bench_server.sh
bench_dirs /tmp/tutti-messages
start_tuttid true
name="room$room_size-$rate-$dialog"
in_dialog=true
[ "$dialog" = out ] && in_dialog=false
set +e
taskset -c 1 "$build/bench/tutti-load" --server="127.0.0.1:${SIP_PORT:-5060}" \
  --calls="$room_size" --room_size="$room_size" --cps=500 --media=false \
  --duration_s="$duration" --messages_per_second="$rate" --message_in_dialog="$in_dialog" \
  --api="127.0.0.1:${API_PORT:-8088}" --token=capacity-token --json --progress_s=0 \
  > "$out/$name.json" 2> "$out/$name.progress"
set -e
kill -TERM "$server"
wait "$server" || true
python3 - "$out/$name.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m, s = r["messages"], r["server"] or {}
sent, got = m["messages"], m["relayed"]
measured = r["media"]["measured_s"] or 1
cpu = s.get("cpu_s", 0)
ok = (r["calls"]["answered"] == r["options"]["calls"] and sent["failed"] == 0
      and got["deliveries"] == got["expected"] and got["echoes"] == 0
      and got["wrong_room"] == 0 and got["foreign"] == 0)
failures = ", ".join(f"{n} x {c}" for c, n in sent["failures_by_status"].items())
latency = got["latency_ms"]
print(f'{sys.argv[2]:24} accepted {sent["accepted"]}/{sent["sent"]} ({sent["per_s"]:.0f}/s)'
      f'{" failed " + failures if failures else ""} retransmissions {sent["retransmissions"]} '
      f'deliveries {got["deliveries"]}/{got["expected"]} ({got["per_s"]:.0f}/s, '
      f'{got["cpim"]} CPIM) duplicates {got["duplicates"]} echoes {got["echoes"]} '
      f'latency p50 {latency["p50"]:.1f} p99 {latency["p99"]:.1f} max {latency["max"]:.1f} ms'
      f' | server {cpu / measured * 100:.0f}% of a core, '
      f'{got["deliveries"] / cpu if cpu else 0:.0f} deliveries per CPU-second | tool '
      f'{r["tool"]["cpu_s"] / measured * 100:.0f}% {"PASS" if ok else "FAIL"}')
PY
