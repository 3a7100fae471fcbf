#!/usr/bin/env python3
"""Prints each media worker's tick lateness histogram from a running tuttid.

tutti_worker_tick_lateness_seconds (issue 20): for every conference mix,
how long after its due instant it started. Rooms mixed at one instant
(`[media] spread_ticks = false`) wait for the rooms mixed before them; spread
over the 20 ms, each starts near its own instant. Run it before the server
stops (capacity.sh can call it right before `kill -TERM`):

  bench/tutti_load/lateness.py --api 127.0.0.1:8088 --token capacity-token
  bench/tutti_load/lateness.py --file metrics.txt       # a saved /metrics

One line per worker: the mixes observed, the share started within each
bucket bound, and the p50/p99/max as bucket upper bounds.
"""
import argparse
import re
import sys
import urllib.request

FAMILY = "tutti_worker_tick_lateness_seconds"
BUCKET = re.compile(FAMILY + r'_bucket\{worker="(\d+)",le="([^"]+)"\} ([0-9.e+-]+)')


def fetch(api, token):
    request = urllib.request.Request(f"http://{api}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def parse(text):
    """{worker: [(upper bound in s, cumulative count)]}, bounds ascending."""
    workers = {}
    for match in BUCKET.finditer(text):
        worker, le, count = match.groups()
        bound = float("inf") if le == "+Inf" else float(le)
        workers.setdefault(int(worker), []).append((bound, float(count)))
    for buckets in workers.values():
        buckets.sort()
    return workers


def quantile(buckets, q):
    total = buckets[-1][1]
    for bound, cumulative in buckets:
        if total and cumulative >= q * total:
            return bound
    return float("inf")


def label(seconds):
    return "+Inf" if seconds == float("inf") else f"{seconds * 1e3:g} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="127.0.0.1:8088")
    parser.add_argument("--token", default="")
    parser.add_argument("--file", help="a saved /metrics text instead of --api")
    args = parser.parse_args()
    text = open(args.file).read() if args.file else fetch(args.api, args.token)
    workers = parse(text)
    if not workers:
        print(f"no {FAMILY} in /metrics", file=sys.stderr)
        return 1
    for worker, buckets in sorted(workers.items()):
        total = buckets[-1][1]
        shares = " ".join(f"<={label(b)}:{c / total * 100:.2f}%" if total else f"<={label(b)}:-"
                          for b, c in buckets if b != float("inf"))
        last = next((b for b, c in buckets if c == total), float("inf")) if total else 0
        print(f"worker {worker} lateness: {int(total)} mixes, p50 <= {label(quantile(buckets, 0.5))}"
              f", p99 <= {label(quantile(buckets, 0.99))}, max <= {label(last)} | {shares}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
