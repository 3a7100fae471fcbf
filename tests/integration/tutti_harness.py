"""Starts a real tuttid for integration tests and talks to it over real sockets.

Each test gets its own tuttid on free loopback ports with a config written for
it, and stops it with SIGTERM at the end, checking that it exits 0.
"""

import ctypes
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

TUTTID = os.environ.get("TUTTID", "tuttid")
SIPP = os.environ.get("SIPP", "sipp")
SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")
# Made by ops/setup.sh (ops/prompts/make_prompts.sh).
PROMPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ops", "prompts",
                       "generated")


# Ports for tests that run side by side (ctest -j, two ctest runs at once)
# must not collide, and a port a test found free and then closed can be taken
# by another before it is used. So each test process claims a block of ports
# of its own, below the kernel's ephemeral range (where nothing binds by
# chance), by holding an flock on the block's lock file for its lifetime:
# the lock goes away with the process, whatever way it ends. Ports within the
# block are handed out in turn, each checked bindable in case a process
# outside the tests holds it.
PORT_BLOCKS_FIRST = 20000  # baresip's RTP uses 10000-19999 (audio_harness)
PORT_BLOCK_SIZE = 500      # RTP_RANGE for tuttid's media, then single ports
PORT_BLOCK_COUNT = 25      # up to 32500, below the ephemeral 32768
RTP_RANGE = 200
PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "tutti-test-ports")

_port_block = None  # (lock file, first port of the block)
_port_next = 0
_port_lock = threading.Lock()


def _claim_port_block():
    global _port_block
    if _port_block is None:
        os.makedirs(PORT_LOCK_DIR, exist_ok=True)
        for block in range(PORT_BLOCK_COUNT):
            lock = open(os.path.join(PORT_LOCK_DIR, f"block-{block}.lock"), "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            _port_block = (lock, PORT_BLOCKS_FIRST + block * PORT_BLOCK_SIZE)
            break
        else:
            raise RuntimeError(f"all {PORT_BLOCK_COUNT} test port blocks are held by other test "
                               f"processes (locks in {PORT_LOCK_DIR})")
    return _port_block[1]


def rtp_port_range():
    """(first, last) RTP ports for a tuttid of this process: RTP_RANGE ports
    of its own block. Tuttids of one process run one after the other."""
    first = _claim_port_block()
    return first, first + RTP_RANGE - 1


def _bindable(port):
    socks = []
    try:
        for k in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            t = socket.socket(socket.AF_INET, k)
            socks.append(t)
            t.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for t in socks:
            t.close()


def free_port(kind=socket.SOCK_DGRAM, pair=False):
    """A port of this process's own block, free for UDP and TCP at once (with
    pair, an even one with port+1 free too: RTP/RTCP, or baresip's SIP and
    its SIP/TLS on the next port). No other test process is handed it."""
    global _port_next
    del kind  # every port handed out is free for both
    first = _claim_port_block() + RTP_RANGE
    count = PORT_BLOCK_SIZE - RTP_RANGE
    with _port_lock:
        for _ in range(count):
            port = first + _port_next
            _port_next = (_port_next + 1) % count
            if pair and (port % 2 or port + 1 >= first + count):
                continue
            if all(_bindable(p) for p in ([port, port + 1] if pair else [port])):
                if pair:
                    _port_next = (_port_next + 1) % count
                return port
    raise RuntimeError("no free port in this process's block")


def wait_until(what, predicate, timeout=10.0, describe=lambda: ""):
    """Polls predicate() until it returns something true, and returns that;
    after `timeout` seconds fails with `what` and describe()'s text."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s{describe()}")
        time.sleep(0.05)


CLONE_NEWNET = 0x40000000


def netns_run(netns, fn, *args, **kwargs):
    """fn(*args, **kwargs) run inside the network namespace `netns` (a name
    from `ip netns add`), or here when netns is None. It runs on a thread of
    its own that setns(2)s into the namespace (the network namespace is per
    thread), so sockets it opens belong to that namespace and stay there
    when used from other threads. Its exceptions are raised here."""
    if not netns:
        return fn(*args, **kwargs)
    outcome = {}

    def body():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(os.path.join("/run/netns", netns), os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, f"setns into network namespace {netns}: "
                                         f"{os.strerror(error)}")
            finally:
                os.close(fd)
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as error:  # noqa: B036 - handed to the caller
            outcome["error"] = error

    thread = threading.Thread(target=body, name=f"netns-{netns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


DEFAULT_ROOMS = """
[[room]]
name = "1000"

[[room]]
name = "pcmu-only"
codecs = ["PCMU"]
"""


class Tuttid:
    """A tuttid process with its own config and log file."""

    def __init__(self, sip_extra="", limits="", rooms=DEFAULT_ROOMS, extra_args=(), media_extra="",
                 listen="127.0.0.1", media_address="127.0.0.1", api_listen=None, port=None,
                 api_port=None, extra_config="", wrapper=(), api_netns=None, start_timeout=10,
                 msrp_port=None, files_dir=None):
        """listen (SIP: an address or a list of them), media_address ([media] address) and api_listen
        (default: [api] listen left out, i.e. 127.0.0.1) place tuttid on
        other addresses; port, api_port and msrp_port default to free
        loopback ports, files_dir ([files] dir) to a folder in the temp dir.
        extra_config is TOML put before the rooms (e.g. a [dpdk] table).
        wrapper is prepended to the command line (e.g. ["ip", "netns",
        "exec", "ns"]: it must exec tuttid, so that SIGTERM reaches it), and
        api() is made from inside the network namespace api_netns."""
        self.dir = tempfile.mkdtemp(prefix="tutti-it-")
        self.listen = listen
        self.port = port or free_port()
        self.api_port = api_port or free_port(socket.SOCK_STREAM)
        # MSRP (TCP) and the room files: this tuttid's own, so that parallel
        # tests never share a port or a folder.
        self.msrp_port = msrp_port or free_port(socket.SOCK_STREAM)
        self.files_dir = files_dir or os.path.join(self.dir, "files")
        self.api_host = api_listen or "127.0.0.1"
        if self.api_host in ("0.0.0.0", "::"):
            self.api_host = (listen if isinstance(listen, str) and listen not in ("0.0.0.0", "::")
                             else "127.0.0.1")
        self.api_netns = api_netns
        # 16 characters or more: tuttid refuses shorter tokens beyond loopback.
        self.api_token = f"test-token-{os.getpid()}-{secrets.token_hex(8)}"
        rtp, rtp_last = rtp_port_range()
        self.config_path = os.path.join(self.dir, "tutti.toml")
        self.records_path = os.path.join(self.dir, "calls.jsonl")
        api_listen_line = f'listen = "{api_listen}"' if api_listen else ""
        with open(self.config_path, "w") as f:
            f.write(f"""
[sip]
listen = {json.dumps(listen)}
port = {self.port}
{sip_extra}

[media]
address = "{media_address}"
rtp_port_min = {rtp}
rtp_port_max = {rtp_last}
{media_extra}

[limits]
{limits}

[log]
level = "debug"

[records]
path = "{self.records_path}"

[prompts]
dir = "{PROMPTS}"

[recording]
dir = "{self.dir}/recordings"

[msrp]
port = {self.msrp_port}

[files]
dir = "{self.files_dir}"

[api]
enabled = true
{api_listen_line}
port = {self.api_port}
token = "{self.api_token}"
{extra_config}
{rooms}
""")
        self.log_path = os.path.join(self.dir, "tuttid.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([*wrapper, TUTTID, f"--config={self.config_path}",
                                      "--shutdown_timeout_s=5", *extra_args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_for_log(r"msg=started", timeout=start_timeout)
        except AssertionError:
            # One that fails to start is not left running.
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            raise

    def api(self, method, path, body=None, raw=None, token=True):
        """One control API request: (status, JSON body, or text for other
        content such as /metrics)."""
        return netns_run(self.api_netns, self._api, method, path, body, raw, token)

    def _api(self, method, path, body, raw, token):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(f"http://{self.api_host}:{self.api_port}{path}", data=data,
                                         method=method)
        if token:
            request.add_header("Authorization", f"Bearer {self.api_token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                text = response.read().decode()
                is_json = response.headers.get_content_type() == "application/json"
                return response.status, (json.loads(text) if text and is_json else text)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None

    def config_text(self):
        with open(self.config_path) as f:
            return f.read()

    def rewrite_config(self, edit):
        """Rewrites the config file tuttid was started with: edit(text)
        returns the new text (a str.replace, a room appended...). The change
        counts once tuttid reloads (reload(), or POST /v1/reload)."""
        text = self.config_text()
        new = edit(text)
        if new == text:
            raise AssertionError("rewrite_config changed nothing in the file")
        # Written whole then renamed in place, as editors do, so a reload
        # never reads half a file.
        temporary = self.config_path + ".new"
        with open(temporary, "w") as f:
            f.write(new)
        os.replace(temporary, self.config_path)

    RELOAD_LOG = r'msg="configuration (?:not )?reloaded'

    def reload(self, timeout=10.0):
        """SIGHUP, then waits for tuttid's verdict in its log; returns that
        log line (msg="configuration reloaded" or "... not reloaded ...")."""
        before = len(re.findall(self.RELOAD_LOG, self.log_text()))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log_count(self.RELOAD_LOG, before + 1, timeout)
        lines = [line for line in self.log_text().splitlines() if re.search(self.RELOAD_LOG, line)]
        return lines[before]

    def call_records(self):
        """The call records written so far, one dict per ended leg."""
        import json
        if not os.path.exists(self.records_path):
            return []
        with open(self.records_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_until(self, what, predicate, timeout=10.0):
        """wait_until() with the end of this tuttid's log in the failure."""
        return wait_until(what, predicate, timeout,
                          lambda: "\n--- tuttid log:\n" + self.log_text()[-4000:])

    def participants(self, room):
        """The room's participants from the API, by their From URI."""
        status, body = self.api("GET", f"/v1/rooms/{room}/participants")
        if status != 200:
            raise AssertionError(f"GET /v1/rooms/{room}/participants answered {status}: {body}")
        return {p["from"]: p for p in body["participants"]}

    def metric(self, name, labels=""):
        """One sample of /metrics (`labels` as written there, e.g.
        'method="ACK"'), or 0 when it is not there yet."""
        status, text = self.api("GET", "/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}: {text}")
        series = f"{name}{{{labels}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return 0.0

    def wait_for_metric(self, name, labels="", at_least=1, timeout=10.0):
        """Polls /metrics until the sample reaches at_least."""
        self.wait_until(f"{name}{{{labels}}} at {at_least} or more",
                        lambda: self.metric(name, labels) >= at_least, timeout)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def _wait_for_in_log(self, find, what, timeout):
        """Polls the log until find(text) returns something true, and
        returns that; fails at once if tuttid exits, or after timeout."""
        def found():
            text = self.log_text()
            result = find(text)
            if not result and self.proc.poll() is not None:
                raise AssertionError(f"tuttid exited with {self.proc.returncode}:\n{text}")
            return result

        return wait_until(what, found, timeout, lambda: ":\n" + self.log_text()[-4000:])

    def wait_for_log(self, pattern, timeout=10.0):
        """The first match of `pattern` in the log, once there is one."""
        return self._wait_for_in_log(lambda text: re.search(pattern, text),
                                     f"no log line matching {pattern!r}", timeout)

    def wait_for_log_count(self, pattern, count, timeout=10.0):
        """Waits until `pattern` matches at least `count` times in the log."""
        self._wait_for_in_log(lambda text: len(re.findall(pattern, text)) >= count,
                              f"not {count} log lines matching {pattern!r}", timeout)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tuttid did not exit after SIGTERM:\n" + self.log_text()[-4000:])
        self.log.close()
        return self.proc.returncode

    def sipp(self, scenario, *args, transport="u1", calls=1, timeout=30, port=None, check=True,
             background=False):
        """Runs a SIPp scenario from tests/integration/sipp against this tuttid."""
        local_port = port or free_port()
        cmd = [SIPP, "-sf", os.path.join(SCENARIOS, scenario), f"127.0.0.1:{self.port}",
               "-i", "127.0.0.1", "-p", str(local_port), "-m", str(calls), "-nostdin",
               "-t", transport, "-timeout", str(timeout), "-timeout_error",
               "-trace_err", "-error_file", os.path.join(self.dir, f"{scenario}.{local_port}.err"),
               "-trace_msg", "-message_file",
               os.path.join(self.dir, f"{scenario}.{local_port}.msg"), *args]
        if background:
            return subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        result = subprocess.run(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=timeout + 30)
        if check and result.returncode != 0:
            raise AssertionError(self.describe_failure(scenario, local_port, result))
        return result

    def describe_failure(self, scenario, local_port, result):
        parts = [f"sipp {scenario} exited {result.returncode}", result.stdout[-3000:]]
        for suffix in ("err", "msg"):
            path = os.path.join(self.dir, f"{scenario}.{local_port}.{suffix}")
            if os.path.exists(path):
                with open(path) as f:
                    parts.append(f"--- {suffix}:\n" + f.read()[-6000:])
        parts.append("--- tuttid log:\n" + self.log_text()[-4000:])
        return "\n".join(parts)


def check_clean_exit(test, server):
    """Stops `server` (SIGTERM) and fails `test` unless tuttid exited with 0,
    showing the tail of its log."""
    code = server.stop()
    test.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + server.log_text()[-3000:])


class TuttidTestCase(unittest.TestCase):
    """Starts tuttid per test (with the class's settings) and checks a clean exit."""

    sip_extra = ""
    limits = ""

    def setUp(self):
        self.server = Tuttid(sip_extra=self.sip_extra, limits=self.limits)

    def tearDown(self):
        check_clean_exit(self, self.server)


class CallersTestCase(unittest.TestCase):
    """A tuttid the test starts (start(), with its own settings) and the SIP
    callers it makes (caller(), dial(): instances of the class's
    caller_class, an audio_harness.LossyRtpCaller with (port, user, name)).
    At the end every caller stops streaming (if it can) and hangs up, before
    tuttid must exit cleanly: a call left up would hide a shutdown fault."""

    caller_class = None

    def setUp(self):
        self.server = None
        self.callers = []

    def tearDown(self):
        for caller in self.callers:
            stop_streaming = getattr(caller, "stop_streaming", None)
            if stop_streaming is not None:
                stop_streaming()
            caller.hang_up_and_close()
        if self.server is not None:
            check_clean_exit(self, self.server)

    def start(self, **kwargs):
        self.server = Tuttid(**kwargs)
        return self.server

    def caller(self, user, name, **kwargs):
        caller = self.caller_class(self.server.port, user, name, **kwargs)
        self.callers.append(caller)
        return caller

    def dial(self, user, name, **kwargs):
        caller = self.caller(user, name, **kwargs)
        caller.invite()
        return caller


class EventStream:
    """Reads the control API's /v1/events (SSE) in a thread into self.events,
    a list of (event, data), until tuttid ends it or an event of kind
    `until` arrives."""

    def __init__(self, server, until=None, timeout=30):
        self.events = []
        self._until = until
        self._timeout = timeout
        self._open = threading.Event()
        self._server = server
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # tuttid subscribes the stream before it sends the response headers,
        # so once they are here no event can be missed.
        if not self._open.wait(5):
            raise AssertionError("the event stream never opened")

    def _read(self):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self._server.api_port}/v1/events",
            headers={"Authorization": f"Bearer {self._server.api_token}"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as stream:
                self._open.set()
                kind = None
                for raw_line in stream:
                    line = raw_line.decode().rstrip("\n")
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        self.events.append((kind, json.loads(line[6:])))
                        if kind == self._until:
                            return
        except OSError:
            pass  # tuttid stopped

    def kinds(self):
        return [kind for kind, _ in self.events]

    def join(self, timeout):
        self._thread.join(timeout)


def require_tuttid():
    """Fails (never skips) when TUTTID is not an executable."""
    if not (os.path.isfile(TUTTID) and os.access(TUTTID, os.X_OK)) and not shutil.which(TUTTID):
        raise AssertionError(f"TUTTID={TUTTID!r} is not an executable tuttid; set TUTTID to the "
                             "binary (ctest does)")


def udp_exchange(port, message, timeout=2.0, expect_reply=True):
    """Sends one datagram to tuttid, returns the first reply (text) or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(message.encode() if isinstance(message, str) else message, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(65535)
            return data.decode(errors="replace")
        except socket.timeout:
            if expect_reply:
                raise
            return None


def expect_closed_at_once(port, source_ip, timeout=5.0):
    """Connects to tuttid's SIP TCP port from source_ip (a loopback address)
    and returns once tuttid closes the connection (EOF or a reset); fails
    after timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source_ip, 0)) as sock:
        sock.settimeout(timeout)
        try:
            data = sock.recv(1)
        except ConnectionResetError:
            return
        if data != b"":
            raise AssertionError(f"tuttid sent {data!r} to {source_ip} instead of closing")


def sdp_offer(media_lines):
    """An SDP offer from 127.0.0.1 with these m= (and a=) lines."""
    return "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + media_lines


def invite_request(port, user, sdp, call_id, branch, contact_port=5999):
    """A bare INVITE for user@tuttid (port) carrying `sdp`, from a caller
    at 127.0.0.1:contact_port (for SIP-only tests: nobody need listen)."""
    return (f"INVITE sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{contact_port};branch={branch};rport\r\n"
            f"From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:t@127.0.0.1:{contact_port}>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")


def final_reply(port, request):
    """Sends `request` to tuttid over UDP (again after each 100 Trying) and
    returns its first answer that is not a 100."""
    reply = udp_exchange(port, request)
    while reply.startswith("SIP/2.0 100"):
        reply = udp_exchange(port, request)
    return reply
