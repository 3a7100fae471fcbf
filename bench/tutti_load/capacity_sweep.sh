#!/usr/bin/env bash
# The capacity table of bench/README.md: for each room shape, policy and
# media backend, capacity.sh at rising participant counts until one fails;
# the last that passed is the capacity of one core. Both policies and both
# backends (kernel sockets, then DPDK over net_memif: capacity.sh --dpdk)
# run in the same sweep, one after the other, on the same build, so the
# columns compare. It starts by naming the CPU it runs on.
#
#   bench/tutti_load/capacity_sweep.sh            # every audio row, both backends
#   bench/tutti_load/capacity_sweep.sh pcmu-10    # one shape
#   BACKENDS=dpdk bench/tutti_load/capacity_sweep.sh pcmu-10   # one backend
#   bench/tutti_load/capacity_sweep.sh video-10 pcmu-10   # video rooms, then audio only
#
# video-10: rooms of 10, G.711 audio and VP8 video at VIDEO_KBPS (1500),
# everyone sending (capacity.sh --video); tutti's policy, kernel only.
# COUNTS_<shape>_<policy>_<backend> (dashes as underscores, e.g.
# COUNTS_pcmu_10_tutti_dpdk="18000 20000") replaces a row's counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
declare -A counts=(
  [pcmu-10-tutti-kernel]="4000 4500 5000 5500 6000 6500 7000 7500 8000"
  [pcmu-10-baseline-kernel]="3000 3500 4000 4500 5000 5500"
  [opus-10-tutti-kernel]="600 800 1000 1200 1400"
  [opus-10-baseline-kernel]="100 150 200 250 300"
  [opus-100-tutti-kernel]="2500 3000 3500 4000 5000 6000"
  [opus-100-baseline-kernel]="100 150 200 250 300"
  [pcmu-10-tutti-dpdk]="5000 7500 10000 12500 15000 17500 20000 22500 25000"
  [pcmu-10-baseline-dpdk]="4000 5000 6000 7500 10000 12500 15000"
  [opus-10-tutti-dpdk]="800 1000 1200 1400 1600 1800 2000"
  [opus-10-baseline-dpdk]="100 150 200 250 300"
  [opus-100-tutti-dpdk]="3000 4000 5000 6000 7000 8000"
  [opus-100-baseline-dpdk]="100 150 200 250 300"
  [video-10-tutti-kernel]="${VIDEO_COUNTS:-500 1000 1500 2000 2500 3000}"
)
echo "== on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
  "$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') MHz, $(nproc) CPUs, $(date -u +%FT%TZ)"
shapes=("${@:-pcmu-10 opus-10 opus-100}")
for shape in ${shapes[*]}; do
  codec="${shape%-*}" room="${shape#*-}"
  policies=(tutti baseline)
  backends=(${BACKENDS:-kernel dpdk})
  video=()
  if [ "$codec" = video ]; then
    codec=pcmu policies=(tutti) video=(--video) backends=(kernel)
  fi
  for backend in "${backends[@]}"; do
    for policy in "${policies[@]}"; do
      row="$shape-$policy-$backend"
      override="COUNTS_${row//-/_}"
      best=0
      for calls in ${!override:-${counts[$row]}}; do
        flag=("${video[@]}")
        [ "$policy" = baseline ] && flag+=(--baseline)
        [ "$backend" = dpdk ] && flag+=(--dpdk)
        line="$(bench/tutti_load/capacity.sh "${flag[@]}" "$codec" "$room" "$calls" "${DURATION:-15}")"
        echo "$line"
        [[ "$line" == *" PASS ["* ]] || break
        best="$calls"
      done
      echo "== $shape $policy $backend: $best participants on one core"
    done
  done
done
