# Sourced by capacity.sh and signaling.sh: the tuttid one measurement runs
# against. start_tuttid SHARE_ENCODING [dpdk] writes its config into $dir,
# starts it pinned to core 0 (one media worker, on that core too) and sets
# $server; it exits the script when tuttid does not come up. With "dpdk"
# its media runs on DPDK (backend = "dpdk") on the server end of a
# net_memif pair (shared memory, no hugepages, no NIC) at 10.9.0.1; the
# client end is for tutti-load: $load_dpdk_args are the tutti-load flags
# that open it (--dpdk_eal, --dpdk_ip=10.9.0.2). SIP and the API stay on
# loopback. The memif socket is $dir/memif.sock (removed with $dir).
# The worker shares core 0 with tuttid's control thread (SIP, the API), as
# on the kernel path: it sleeps IDLE_SLEEP_US (default 20) whenever it finds
# its queue empty ([dpdk] idle_sleep_us), so SIP is answered at once and the
# process's CPU time is the work done; under full load it never sleeps.
# tutti-load busy-polls its core 1 (LOAD_IDLE_SLEEP_US > 0 makes it sleep
# too: only for a machine shared with other work). LOAD_EAL_EXTRA is
# appended to tutti-load's EAL arguments (e.g.
# --log-level=pmd.net.memif:debug). $build and
# $dir are the caller's. SIP_PORT, API_PORT and RTP_MIN/RTP_MAX move it off
# the defaults (5060, 8088, 20000-39999) when something else has them;
# EXTRA_TOML is appended to the config (e.g. a [messaging] section);
# KERNEL_IO sets [media] kernel_io (uring or epoll; unset: the build's default).
# SPREAD_TICKS=false mixes a worker's rooms at one instant (before issue 20).
# bench_dirs DEFAULT_OUT: $build (BUILD or build/release), $out (OUT or
# DEFAULT_OUT, made) and $dir (a temporary folder removed at exit, the
# server's log copied to $out first).
bench_dirs() {
  build="${BUILD:-build/release}"
  # SERVER_BUILD: another build's tuttid against this build's tutti-load.
  server_build="${SERVER_BUILD:-$build}"
  out="${OUT:-$1}"
  mkdir -p "$out"
  dir="$(mktemp -d)"
  trap 'cp "$dir/server.log" "$out/server.log" 2>/dev/null; rm -rf "$dir"' EXIT
}

start_tuttid() {
  local media_toml='address = "127.0.0.1"' dpdk_toml=""
  # A capacity run measures how far the server goes: no admission by load
  # and no shedding unless asked (ADMIT_LOAD, SHED_LOAD); a build from
  # before issue 20 knows neither key.
  local admission_toml=""
  if grep -qa admit_load "$server_build/server/tuttid"; then
    admission_toml="admit_load = ${ADMIT_LOAD:-0}
shed_load = ${SHED_LOAD:-0}
max_participants_per_worker = ${MAX_PER_WORKER:-0}"
  fi
  load_dpdk_args=()
  if [ "${2:-}" = dpdk ]; then
    local sock="$dir/memif.sock"
    # rsize=14: 16384 slots a ring, room for 16 ms of 1 M packets/s while
    # a side is busy elsewhere (the default 1024 is 1 ms of it).
    local memif="socket=$sock,socket-abstract=no,rsize=14"
    media_toml='address = "10.9.0.1"
backend = "dpdk"'
    # --no-huge: memif's rings are its own memfd, EAL's heap plain memory.
    dpdk_toml="[dpdk]
eal_args = [\"--no-huge\", \"--no-pci\", \"-m\", \"1024\", \"--file-prefix=tutti-bench-$$\", \"-l\", \"0\", \"--vdev=net_memif0,role=server,$memif,mac=02:00:0a:09:00:01\"]
port = \"net_memif0\"
prefix_length = 24
mbufs = 65535
idle_sleep_us = ${IDLE_SLEEP_US:-20}"
    load_dpdk_args=(--dpdk_eal="--no-huge --no-pci -m 512 --file-prefix=tutti-load-$$ -l ${LOAD_CORE:-1} --vdev=net_memif0,role=client,$memif,mac=02:00:0a:09:00:02 ${LOAD_EAL_EXTRA:-}"
      --dpdk_ip=10.9.0.2 --dpdk_idle_sleep_us="${LOAD_IDLE_SLEEP_US:-0}")
  fi
  cat > "$dir/tutti.toml" <<TOML
[sip]
listen = "127.0.0.1"
port = ${SIP_PORT:-5060}
transports = ["udp"]
[media]
$media_toml
rtp_port_min = ${RTP_MIN:-20000}
rtp_port_max = ${RTP_MAX:-39999}
workers = 1
cores = [0]
share_encoding = $1
${KERNEL_IO:+kernel_io = \"$KERNEL_IO\"}
${SPREAD_TICKS:+spread_ticks = $SPREAD_TICKS}
$admission_toml
[limits]
max_calls = 50000
max_requests_per_second = 1000000
burst_requests = 100000
# tutti-load calls from one address: no per-source limits for it, and room
# for the transactions of tens of thousands of joins a second.
unlimited_sources = ["127.0.0.0/8"]
max_transactions = 4000000
max_transaction_bytes = 4294967296
# Video (capacity.sh --video): the defaults, written out so a measurement
# says what it ran with.
[video]
mode = "follow_talker"
hold_ms = 2000
unwatched_kbps = 100
[log]
level = "warn"
[records]
path = ""
[api]
enabled = true
port = ${API_PORT:-8088}
token = "capacity-token"
[[room]]
name = "1000"
$dpdk_toml
${EXTRA_TOML:-}
TOML
  taskset -c 0 "$server_build/server/tuttid" --config="$dir/tutti.toml" > "$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:${API_PORT:-8088}/v1/health" && break
    sleep 0.1
  done
  if ! kill -0 "$server" 2>/dev/null; then
    echo "$(basename "$0"): tuttid did not start (another on port ${SIP_PORT:-5060} or ${API_PORT:-8088}?):" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
}
