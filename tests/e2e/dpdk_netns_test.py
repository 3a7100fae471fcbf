"""End-to-end over the DPDK packet plane: tuttid with `[media] backend =
"dpdk"` drives a net_af_packet port on a veth in a network namespace of its
own; real baresip callers in a second namespace reach its SIP and control
API over another veth pair (kernel sockets) and its media address only
through the DPDK port (no kernel interface holds that address; tuttid
answers ARP and ping for it itself).

    server namespace                          client namespace
    <dp> (up, no IP; DPDK af_packet)  <-->    <md> 10.77.0.1/24 (tx csum off)
    <ss> 10.78.0.2/24 (SIP, API)      <-->    <sc> 10.78.0.1/24

  - three G.711 callers in room 1000 hear each other and not themselves;
  - a PCMU, a PCMA and an Opus caller do too;
  - the media went through DPDK: /metrics shows the datagrams delivered and
    sent by the DPDK queue (at least what the call records count), ARP
    requests for the media address answered, and no frame dropped as
    malformed or for a bad checksum;
  - two VP8 cameras (baresip's fakevideo) each see the other's picture: the
    video ports belong to the room's worker on the DPDK plane as the audio
    ones do (video packets in and out, a keyframe-gated switch each, all
    through the DPDK queue);
  - a ping of the media address (raw ICMP from the client namespace) is
    answered, one of an address nobody owns is not;
  - tuttid exits 0 on SIGTERM after each test.

The namespaces and veths are named after this process's pid (tdn-<pid>-srv,
tdn-<pid>-cli; tdn<pid>dp, ...), and removed at the end, also on failure,
SIGTERM, SIGHUP or Ctrl-C. Leftovers of a run that was killed (SIGKILL, a
ctest timeout) are removed by the next run once their pid is gone. Nothing
is sent outside the two namespaces.

Needs root (network namespaces); without it, or where `ip netns add`
fails, it is skipped, saying why. Needs TUTTID (ctest sets it), baresip,
ip (iproute2) and ethtool; missing tools fail it.
TUTTI_E2E_VERBOSE=1 prints the tone timelines and the DPDK counters.
"""

import atexit
import glob
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
import video_harness as vh  # noqa: E402
from tutti_harness import Tuttid, netns_run, require_tuttid  # noqa: E402

VERBOSE = os.environ.get("TUTTI_E2E_VERBOSE") == "1"
# ctest's SKIP_REGULAR_EXPRESSION for this test matches this.
SKIP_MARK = "e2e.dpdk_netns skipped:"

PREFIX = "tdn"
MEDIA_NET = "10.77.0"    # the client's media interface .1, tuttid's DPDK media address .2
SIGNAL_NET = "10.78.0"   # client .1, tuttid's SIP and API .2
CLIENT_MEDIA = f"{MEDIA_NET}.1"
SERVER_MEDIA = f"{MEDIA_NET}.2"
NOBODY = f"{MEDIA_NET}.9"  # on the media subnet, owned by no one
CLIENT_SIP = f"{SIGNAL_NET}.1"
SERVER_SIP = f"{SIGNAL_NET}.2"
SIP_PORT = 5060   # the namespaces are ours: fixed ports are free
API_PORT = 8080

ROOMS = """
[[room]]
name = "1000"
codecs = ["PCMU", "PCMA", "opus"]
"""

SETTLE_S = 1.0
# Each caller sends 50 RTP packets a second; the callers are together for
# at least 5 s. Well under what they send, well above any stray traffic.
MIN_PACKETS_PER_CALLER = 150


def run(cmd, check=True, timeout=20):
    """Runs a command (a list), returns CompletedProcess; raises
    AssertionError with its output when check and it fails."""
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"`{' '.join(cmd)}` exited {result.returncode}:\n{result.stdout}")
    return result


def pid_is_this_test(pid):
    """True while `pid` is a live run of this test (a reused pid is not)."""
    if pid == os.getpid():
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"dpdk_netns_test" in f.read()
    except OSError:
        return False


def namespace_pids(ns):
    result = run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in result.stdout.split() if p.isdigit()] if result.returncode == 0 else []


def end_processes_in(ns, grace_s=5.0):
    """SIGTERM, then SIGKILL, to the processes left in namespace `ns` (only
    ever one of this test's own: tuttid, baresip and their `timeout`)."""
    pids = namespace_pids(ns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_s
        while pids and time.monotonic() < deadline:
            time.sleep(0.05)
            pids = namespace_pids(ns)
        if not pids:
            return


class NetLab:
    """The two namespaces and veth pairs of one run (named after `pid`)."""

    def __init__(self, pid):
        self.pid = pid
        self.server_ns = f"{PREFIX}-{pid}-srv"
        self.client_ns = f"{PREFIX}-{pid}-cli"
        # Interface names: at most 15 characters (tdn + 7 pid digits + 2).
        self.dpdk_if = f"{PREFIX}{pid}dp"      # server side of the media pair, DPDK's
        self.media_if = f"{PREFIX}{pid}md"     # client side of the media pair
        self.server_sip_if = f"{PREFIX}{pid}ss"
        self.client_sip_if = f"{PREFIX}{pid}sc"
        self.eal_prefix = f"{PREFIX}{pid}"
        self.torn_down = False

    # --- leftovers of earlier runs
    @staticmethod
    def remove_stale():
        """Removes namespaces, root-namespace veths and DPDK runtime dirs of
        earlier runs of this test whose process is gone. Returns what it
        removed."""
        removed = []
        listing = run(["ip", "netns", "list"], check=False).stdout
        for line in listing.splitlines():
            name = line.split()[0] if line.split() else ""
            m = re.fullmatch(rf"{PREFIX}-(\d+)-(srv|cli)", name)
            if m and not pid_is_this_test(int(m.group(1))):
                end_processes_in(name, grace_s=2.0)
                run(["ip", "netns", "delete", name], check=False)
                removed.append(f"netns {name}")
        # veths are made inside the namespaces, but one that was moved out
        # (or a half-made pair) would show up here.
        links = run(["ip", "-o", "link", "show"], check=False).stdout
        for m in re.finditer(rf"^\d+: ({PREFIX}(\d+)(?:dp|md|ss|sc))[@:]", links, re.MULTILINE):
            if not pid_is_this_test(int(m.group(2))):
                run(["ip", "link", "delete", m.group(1)], check=False)
                removed.append(f"link {m.group(1)}")
        for path in glob.glob(f"/var/run/dpdk/{PREFIX}*"):
            m = re.fullmatch(rf"{PREFIX}(\d+)", os.path.basename(path))
            if m and not pid_is_this_test(int(m.group(1))):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(f"dir {path}")
        return removed

    # --- this run's
    def set_up(self):
        """Makes the namespaces and links. unittest.SkipTest where the
        machine cannot make network namespaces; AssertionError for any other
        step that fails."""
        for ns in (self.server_ns, self.client_ns):
            try:
                result = run(["ip", "netns", "add", ns], check=False)
            except FileNotFoundError:
                raise unittest.SkipTest(f"{SKIP_MARK} no `ip` command (iproute2) to make network "
                                        "namespaces") from None
            if result.returncode != 0:
                self.tear_down()
                raise unittest.SkipTest(f"{SKIP_MARK} this machine cannot make network "
                                        f"namespaces: `ip netns add {ns}` says: "
                                        f"{result.stdout.strip()}")
        s, c = self.server_ns, self.client_ns
        for ns in (s, c):
            # No IPv6: no router solicitations or MLD reports on the links,
            # only the test's own traffic.
            run(["ip", "netns", "exec", ns, "sh", "-c",
                 "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;"
                 "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"], check=False)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        # Made inside the namespaces: they never appear in the root one.
        run(["ip", "link", "add", self.dpdk_if, "netns", s, "type", "veth",
             "peer", "name", self.media_if, "netns", c])
        run(["ip", "link", "add", self.server_sip_if, "netns", s, "type", "veth",
             "peer", "name", self.client_sip_if, "netns", c])
        run(["ip", "-n", s, "link", "set", self.dpdk_if, "up"])  # no IP: tuttid answers ARP
        run(["ip", "-n", s, "addr", "add", f"{SERVER_SIP}/24", "dev", self.server_sip_if])
        run(["ip", "-n", s, "link", "set", self.server_sip_if, "up"])
        run(["ip", "-n", c, "addr", "add", f"{CLIENT_MEDIA}/24", "dev", self.media_if])
        run(["ip", "-n", c, "link", "set", self.media_if, "up"])
        run(["ip", "-n", c, "addr", "add", f"{CLIENT_SIP}/24", "dev", self.client_sip_if])
        run(["ip", "-n", c, "link", "set", self.client_sip_if, "up"])
        # Else the kernel leaves UDP checksums partial (offloaded to a NIC
        # there is not) and DPDK drops the frames as bad.
        try:
            run(["ip", "netns", "exec", c, "ethtool", "-K", self.media_if, "tx", "off"])
        except AssertionError as error:
            raise AssertionError(f"cannot turn off tx checksum offload on {self.media_if} "
                                 f"(ethtool, Debian package `ethtool`): {error}") from None
        deadline = time.monotonic() + 5
        for ns, link in ((s, self.dpdk_if), (s, self.server_sip_if), (c, self.media_if),
                         (c, self.client_sip_if)):
            while "LOWER_UP" not in run(["ip", "-n", ns, "-o", "link", "show", link]).stdout:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{link} in {ns} is not up:\n"
                                         + run(["ip", "-n", ns, "link"]).stdout)
                time.sleep(0.05)

    def flush_client_neighbours(self):
        """So that the client resolves the media address again (ARP)."""
        run(["ip", "-n", self.client_ns, "neigh", "flush", "dev", self.media_if], check=False)

    def server_addresses(self):
        return run(["ip", "-n", self.server_ns, "-o", "-4", "addr", "show"]).stdout

    def tear_down(self):
        """Idempotent; safe from atexit and signal handlers."""
        if self.torn_down:
            return
        self.torn_down = True
        for ns in (self.server_ns, self.client_ns):
            if os.path.exists(os.path.join("/run/netns", ns)):
                end_processes_in(ns)
                run(["ip", "netns", "delete", ns], check=False)
        shutil.rmtree(f"/var/run/dpdk/{self.eal_prefix}", ignore_errors=True)

    def leftovers(self):
        names = run(["ip", "netns", "list"], check=False).stdout
        return [ns for ns in (self.server_ns, self.client_ns) if re.search(rf"^{ns}\b", names,
                                                                           re.MULTILINE)]


_LAB = None


def _on_signal(signum, _frame):
    if _LAB is not None:
        _LAB.tear_down()
    os._exit(128 + signum)


def _tear_down_at_exit():
    if _LAB is not None:
        _LAB.tear_down()


# ---------------------------------------------------------------------------
# ICMP echo from inside a namespace


def _inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ping_once(destination, ident, seq, timeout):
    """One ICMP echo over a raw socket: the round trip in seconds, or None
    when no (valid) reply came within timeout. Raises AssertionError on a
    reply with a wrong checksum or payload."""
    payload = b"tutti-dpdk-netns-" + struct.pack("!Id", seq, time.time()) + bytes(range(32))
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    packet = (struct.pack("!BBHHH", 8, 0, _inet_checksum(header + payload), ident, seq)
              + payload)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        s.settimeout(0.1)
        sent = time.monotonic()
        s.sendto(packet, (destination, 0))
        while time.monotonic() - sent < timeout:
            try:
                data, source = s.recvfrom(4096)
            except socket.timeout:
                continue
            ihl = (data[0] & 0x0F) * 4
            icmp = data[ihl:]
            if source[0] != destination or len(icmp) < 8:
                continue
            kind, _, _, r_ident, r_seq = struct.unpack("!BBHHH", icmp[:8])
            if kind != 0 or r_ident != ident or r_seq != seq:
                continue
            if _inet_checksum(icmp) != 0:
                raise AssertionError(f"echo reply from {destination} has a bad ICMP checksum: "
                                     f"{icmp.hex()}")
            if icmp[8:] != payload:
                raise AssertionError(f"echo reply from {destination} does not carry the "
                                     f"request's payload: {icmp[8:].hex()} vs {payload.hex()}")
            return time.monotonic() - sent
    return None


def ping(netns, destination, count=3, timeout=2.0):
    """[round trip or None] for `count` echoes from inside `netns`."""
    ident = os.getpid() & 0xFFFF
    return [netns_run(netns, _ping_once, destination, ident, seq, timeout)
            for seq in range(1, count + 1)]


# ---------------------------------------------------------------------------


class DpdkNetnsTest(unittest.TestCase, ah.MixChecks):

    @classmethod
    def setUpClass(cls):
        global _LAB
        if os.geteuid() != 0:
            raise unittest.SkipTest(f"{SKIP_MARK} network namespaces need root (euid "
                                    f"{os.geteuid()})")
        ah.require_baresip()
        require_tuttid()
        cls.stale = NetLab.remove_stale()
        if cls.stale:
            print(f"removed leftovers of an earlier run: {', '.join(cls.stale)}", flush=True)
        lab = NetLab(os.getpid())
        _LAB = lab
        atexit.register(_tear_down_at_exit)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _on_signal)
        try:
            lab.set_up()
        except BaseException:
            lab.tear_down()
            raise
        cls.lab = lab

    @classmethod
    def tearDownClass(cls):
        cls.lab.tear_down()
        left = cls.lab.leftovers()
        if left:
            raise AssertionError(f"namespaces left behind: {left}")

    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="tutti-e2e-dpdk-")
        self.addCleanup(self.work.cleanup)
        self.lab.flush_client_neighbours()
        cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
        eal_args = ["--no-huge", "--no-pci", "-m", "256", "--no-shconf",
                    f"--file-prefix={self.lab.eal_prefix}", f"--lcores=0@({cpus})",
                    f"--vdev=net_af_packet0,iface={self.lab.dpdk_if}"]
        dpdk = ("[dpdk]\neal_args = [" + ", ".join(f'"{a}"' for a in eal_args) + "]\n"
                'port = "net_af_packet0"\nprefix_length = 24\n')
        self.server = Tuttid(rooms=ROOMS, listen=SERVER_SIP, media_address=SERVER_MEDIA,
                             api_listen=SERVER_SIP, port=SIP_PORT, api_port=API_PORT,
                             media_extra='backend = "dpdk"', extra_config=dpdk,
                             wrapper=["ip", "netns", "exec", self.lab.server_ns],
                             api_netns=self.lab.client_ns)
        self.addCleanup(self._stop_server)
        self.room_uri = f"sip:1000@{SERVER_SIP}:{SIP_PORT}"
        self.assertIn('media_backend=dpdk', self.server.log_text())
        addresses = self.lab.server_addresses()
        self.assertNotIn(SERVER_MEDIA, addresses,
                         "the media address must be on no kernel interface of the server "
                         "namespace, only on the DPDK port")
        self.before = self.metrics()

    def _stop_server(self):
        code = self.server.stop()
        log = self.server.log_text()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + log[-3000:])

    # --- helpers
    def metrics(self):
        """{family name: value summed over its labels} from /metrics."""
        status, text = self.server.api("GET", "/metrics")
        self.assertEqual(status, 200, text)
        values = {}
        for line in text.splitlines():
            m = re.match(r"^([A-Za-z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)", line)
            if m and not line.startswith("#"):
                values[m.group(1)] = values.get(m.group(1), 0.0) + float(m.group(2))
        self.assertIn("tutti_dpdk_queue_delivered_total", values,
                      "no tutti_dpdk_* families in /metrics:\n" + text[-3000:])
        return values

    def grown(self, after, name):
        return after.get(name, 0.0) - self.before.get(name, 0.0)

    def dpdk_summary(self, after):
        return "\n".join(f"  {name} {value:g} (+{self.grown(after, name):g})"
                         for name, value in sorted(after.items()) if name.startswith("tutti_dpdk"))

    def client(self, name, codec, tone_hz):
        wav = ah.write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 30,
                                ah.SOURCE_RATE[codec])
        # One network namespace for all of them: each its own SIP port.
        self.clients_made = getattr(self, "clients_made", 0) + 1
        client = ah.BaresipClient(name, self.work.name, codec=codec, source_wav=wav,
                                  sip_port=5068 + 2 * self.clients_made, address=CLIENT_SIP,
                                  media_address=CLIENT_MEDIA, netns=self.lab.client_ns)
        self.addCleanup(client.kill)
        return client

    def check_mix(self, tones, codecs, decoders):
        clients = [self.client(name, codecs[name], hz) for name, hz in tones.items()]
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        for client in clients:
            self.assertEqual(client.negotiated(), decoders[client.codec], client.log_tail())
            log = client.log_text()
            # tuttid's answer names the DPDK address and the RTP comes from it.
            self.assertRegex(log, rf"c=IN IP4 {re.escape(SERVER_MEDIA)}\s",
                             f"{client.name}: no SDP answer with c={SERVER_MEDIA}\n"
                             + client.log_tail())
            self.assertRegex(log, rf"receiving from {re.escape(SERVER_MEDIA)}:\d+",
                             f"{client.name}: no RTP from {SERVER_MEDIA}\n" + client.log_tail())
        all_in = max(c.event_time("CALL_ESTABLISHED") for c in clients) + SETTLE_S
        all_out = min(c.end_time() for c in clients) - 0.3
        window_s = min(2.0, all_out - all_in)
        self.assertGreater(window_s, 1.0,
                           f"the callers were together only {all_out - all_in:.1f} s")
        middle = all_in + (all_out - all_in - window_s) / 2
        for client in clients:
            self.check_hears(client, middle, window_s, tones,
                             expected=[n for n in tones if n != client.name])
        self.check_media_went_through_dpdk(len(clients))

    def call_records(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            records = self.server.call_records()
            if len(records) >= count or time.monotonic() > deadline:
                return records
            time.sleep(0.1)

    def check_media_went_through_dpdk(self, callers):
        records = self.call_records(callers)
        after = self.metrics()
        summary = (f"\nDPDK counters (growth during the test):\n{self.dpdk_summary(after)}"
                   f"\ncall records: {records}\n--- tuttid log:\n"
                   + self.server.log_text()[-3000:])
        if VERBOSE:
            print(summary[:4000])
        self.assertEqual(len(records), callers, "one call record per caller" + summary)
        packets_in = sum(r.get("packets_in", 0) for r in records)
        packets_out = sum(r.get("packets_out", 0) for r in records)
        delivered = self.grown(after, "tutti_dpdk_queue_delivered_total")
        sent = self.grown(after, "tutti_dpdk_queue_tx_total")
        floor = MIN_PACKETS_PER_CALLER * callers
        self.assertGreaterEqual(packets_in, floor, "the calls received too little RTP" + summary)
        self.assertGreaterEqual(packets_out, floor, "the calls sent too little RTP" + summary)
        # Every RTP packet the calls counted (and the RTCP on top) went
        # through the DPDK queue.
        self.assertGreaterEqual(delivered, packets_in,
                                "fewer datagrams delivered by DPDK than the calls received"
                                + summary)
        self.assertGreaterEqual(sent, packets_out,
                                "fewer frames sent by DPDK than the calls sent" + summary)
        self.assertGreaterEqual(after.get("tutti_dpdk_queue_arp_replies_total", 0), 1,
                                f"nobody's ARP request for {SERVER_MEDIA} was answered" + summary)
        self.check_no_bad_frames(after, summary)

    def check_no_bad_frames(self, after, summary):
        for name in ("tutti_dpdk_queue_bad_checksum_total", "tutti_dpdk_queue_malformed_total",
                     "tutti_dpdk_queue_fragments_total", "tutti_dpdk_queue_tx_drops_total",
                     "tutti_dpdk_queue_ring_drops_total", "tutti_dpdk_tx_errors_total",
                     "tutti_dpdk_rx_errors_total", "tutti_dpdk_rx_no_mbuf_total"):
            self.assertEqual(self.grown(after, name), 0, f"{name} grew" + summary)

    # --- tests
    def test_three_g711(self):
        """Three G.711 callers; each hears the other two and not itself."""
        tones = {"alice": 440, "bob": 700, "carol": 1150}
        self.check_mix(tones, codecs={n: "PCMU" for n in tones},
                       decoders={"PCMU": "PCMU 8000Hz 1ch"})

    def test_g711_and_opus(self):
        """A PCMU, a PCMA and an Opus caller hear the two others, not themselves."""
        tones = {"ulaw": 500, "alaw": 750, "wide": 1100}
        self.check_mix(tones, codecs={"ulaw": "PCMU", "alaw": "PCMA", "wide": "opus"},
                       decoders={"PCMU": "PCMU 8000Hz 1ch", "PCMA": "PCMA 8000Hz 1ch",
                                 "opus": "opus 48000Hz 2ch"})

    def test_video(self):
        """Two VP8 cameras in a room: each is shown the other's, through DPDK."""
        clients = []
        for name, size in (("alice", "320x240"), ("bob", "352x288")):
            self.clients_made = getattr(self, "clients_made", 0) + 1
            client = vh.VideoBaresipClient(name, self.work.name, size, video_codec="VP8",
                                           sip_port=5068 + 2 * self.clients_made,
                                           address=CLIENT_SIP, media_address=CLIENT_MEDIA,
                                           netns=self.lab.client_ns)
            self.addCleanup(client.kill)
            clients.append(client)
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        after = self.metrics()
        summary = (f"\nDPDK counters (growth):\n{self.dpdk_summary(after)}\n--- tuttid log:\n"
                   + self.server.log_text()[-3000:])
        for client in clients:
            self.assertEqual((client.answered_video() or (None,))[0], "VP8",
                             f"{client.name}: {client.video_lines()}\n{client.log_tail()}")
            own, far = client.media_ports()
            self.assertTrue(own and far, f"{client.name}'s video was not set up: "
                                         f"{client.video_lines()}")
        # 15 frames a second from each camera for several seconds, each
        # forwarded to the other: far more than any stray traffic.
        video_in = self.grown(after, "tutti_video_packets_in_total")
        video_out = self.grown(after, "tutti_video_packets_out_total")
        self.assertGreaterEqual(video_in, 100, "tuttid received too little video" + summary)
        self.assertGreaterEqual(video_out, 100, "tuttid forwarded too little video" + summary)
        self.assertGreaterEqual(self.grown(after, "tutti_video_switches_total"), 2,
                                "not both callers were switched to the other's camera" + summary)
        self.assertGreaterEqual(self.grown(after, "tutti_video_keyframe_requests_total"), 1,
                                "no camera was asked for a keyframe" + summary)
        self.assertGreaterEqual(self.grown(after, "tutti_dpdk_queue_delivered_total"), video_in,
                                "the video did not come through the DPDK queue" + summary)
        self.assertGreaterEqual(self.grown(after, "tutti_dpdk_queue_tx_total"), video_out,
                                "the video did not leave through the DPDK queue" + summary)
        self.check_no_bad_frames(after, summary)

    def test_ping_and_arp(self):
        """The media address answers ARP and ping through DPDK; an address
        nobody owns on its subnet does not (tuttid answers only for its own)."""
        rtts = ping(self.lab.client_ns, SERVER_MEDIA, count=3)
        nobody = ping(self.lab.client_ns, NOBODY, count=1, timeout=1.5)
        after = self.metrics()
        summary = (f"\nround trips {rtts}; DPDK counters (growth):\n{self.dpdk_summary(after)}"
                   f"\n--- tuttid log:\n{self.server.log_text()[-3000:]}")
        if VERBOSE:
            print(summary[:3000])
        self.assertTrue(all(rtt is not None for rtt in rtts),
                        f"not every ping of {SERVER_MEDIA} was answered" + summary)
        self.assertEqual(nobody, [None], f"a ping of {NOBODY} (nobody's) was answered" + summary)
        self.assertGreaterEqual(self.grown(after, "tutti_dpdk_queue_icmp_replies_total"), 3,
                                summary)
        self.assertGreaterEqual(self.grown(after, "tutti_dpdk_queue_arp_replies_total"), 1,
                                summary)
        self.check_no_bad_frames(after, summary)


if __name__ == "__main__":
    unittest.main(verbosity=2)
