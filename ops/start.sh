#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds tuttid and runs it in the
# foreground on its embedded default config (ops/tutti.toml: SIP on
# 127.0.0.1:5060 UDP and TCP, MSRP on 127.0.0.1:2855, kernel-socket media,
# open room 1000).
# Extra arguments go to tuttid, e.g. ops/start.sh --config=/etc/tutti/tutti.toml
set -euo pipefail
cd "$(dirname "$0")/.."
ops/setup.sh
ops/build.sh release tuttid
exec build/release/server/tuttid "$@"
