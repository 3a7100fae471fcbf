#!/usr/bin/env bash
# Mutation testing: plants each fault of tests/mutations/faults.txt, one at a
# time, in a scratch copy of this tree, rebuilds what the fault's tests need
# and runs them. A fault is CAUGHT when some test fails, SURVIVED when all
# pass, STALE when its snippet is not in its file exactly once (update the
# list), BUILD-FAILED when it does not compile (fix the fault).
#
#   ops/mutate.sh [--list] [--only NAME_REGEX] [--jobs N] [--keep] [--timeout S]
#
#   --list       print the faults and exit
#   --only RE    run only the faults whose name matches RE (Python regex, search)
#   --jobs N     build and ctest parallelism (default 2)
#   --keep       leave the last fault planted in the scratch tree, to poke at
#                it by hand (the next run puts the file back)
#   --timeout S  per-fault limit for its tests (default 5 times the baseline run
#                of its selection, at least 60 s); a timeout counts
#                as caught
#
# The working tree is never touched: its files (tracked and untracked, not
# ignored; uncommitted changes included) are synced into $MUTATE_DIR/src
# (default /tmp/tutti-mutate), which keeps its release build between runs so
# rebuilds stay incremental. Every distinct test selection is run once on the
# unmutated tree first; any failure there aborts. Logs of the last run are in
# $MUTATE_DIR/logs. Exit 0 only if every fault was caught.
set -euo pipefail
exec python3 "$(dirname "$0")/mutate.py" "$@"
