#!/usr/bin/env python3
"""The soak run's sampler and report (soak.sh).

  soak_report.py header                   the CSV header
  soak_report.py sample T FDS < metrics   one CSV row from tuttid's /metrics
  soak_report.py report CSV SVG HOLD_S    the summary, and the curves as SVG

The report leaves out the ramp (the first HOLD_S seconds and a minute, while
calls are still arriving faster than they leave) and compares the first
steady minutes with the last: memory and descriptors must stay flat, the
ticks no slower, and no late tick anywhere.
"""
import csv
import re
import sys

FIELDS = ["t_s", "rss_bytes", "fds", "participants", "late_ticks", "jitter_lost", "cpu_s",
          "tick_buckets", "lateness_buckets"]


def metric(text, name):
    total, seen = 0.0, False
    for m in re.finditer(r"^" + name + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M):
        total += float(m.group(1))
        seen = True
    return total if seen else 0.0


def histogram(text, name):
    """'le=count;...' summed over workers, cumulative as Prometheus gives it."""
    counts = {}
    for m in re.finditer(r"^" + name + r'_bucket\{[^}]*le="([^"]+)"[^}]*\} ([0-9.e+]+)$', text,
                         re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + int(float(m.group(2)))
    return ";".join(f"{le}={c}" for le, c in counts.items())


def parse_histogram(cell):
    out = []
    for part in filter(None, cell.split(";")):
        le, count = part.split("=")
        out.append((float("inf") if le == "+Inf" else float(le), int(count)))
    return out


def quantile(before, after, q):
    """The upper bound of the bucket holding quantile q of the ticks between two samples."""
    delta = [(le, a - b) for (le, a), (_, b) in zip(after, before)] if before else after
    if not delta or delta[-1][1] == 0:
        return None
    target = q * delta[-1][1]
    for le, count in delta:
        if count >= target:
            return le
    return delta[-1][0]


def sample(t, fds):
    text = sys.stdin.read()
    row = [t, int(metric(text, "process_resident_memory_bytes")), fds,
           int(metric(text, "tutti_participants")), int(metric(text, "tutti_worker_late_ticks_total")),
           int(metric(text, "tutti_jitter_buffer_lost_total")),
           round(metric(text, "process_cpu_seconds_total"), 2),
           histogram(text, "tutti_worker_tick_seconds"),
           histogram(text, "tutti_worker_tick_lateness_seconds")]
    csv.writer(sys.stdout).writerow(row)


def svg(rows, path):
    width, height, pad = 760, 150, 40
    panels = [("resident memory (MB)", [r["rss_bytes"] / 1e6 for r in rows]),
              ("open descriptors", [r["fds"] for r in rows]),
              ("participants", [r["participants"] for r in rows]),
              ("tick p99 (ms, bucket bound)", [(r["tick_p99"] or 0) * 1000 for r in rows]),
              ("lateness p99 (ms, bucket bound)", [(r["late_p99"] or 0) * 1000 for r in rows])]
    xs = [r["t_s"] / 60 for r in rows]
    x_max = max(xs) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{len(panels) * height}" font-family="sans-serif" font-size="11">']
    for i, (title, ys) in enumerate(panels):
        top = i * height
        y_max = max(ys) * 1.1 or 1
        out.append(f'<text x="{pad}" y="{top + 14}">{title} (0 to {y_max:.4g}) '
                   f'over {x_max:.0f} min</text>')
        out.append(f'<rect x="{pad}" y="{top + 20}" width="{width - 2 * pad}" '
                   f'height="{height - 40}" fill="none" stroke="#999"/>')
        points = " ".join(
            f"{pad + (x / x_max) * (width - 2 * pad):.1f},"
            f"{top + 20 + (height - 40) * (1 - y / y_max):.1f}" for x, y in zip(xs, ys))
        out.append(f'<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="1.5"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def report(csv_path, svg_path, hold_s):
    rows = []
    with open(csv_path) as f:
        for r in csv.DictReader(f):
            for key in ("t_s", "rss_bytes", "fds", "participants", "late_ticks", "jitter_lost"):
                r[key] = int(r[key])
            r["cpu_s"] = float(r["cpu_s"])
            r["ticks"] = parse_histogram(r["tick_buckets"])
            r["lateness"] = parse_histogram(r["lateness_buckets"])
            rows.append(r)
    previous = None
    for r in rows:
        r["tick_p99"] = quantile(previous["ticks"] if previous else None, r["ticks"], 0.99)
        r["late_p99"] = quantile(previous["lateness"] if previous else None, r["lateness"], 0.99)
        previous = r
    svg(rows, svg_path)
    # The steady part: calls leave as fast as they come. The ramp (HOLD_S
    # and a minute) is left out, and so is the wind-down once tutti-load
    # stops placing calls: samples with under 90% of the usual participants.
    after_ramp = [r for r in rows if r["t_s"] >= hold_s + 60]
    usual = sorted(r["participants"] for r in after_ramp)[len(after_ramp) // 2] if after_ramp else 0
    steady = [r for r in after_ramp if r["participants"] >= 0.9 * usual]
    if len(steady) < 2:
        print("soak: too short for a steady part (need HOLD_S + 2 minutes)")
        return 1
    first, last = steady[0], steady[-1]
    minutes = (last["t_s"] - first["t_s"]) / 60
    n = len(steady)
    mean_t = sum(r["t_s"] for r in steady) / n
    mean_m = sum(r["rss_bytes"] for r in steady) / n
    slope = sum((r["t_s"] - mean_t) * (r["rss_bytes"] - mean_m) for r in steady) / max(
        sum((r["t_s"] - mean_t) ** 2 for r in steady), 1)
    ms = lambda v: "n/a" if v is None else f"{v * 1000:g} ms"
    print(f"steady part: {minutes:.0f} min from t={first['t_s']} s, "
          f"participants {min(r['participants'] for r in steady)}-"
          f"{max(r['participants'] for r in steady)}")
    print(f"resident memory: {first['rss_bytes'] / 1e6:.1f} MB -> {last['rss_bytes'] / 1e6:.1f} MB "
          f"(fit: {slope * 3600 / 1e6:+.2f} MB per hour)")
    print(f"open descriptors: {first['fds']} -> {last['fds']} "
          f"(range {min(r['fds'] for r in steady)}-{max(r['fds'] for r in steady)})")
    print(f"tick p99 per minute: first {ms(first['tick_p99'])}, last {ms(last['tick_p99'])}, "
          f"worst {ms(max((r['tick_p99'] or 0) for r in steady))}")
    print(f"lateness p99 per minute: first {ms(first['late_p99'])}, last {ms(last['late_p99'])}, "
          f"worst {ms(max((r['late_p99'] or 0) for r in steady))}")
    print(f"late ticks in the steady part: {last['late_ticks'] - first['late_ticks']}; "
          f"frames concealed: {last['jitter_lost'] - first['jitter_lost']}; "
          f"server CPU {(last['cpu_s'] - first['cpu_s']) / (last['t_s'] - first['t_s']) * 100:.0f}% "
          f"of a core")
    print(f"curves: {svg_path}")
    return 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "header":
        print(",".join(FIELDS))
    elif mode == "sample":
        sample(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "report":
        sys.exit(report(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    else:
        sys.exit(__doc__)
