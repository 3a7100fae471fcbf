#!/usr/bin/env bash
# The admission run of issue 20 (bench/README.md, "Admission at 130%"): a
# fresh tuttid as capacity.sh starts it (one media worker on core 0) with
# [media] admit_load set, offered more calls than it can mix; tutti-load
# (core 1) counts the 503s apart and judges the admitted calls only.
#
#   bench/tutti_load/admission.sh CODEC ROOM_SIZE CALLS [DURATION_S]
#
# CALLS is what is offered, e.g. 130% of capacity.sh's passing count.
# ADMIT_LOAD (default 0.85) is [media] admit_load; MAX_PER_WORKER (default
# 0: none) is max_participants_per_worker; CPS (default 200) the calls a
# second (the worker's load lags about a second; admission adds the calls
# placed since at what one participant costs, mixer/admission.h).
# TALK_IN_RAMP (default true): the answered calls talk while the others are
# still being placed, as callers joining talking conferences do, so the
# load admission measures is the load of talking calls; false: silence
# until every call is placed (then they all start talking at once).
# PASS: some calls refused with 503 (each with Retry-After), every other
# call answered, no late tick, under 0.1% of frames missing, every judged
# participant heard every turn and pause.
set -euo pipefail
cd "$(dirname "$0")/../.."
codec="$1" room_size="$2" calls="$3" duration="${4:-20}"
admit="${ADMIT_LOAD:-0.85}"
cap="${MAX_PER_WORKER:-0}"
# bench_server.sh writes them into [media].
export ADMIT_LOAD="$admit" MAX_PER_WORKER="$cap"
. bench/tutti_load/bench_server.sh
bench_dirs /tmp/tutti-admission
start_tuttid true
name="admission-$codec-room$room_size-$calls-load$admit-cap$cap"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)" > "$out/$name.machine"
set +e
taskset -c 1 "$build/bench/tutti-load" --calls="$calls" --room_size="$room_size" \
  --codec="$codec" --cps="${CPS:-200}" --duration_s="$duration" \
  --server="127.0.0.1:${SIP_PORT:-5060}" --api="127.0.0.1:${API_PORT:-8088}" \
  --token=capacity-token --judge_per_room="${JUDGE:-10}" --expect_refusals \
  --talk_in_ramp="${TALK_IN_RAMP:-true}" --json \
  --progress_s=5 > "$out/$name.json" 2> "$out/$name.progress"
set -e
kill -TERM "$server"
wait "$server" || true
python3 - "$out/$name.json" "$name" "$(cat "$out/$name.machine")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, m, s, h = r["calls"], r["media"], r["server"] or {}, r["hearing"]
core = s.get("cpu_s", 0) / m["measured_s"] if m["measured_s"] else 0
offered = r["options"]["calls"]
ok = (c["refused_503"] > 0 and c["refused_503_retry_after"] == c["refused_503"]
      and c["answered"] + c["refused_503"] == offered and s.get("late_ticks", 1) == 0
      and m["missing_percent"] < 0.1 and h["turns_heard"] == h["turns_judged"]
      and h["pauses_noisy"] == 0)
print(f'{sys.argv[2]:40} offered {offered} admitted {c["answered"]} refused 503 '
      f'{c["refused_503"]} ({c["refused_503_retry_after"]} with Retry-After) other failures '
      f'{c["failed"] - c["refused_503"]} | missing {m["missing_percent"]:.4f}% late ticks '
      f'{s.get("late_ticks", "?")} server {core*100:.0f}% of a core heard '
      f'{h["turns_heard"]}/{h["turns_judged"]} noisy pauses {h["pauses_noisy"]} '
      f'| {sys.argv[3]} {"PASS" if ok else "FAIL"}')
PY
