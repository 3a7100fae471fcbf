#!/usr/bin/env python3
"""Mutation testing for tutti: the engine behind ops/mutate.sh (usage there).

Fault list format (tests/mutations/faults.txt): '#' lines and blank lines
between entries are comments. Each entry:

    === name
    what:  the behaviour the fault breaks, one line
    file:  path/from/repo/root.cc
    tests: -R 'ctest regex' [-L label] [-E regex]
    --- original
    exact lines of the original code (must occur exactly once in the file)
    --- faulty
    what replaces them (may be empty)

Snippet lines are taken verbatim, indentation included; trailing blank lines
of a snippet are dropped and the lines are joined with newlines (no final
newline), so a snippet may start or end in the middle of a line. A comment
paragraph ('#' lines after a blank line) at the end of an entry belongs to
the next one, so a snippet cannot end with such a paragraph.
"""

import argparse
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAULTS = REPO / "tests" / "mutations" / "faults.txt"
SCRATCH = Path(os.environ.get("MUTATE_DIR", "/tmp/tutti-mutate"))
SRC = SCRATCH / "src"
BUILD = SRC / "build" / "release"
LOGS = SCRATCH / "logs"
MANIFEST = SCRATCH / "manifest.txt"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CTEST_FLAGS = {"-R", "-E", "-L", "-LE"}


class Abort(Exception):
    """A problem that makes the whole run meaningless."""


@dataclass
class Fault:
    name: str
    line: int
    what: str = ""
    file: str = ""
    tests: str = ""
    original: str = ""
    faulty: str = ""
    blocks: dict = field(default_factory=lambda: {"original": [], "faulty": []})

    def selection(self):
        return shlex.split(self.tests)


def parse_faults(path):
    faults, current, block = [], None, None

    def finish():
        if current is None:
            return
        for name, lines in current.blocks.items():
            while lines and not lines[-1].strip():
                lines.pop()
            # A comment paragraph after the last snippet heads the next entry.
            while lines:
                start = max((i + 1 for i, l in enumerate(lines) if not l.strip()), default=0)
                if start == 0 or not all(l.startswith("#") for l in lines[start:]):
                    break
                del lines[start:]
                while lines and not lines[-1].strip():
                    lines.pop()
            setattr(current, name, "\n".join(lines))
        where = f"{path}:{current.line} ({current.name})"
        missing = [k for k in ("what", "file", "tests", "original") if not getattr(current, k)]
        if missing:
            raise Abort(f"{where}: missing {', '.join(missing)}")
        if current.original == current.faulty:
            raise Abort(f"{where}: the faulty code is the original")
        args = current.selection()
        if not args or len(args) % 2 or any(a not in CTEST_FLAGS for a in args[::2]):
            raise Abort(f"{where}: tests must be pairs of {sorted(CTEST_FLAGS)} and a value")
        faults.append(current)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith("=== "):
            finish()
            current, block = Fault(name=raw[4:].strip(), line=number), None
            if not NAME_RE.match(current.name):
                raise Abort(f"{path}:{number}: bad fault name {current.name!r}")
            continue
        if raw.rstrip() in ("--- original", "--- faulty"):
            if current is None:
                raise Abort(f"{path}:{number}: snippet outside an entry")
            block = raw.split()[1]
            continue
        if block is not None:
            current.blocks[block].append(raw)
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        key, _, value = raw.partition(":")
        if current is None or key not in ("what", "file", "tests"):
            raise Abort(f"{path}:{number}: expected what:, file:, tests: or a snippet")
        setattr(current, key, value.strip())
    finish()
    names = [f.name for f in faults]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise Abort(f"{path}: duplicate fault names: {', '.join(duplicates)}")
    return faults


def occurrences(root, fault):
    path = root / fault.file
    if not path.is_file():
        return None
    return path.read_bytes().count(fault.original.encode())


def run(cmd, log, cwd=None, timeout=None):
    """Runs cmd with output appended to log; (returncode, output, timed_out)."""
    with open(log, "ab") as out:
        out.write(f"\n$ {shlex.join(str(c) for c in cmd)}\n".encode())
        out.flush()
        start = out.tell()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    with open(log, "rb") as f:
        f.seek(start)
        output = f.read().decode(errors="replace")
    return proc.returncode, output, timed_out


def tail(text, lines=30):
    return "\n".join(text.rstrip().splitlines()[-lines:])


# --- the scratch tree -------------------------------------------------------

def sync_tree():
    """Makes SRC hold exactly the working tree's files (tracked and untracked,
    not ignored). Unchanged files keep their mtime; changed ones get a new one,
    so ninja rebuilds exactly what differs (a planted fault left behind by an
    interrupted run included)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    files = sorted({f for f in listed if f and (REPO / f).is_file()})
    copied = 0
    for rel in files:
        source, target = REPO / rel, SRC / rel
        data = source.read_bytes()
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_bytes(data)
        shutil.copymode(source, target)
        copied += 1
    removed = 0
    if MANIFEST.exists():
        for rel in set(MANIFEST.read_text().splitlines()) - set(files):
            if rel and (SRC / rel).is_file():
                (SRC / rel).unlink()
                removed += 1
    MANIFEST.write_text("\n".join(files) + "\n")
    return len(files), copied, removed


def resolve(selection, log):
    """The tests a selection runs and the build outputs they need."""
    code, output, _ = run(["ctest", "--test-dir", str(BUILD), "--show-only=json-v1", *selection],
                          log)
    if code != 0:
        raise Abort(f"ctest could not list {shlex.join(selection)}:\n{tail(output)}")
    listing = json.loads(output[output.index("{"):])
    names, targets = [], set()
    prefix = str(BUILD) + os.sep
    for test in listing.get("tests", []):
        names.append(test["name"])
        values = list(test.get("command") or [])
        for prop in test.get("properties", []):
            if prop.get("name") == "ENVIRONMENT":
                values += [v.partition("=")[2] for v in prop.get("value", [])]
        for value in values:
            if isinstance(value, str) and value.startswith(prefix) and os.path.isfile(value):
                targets.add(os.path.relpath(value, BUILD))
    return names, sorted(targets)


FAILED_LINE = re.compile(r"^\s*\d+ - (\S+)")  # " 72 - Suite.Name [# GetParam...] (Failed)"


def failed_tests(output):
    section = output.split("The following tests FAILED:", 1)
    if len(section) < 2:
        return []
    return [m.group(1) for m in map(FAILED_LINE.match, section[1].splitlines()) if m]


def run_tests(selection, jobs, timeout, log):
    """(passed, failing test names, timed out)."""
    code, output, timed_out = run(
        ["ctest", "--test-dir", str(BUILD), "-j", str(jobs), "--output-on-failure", *selection],
        log, timeout=timeout)
    if timed_out:
        return False, [], True
    if "No tests were found" in output:
        raise Abort(f"selection {shlex.join(selection)} runs no test")
    return code == 0, failed_tests(output), False


# --- the run ----------------------------------------------------------------

@dataclass
class Result:
    fault: Fault
    verdict: str
    seconds: float
    detail: str


def describe_failures(failed, timed_out, timeout):
    if timed_out:
        return f"timeout after {timeout} s"
    if not failed:
        return "ctest failed (see log)"
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"by {failed[0]}{more}"


def try_fault(fault, number, args, selections, keep):
    log = LOGS / f"{number:02d}-{fault.name}.log"
    log.write_text(f"fault {fault.name}: {fault.what}\n")
    started = time.monotonic()

    def result(verdict, detail):
        return Result(fault, verdict, time.monotonic() - started, detail)

    path = SRC / fault.file
    count = occurrences(SRC, fault)
    if count is None:
        return result("STALE", f"{fault.file} not found")
    if count != 1:
        return result("STALE", f"snippet found {count} times in {fault.file}")
    original = path.read_bytes()
    planted = False
    try:
        path.write_bytes(original.replace(fault.original.encode(), fault.faulty.encode(), 1))
        planted = True
        names, targets, timeout = selections[fault.tests]
        code, output, _ = run(["ninja", "-C", str(BUILD), "-j", str(args.jobs), *targets], log)
        if code != 0:
            errors = [l for l in output.splitlines() if "error:" in l]
            return result("BUILD-FAILED", errors[0].replace(str(SRC) + "/", "")[:150]
                          if errors else f"see {log}")
        passed, failed, timed_out = run_tests(fault.selection(), args.jobs, timeout, log)
        if passed:
            return result("SURVIVED", f"{len(names)} tests passed")
        return result("CAUGHT", describe_failures(failed, timed_out, timeout))
    finally:
        # Written afresh (new mtime), so the next build puts the original back.
        if planted and not keep:
            path.write_bytes(original)


def print_table(results):
    width = max([len(r.fault.name) for r in results] + [5])
    print(f"\n{'#':>3}  {'fault':<{width}}  {'result':<12}  {'time':>6}  detail")
    for i, r in enumerate(results, 1):
        print(f"{i:>3}  {r.fault.name:<{width}}  {r.verdict:<12}  {r.seconds:>5.0f}s  {r.detail}")


def list_faults(faults):
    for fault in faults:
        count = occurrences(REPO, fault)
        stale = "" if count == 1 else f"   [STALE: snippet found {count or 0} times]"
        print(f"{fault.name}{stale}\n    {fault.what}\n    {fault.file}   tests: {fault.tests}")
    print(f"{len(faults)} faults")


def main():
    parser = argparse.ArgumentParser(description="Plant known faults and see whether tests fail.")
    parser.add_argument("--list", action="store_true", help="print the faults and exit")
    parser.add_argument("--only", metavar="NAME_REGEX", help="run only matching faults")
    parser.add_argument("--jobs", type=int, default=2, help="build and test parallelism")
    parser.add_argument("--keep", action="store_true",
                        help="leave the last fault planted in the scratch tree")
    parser.add_argument("--timeout", type=int,
                        help="per-fault test time limit in s (default: 5 times the baseline"
                             " run of the fault's selection, at least 60)")
    args = parser.parse_args()

    faults = parse_faults(FAULTS)
    if args.only:
        faults = [f for f in faults if re.search(args.only, f.name)]
        if not faults:
            raise Abort(f"no fault name matches {args.only!r}")
    if args.list:
        list_faults(faults)
        return 0

    SCRATCH.mkdir(parents=True, exist_ok=True)
    lock = open(SCRATCH / "lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise Abort(f"another mutation run is using {SCRATCH}")
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir()
    began = time.monotonic()
    setup_log = LOGS / "00-baseline.log"

    total, copied, removed = sync_tree()
    print(f"scratch tree {SRC}: {total} files, {copied} copied, {removed} removed")
    # The voice prompts are generated, not tracked; the IVR tests need them.
    prompts = SRC / "ops" / "prompts" / "make_prompts.sh"
    if prompts.exists():
        code, output, _ = run([str(prompts)], setup_log)
        if code != 0:
            raise Abort(f"{prompts} failed (log {setup_log}):\n{tail(output)}")
    if not (BUILD / "build.ninja").exists():
        print("configuring (cmake --preset release) ...", flush=True)
        code, output, _ = run(["cmake", "--preset", "release"], setup_log, cwd=SRC)
        if code != 0:
            raise Abort(f"configure failed (log {setup_log}):\n{tail(output)}")
    print(f"building the unmutated tree (-j{args.jobs}) ...", flush=True)
    step = time.monotonic()
    code, output, _ = run(["cmake", "--build", str(BUILD), "--", f"-j{args.jobs}"], setup_log)
    if code != 0:
        raise Abort(f"the unmutated tree does not build (log {setup_log}):\n{tail(output)}")
    print(f"  built in {time.monotonic() - step:.0f} s")

    # Every selection once on the unmutated tree: a fault "caught" by a test
    # that fails anyway would mean nothing.
    selections = {}
    for fault in faults:
        if fault.tests in selections:
            continue
        names, targets = resolve(fault.selection(), setup_log)
        if not names:
            raise Abort(f"fault {fault.name}: tests {fault.tests} select no test")
        selections[fault.tests] = [names, targets, args.timeout]
    print(f"baseline: {len(selections)} test selections", flush=True)
    for selection, entry in selections.items():
        step = time.monotonic()
        print(f"  {selection} ({len(entry[0])} tests) ... ", end="", flush=True)
        passed, failed, timed_out = run_tests(shlex.split(selection), args.jobs,
                                              args.timeout or 3600, setup_log)
        if not passed:
            print("FAILED")
            raise Abort(f"the unmutated tree fails {selection}: "
                        f"{describe_failures(failed, timed_out, args.timeout or 3600)} (log {setup_log})")
        took = time.monotonic() - step
        # A planted fault may hang a test (an endless loop): that is a catch,
        # and need not cost the default ctest timeout.
        entry[2] = args.timeout or max(60, round(5 * took))
        print(f"pass in {took:.0f} s", flush=True)

    results = []
    try:
        for number, fault in enumerate(faults, 1):
            print(f"[{number}/{len(faults)}] {fault.name} ... ", end="", flush=True)
            keep = args.keep and number == len(faults)
            r = try_fault(fault, number, args, selections, keep)
            results.append(r)
            print(f"{r.verdict} {r.detail} in {r.seconds:.0f} s", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; the planted file was put back")
    if args.keep and results and results[-1].verdict not in ("STALE",):
        print(f"--keep: {results[-1].fault.name} is still planted in {SRC / results[-1].fault.file}")

    print_table(results)
    caught = sum(r.verdict == "CAUGHT" for r in results)
    counts = {v: sum(r.verdict == v for r in results) for v in ("SURVIVED", "STALE", "BUILD-FAILED")}
    print(f"\ncaught {caught} of {len(faults)}"
          f" ({counts['SURVIVED']} survived, {counts['STALE']} stale,"
          f" {counts['BUILD-FAILED']} build-failed)"
          f" in {(time.monotonic() - began) / 60:.1f} min; logs in {LOGS}")
    return 0 if caught == len(faults) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Abort as error:
        print(f"mutate: {error}", file=sys.stderr)
        sys.exit(2)
