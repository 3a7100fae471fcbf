#!/usr/bin/env bash
# One capacity measurement (bench/README.md): a fresh tuttid with one media
# worker, the whole process pinned to core 0, and tutti-load pinned to core
# 1, on loopback. Prints one line of figures and keeps tutti-load's JSON.
# PASS: every call answered, no late ticks, under 0.1% missing frames, and
# every participant heard the talkers in every turn and silence in every
# pause (a server that falls behind delays the audio past the schedule).
# Hearing is judged for the first JUDGE (default 10) members of each room:
# all of a room of 10, and in a room of 100 the ones that talk in a short
# run plus listeners (a judged Opus listener costs tutti-load a decode per
# frame).
#
#   bench/tutti_load/capacity.sh [--baseline] [--video] [--dpdk] CODEC ROOM_SIZE CALLS [DURATION_S]
#
# --baseline runs the server with [media] share_encoding = false: every
# listener encoded separately (no shared encodes, no forwarded packets); the
# same top-N.
# --video: every call also sends and receives VP8 video (tutti-load
# --video=vp8 at VIDEO_KBPS, default 1500, 30 fps; follow-the-talker moves
# the picture with the talk model's turns). PASS also needs every video
# line taken, every receiver shown video, no broken switch (each change of
# camera begins with a key frame), one SSRC per receiver and under 0.1% of
# video packets missing.
# AUDIO_LEVEL=false: the callers send no RFC 6464 audio level (tutti-load
# sends it by default when the answer takes it; unset: the flag is not
# passed, so an older build without it runs too).
# --dpdk: the media runs on DPDK at both ends, tuttid's (backend = "dpdk")
# and tutti-load's (--dpdk_eal), over a net_memif pair (bench_server.sh);
# tutti-load busy-polls its core 1 and tuttid's worker its core 0. A
# busy-polling worker uses all of its core by construction, so the figure
# shown is the worker's own load (tutti_worker_load_ratio: the share of the
# core it did not spend polling empty queues), marked "worker"; a server
# without that metric shows its CPU seconds, marked "cpu".
# The line and the JSON ("machine") name the CPU model and clock it ran on.
set -euo pipefail
cd "$(dirname "$0")/../.."
share=true
policy=tutti
video=()
backend=kernel
while [ "${1:-}" = "--baseline" ] || [ "${1:-}" = "--video" ] || [ "${1:-}" = "--dpdk" ]; do
  if [ "$1" = "--baseline" ]; then
    share=false
    policy=baseline
  elif [ "$1" = "--dpdk" ]; then
    backend=dpdk
  else
    video=(--video=vp8 --video_kbps="${VIDEO_KBPS:-1500}")
    policy="$policy-video"
  fi
  shift
done
codec="$1" room_size="$2" calls="$3" duration="${4:-20}"
. bench/tutti_load/bench_server.sh
bench_dirs /tmp/tutti-capacity
start_tuttid "$share" "$backend"
name="$codec-room$room_size-$calls-$policy"
[ "$backend" = dpdk ] && name="$name-dpdk"
set +e
taskset -c 1 "$build/bench/tutti-load" --calls="$calls" --room_size="$room_size" \
  --codec="$codec" --cps=1000 --duration_s="$duration" --server="127.0.0.1:${SIP_PORT:-5060}" \
  --api="127.0.0.1:${API_PORT:-8088}" \
  --token=capacity-token --judge_per_room="${JUDGE:-10}" ${AUDIO_LEVEL:+--audio_level="$AUDIO_LEVEL"} \
  "${video[@]}" "${load_dpdk_args[@]}" --json --progress_s=5 > "$out/$name.json" 2> "$out/$name.progress"
set -e
# Each room mix's start against its due instant, over the whole run (a
# build from before issue 20 has no such histogram: nothing is printed).
python3 bench/tutti_load/lateness.py --api "127.0.0.1:${API_PORT:-8088}" --token capacity-token \
  > "$out/$name.lateness" 2>/dev/null || true
kill -TERM "$server"
wait "$server" || true
python3 - "$out/$name.json" "$name" "$backend" <<'PY'
import json, sys
def machine():
  # The CPU this ran on: figures from different machines are never compared.
  model, mhz = "?", "?"
  for line in open("/proc/cpuinfo"):
    key, _, value = line.partition(":")
    if key.strip() == "model name" and model == "?": model = value.strip()
    if key.strip() == "cpu MHz" and mhz == "?": mhz = value.strip()
  return {"cpu_model": model, "cpu_mhz": float(mhz) if mhz != "?" else None}
r = json.load(open(sys.argv[1]))
r["machine"] = machine()
r["backend"] = sys.argv[3]
json.dump(r, open(sys.argv[1], "w"), indent=2)
m, s, h, t = r["media"], r["server"] or {}, r["hearing"], r["tool"]
core = s.get("cpu_s", 0) / m["measured_s"] if m["measured_s"] else 0
load = s.get("worker_load", -1)
load_text = (f'worker {load*100:.0f}%' if load is not None and load >= 0
             else f'cpu {core*100:.0f}%')
ok = (r["calls"]["answered"] == r["options"]["calls"] and s.get("late_ticks", 1) == 0
      and m["missing_percent"] < 0.1 and h["turns_heard"] == h["turns_judged"]
      and h["pauses_noisy"] == 0)
v = r.get("video")
if v is not None:
  ok = (ok and v["accepted"] == r["options"]["calls"] and v["receivers_without_video"] == 0
        and v["broken_switches"] == 0 and v["ssrc_changes"] == 0 and v["missing_percent"] < 0.1
        and v["frames_skipped"] == 0)
  seconds = m["measured_s"] or 1
  video_line = (f' | video in {v["bytes_sent"]*8/seconds/1e6:.0f} Mb/s out '
                f'{v["bytes_received"]*8/seconds/1e6:.0f} Mb/s ({v["received_kbps_mean"]:.0f} kb/s '
                f'a receiver), missing {v["missing_percent"]:.4f}%, switches {v["switches"]} '
                f'broken {v["broken_switches"]}, PLI {v["plis_received"]} FIR {v["firs_received"]}, '
                f'{v["cameras_held_down"]} cameras held down, server '
                f'{v["server"]["packets_in"]/seconds:.0f} packets/s in '
                f'{v["server"]["packets_out"]/seconds:.0f} out, '
                f'{v["server"]["switch_wait_ms_mean"]:.0f} ms to a switch'
                f'{", TOOL BEHIND: %d frames skipped" % v["frames_skipped"] if v["frames_skipped"] else ""}')
else:
  video_line = ""
# Where missing frames went: the tool's sends against the server's packets
# in (lost on the way in), the server's sends and its plane's drops (out).
loss_line = ""
if m["missing_percent"] >= 0.1 and "packets_in" in s:
  loss_line = (f'| tool sent {m["packets_sent"]} server in {s["packets_in"]} out '
               f'{s["packets_out"]} drops {s["send_drops"]} tool received '
               f'{m["packets_received"]} ')
print(f'{sys.argv[2]:32} answered {r["calls"]["answered"]:5} missing {m["missing_percent"]:.4f}% '
      f'late ticks {s.get("late_ticks", "?")} server {load_text} ({core*100:.0f}% cpu) of a core '
      f'({s.get("cpu_s_per_participant_minute", 0):.4f} s/participant-min, '
      f'{s.get("kb_per_participant", 0):.0f} kB each) '
      f'heard {h["turns_heard"]}/{h["turns_judged"]} noisy pauses {h["pauses_noisy"]} '
      f'jitter {m["jitter_ms_mean"]:.2f}/{m["jitter_ms_max"]:.2f} ms '
      f'tool {t["cpu_s"]/m["measured_s"]*100 if m["measured_s"] else 0:.0f}% '
      f'{"(busy %.0f%%) " % (t["busy"]*100) if t.get("busy", -1) >= 0 else ""}'
      f'{video_line}{loss_line} {"PASS" if ok else "FAIL"} '
      f'[{r["machine"]["cpu_model"]} @ {r["machine"]["cpu_mhz"]} MHz]')
PY
