#!/usr/bin/env bash
# Installs everything tutti needs to build, test and run on Debian 12.
# Idempotent: when every package is already there it only checks, in about a second.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  # libraries
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libdpdk-dev
  libopus-dev libopusenc-dev libspeexdsp-dev libsrtp2-dev libssl-dev
  # G.722 (spandsp) and G.729 Annex A (bcg729)
  libspandsp-dev libbcg729-dev
  libtomlplusplus-dev nlohmann-json3-dev libcpp-httplib-dev libmicrohttpd-dev
  libsqlite3-dev
  # the io_uring media sockets ([media] kernel_io = "uring")
  liburing-dev
  # test clients and tools (sqlite3: looking into the room database, [store])
  sip-tester baresip linphone-cli sox espeak-ng iproute2 ethtool python3 procps sqlite3
  # baresip's avcodec module: H.264 for the video e2e test (e2e.video_call)
  baresip-ffmpeg
  # sip-options, README's first "Try it" command
  sofia-sip-bin
  # plays and converts Ogg Opus recordings (Debian's sox reads no Opus): opusdec
  opus-tools
  # the carrier (registrar, digest auth, proxy) in the SIP trunk tests (tests/e2e/trunk_test.py)
  kamailio
  # the control API token (ops/make_api_token.sh)
  openssl
  # sd_notify for systemd's Type=notify (server/service_notify.cc)
  libsystemd-dev
  # the Debian package's test (tests/package): what its scripts need
  # (adduser), its unit checked (systemd-analyze) and its logrotate rules run
  adduser systemd logrotate
  # promtool (checks of ops/prometheus and of /metrics: tests/ops/monitoring_test.py)
  # and the YAML reader of those tests
  prometheus python3-yaml
  # the operator console's browser test (tests/console): a headless browser
  chromium
)
# ... and node with npm to drive it (puppeteer-core); Debian's, unless a node
# with npm is there already (another one's nodejs package would clash).
if ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Recommends of baresip pull in GTK, X11 and GStreamer front ends a headless test never uses.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package is here for promtool: where systemd runs, its
  # postinst starts a Prometheus server (port 9090, scraping itself) that
  # nothing here needs. Stopped and disabled when this setup installed it;
  # one that was there before is someone's own and left alone.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi
echo "setup: all dependencies present"
# The control API's token for a new install: ./tutti-api-token, the default
# [api] token_file (ops/tutti.toml); kept when already there.
"$(dirname "$0")/make_api_token.sh"
# Voice prompts and tones (espeak-ng, sox): made once, kept until prompts.txt changes.
"$(dirname "$0")/prompts/make_prompts.sh"
# The speech tutti-load's talkers play (espeak-ng, sox).
"$(dirname "$0")/../bench/tutti_load/make_speech.sh"
# A self-signed certificate for SIP over TLS at the default config's paths,
# made once (openssl); replace it with a real one for public use.
"$(dirname "$0")/tls/make_certificate.sh"
# puppeteer-core for the console's browser test, as its package-lock.json
# pins it; again when the lock changed.
console_tests="$(dirname "$0")/../tests/console"
if [ ! -f "$console_tests/node_modules/.package-lock.json" ] ||
   [ "$console_tests/package-lock.json" -nt "$console_tests/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci in tests/console (puppeteer-core)"
  (cd "$console_tests" && npm ci --no-audit --no-fund --loglevel=error)
fi
