#!/usr/bin/env bash
# Every C++ source is formatted by the repository's .clang-format: prints the
# first differences and fails when one is not (fix: clang-format -i FILE).
set -euo pipefail
root="$1"
cd "$root"
mapfile -t files < <(find common mediaplane mixer dpdk signaling server bench tests \
  \( -name '*.cc' -o -name '*.h' \) -not -path '*/generated/*' -not -path '*/corpus/*' | sort)
if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
  echo "$out" | head -40
  echo "clang-format: $(echo "$out" | grep -c 'error:') line(s) differ; run clang-format -i on the files named"
  exit 1
fi
echo "clang-format: ${#files[@]} files formatted"
