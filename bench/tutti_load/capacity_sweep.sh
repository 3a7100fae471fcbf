#!/usr/bin/env bash
# The capacity table of bench/README.md: for each room shape and policy,
# capacity.sh at rising participant counts until one fails; the last that
# passed is the capacity of one core. Both policies run in the same sweep,
# one after the other, on the same build.
#
#   bench/tutti_load/capacity_sweep.sh            # every audio row (about 20 min)
#   bench/tutti_load/capacity_sweep.sh pcmu-10    # one shape
#   bench/tutti_load/capacity_sweep.sh video-10 pcmu-10   # video rooms, then audio only
#
# video-10: rooms of 10, G.711 audio and VP8 video at VIDEO_KBPS (1500),
# everyone sending (capacity.sh --video); tutti's policy only.
set -euo pipefail
cd "$(dirname "$0")/../.."
declare -A counts=(
  [pcmu-10-tutti]="4000 4500 5000 5500 6000 6500"
  [pcmu-10-baseline]="3000 3500 4000 4500 5000 5500"
  [opus-10-tutti]="600 800 1000 1200 1400"
  [opus-10-baseline]="100 150 200 250 300"
  [opus-100-tutti]="2500 3000 3500 4000"
  [opus-100-baseline]="100 150 200 250 300"
  [video-10-tutti]="${VIDEO_COUNTS:-500 1000 1500 2000 2500 3000}"
)
shapes=("${@:-pcmu-10 opus-10 opus-100}")
for shape in ${shapes[*]}; do
  codec="${shape%-*}" room="${shape#*-}"
  policies=(tutti baseline)
  video=()
  if [ "$codec" = video ]; then
    codec=pcmu policies=(tutti) video=(--video)
  fi
  for policy in "${policies[@]}"; do
    best=0
    for calls in ${counts[$shape-$policy]}; do
      flag=("${video[@]}")
      [ "$policy" = baseline ] && flag+=(--baseline)
      line="$(bench/tutti_load/capacity.sh "${flag[@]}" "$codec" "$room" "$calls" "${DURATION:-15}")"
      echo "$line"
      [[ "$line" == *PASS ]] || break
      best="$calls"
    done
    echo "== $shape $policy: $best participants on one core"
  done
done
