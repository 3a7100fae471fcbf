#!/usr/bin/env bash
# Signaling capacity (bench/README.md): joins per second one tuttid core
# takes. The server is pinned to core 0, the client to core 1, UDP on
# loopback; every call is INVITE -> 100 -> 200 -> ACK, then BYE -> 200 at
# once, for five seconds at the given rate. Prints the client's summary and
# the server's CPU seconds (utime + stime from /proc, before and after).
#
#   bench/tutti_load/signaling.sh RATE            # tutti-load against tuttid
#   bench/tutti_load/signaling.sh RATE sipp       # SIPp's UAC against tuttid
#   bench/tutti_load/signaling.sh RATE sipp-uas   # SIPp's UAC against SIPp's UAS
set -euo pipefail
cd "$(dirname "$0")/../.."
rate="$1"
client="${2:-tutti-load}"
build="${BUILD:-build/release}"
calls=$((rate * 5))
dir="$(mktemp -d)"
trap 'cp "$dir/server.log" /tmp/signaling-server.log 2>/dev/null; rm -rf "$dir"' EXIT
if [ "$client" = sipp-uas ]; then
  taskset -c 0 sipp -sn uas -i 127.0.0.1 -p 5060 -nostdin > "$dir/server.log" 2>&1 &
  server=$!
  sleep 1
else
  . bench/tutti_load/bench_server.sh
  start_tuttid true
fi
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(cpu)
started=$(date +%s.%N)
set +e
case "$client" in
  tutti-load)
    taskset -c 1 "$build/bench/tutti-load" --calls="$calls" --room_size=1000 --cps="$rate" \
      --hold_s=0 --media=false --api=127.0.0.1:8088 --token=capacity-token --progress_s=0 ;;
  sipp)
    taskset -c 1 sipp -sf tests/integration/sipp/invite_bye.xml 127.0.0.1:5060 -s 1000 \
      -i 127.0.0.1 -p 5091 -r "$rate" -m "$calls" -d 0 -nostdin -timeout 100 2>&1 |
      grep -E "Successful call|Failed call" ;;
  sipp-uas)
    taskset -c 1 sipp -sn uac 127.0.0.1:5060 -s 1000 -i 127.0.0.1 -p 5091 -r "$rate" \
      -m "$calls" -d 0 -nostdin -timeout 100 2>&1 | grep -E "Successful call|Failed call" ;;
esac
set -e
ended=$(date +%s.%N)
ticks=$(( $(cpu) - before ))
echo "server CPU $(echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc) s over $(echo "$ended - $started" | bc | cut -c1-5) s"
kill -TERM "$server"
wait "$server" || true
