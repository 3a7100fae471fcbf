"""Floods against a real tuttid (issue 13, defects 3 and 4), on loopback.

- One address cannot take every call slot: calls and new requests are
  limited per source address, other sources still get in, and the listed
  unlimited sources (proxies, SBCs, trunks) are exempt.
- While 20 callers talk (tutti-load, from 127.0.0.2), out-of-dialog floods
  (INVITE and OPTIONS, from one address and from several) and an in-dialog
  flood (INFO, re-INVITE, OPTIONS inside one call) leave the talking calls
  untouched as the SERVER counts it (no gap over 100 ms between received
  RTP packets, at most 2 late ticks of ~400), a BYE inside the flooded call still ends it,
  and tuttid's resident memory comes back within 10% of where it was.

Every address 127.0.0.0/8 is loopback on Linux, so a test can be several
sources at once. The floods are paced and bounded (a few thousand requests
a second for a few seconds), so the test fits a shared 2-core machine; the
flooders run at a lower CPU priority than tuttid and the callers.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

from tutti_harness import Tuttid, TuttidTestCase, require_tuttid, wait_until

TUTTI_LOAD = os.environ.get("TUTTI_LOAD", "tutti-load")
# An ASan build's allocator keeps freed memory in its quarantine (256 MB) by
# design, so resident memory says nothing about tuttid's own there; and its
# -O1 instrumented tick is slow enough that one preemption on a shared
# 2-core machine makes a tick late with no flood at all (measured: 1 late
# tick with two busy loops beside it and 40 requests/s). So memory and late
# ticks are checked on real builds; limits, the BYE and the callers' gaps on
# both.
SANITIZED = os.environ.get("TUTTI_SANITIZE", "0") == "1"

SDP = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def request(method, server_port, *, source, user="1000", branch, call_id, cseq=1,
            to_tag=None, body="", content_type="application/sdp"):
    """One request as a phone at `source` (ip, port) would send it."""
    to = f"<sip:{user}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    ctype = f"Content-Type: {content_type}\r\n" if body else ""
    return (f"{method} sip:{user}@127.0.0.1:{server_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source[0]}:{source[1]};branch={branch};rport\r\n"
            f"From: <sip:flood@{source[0]}>;tag=f{call_id}\r\n"
            f"To: {to}\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <sip:flood@{source[0]}:{source[1]}>\r\n"
            f"Max-Forwards: 70\r\n{ctype}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def status_of(response):
    return int(response.split(b" ", 2)[1])


def header(response, name):
    match = re.search(rb"\r\n" + name.encode() + rb": ([^\r]*)\r\n", response)
    return match.group(1).decode() if match else None


class Phone:
    """A UDP socket bound to one loopback address: one source."""

    def __init__(self, address="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.address = self.sock.getsockname()

    def send(self, server_port, data):
        self.sock.sendto(data, ("127.0.0.1", server_port))

    def finals(self, count, timeout=10.0):
        """The final responses to `count` requests, by Call-ID and CSeq
        (retransmissions and provisionals skipped)."""
        finals = {}
        deadline = time.monotonic() + timeout
        while len(finals) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{len(finals)} of {count} final responses came")
            self.sock.settimeout(left)
            data, _ = self.sock.recvfrom(65535)
            if status_of(data) >= 200:
                finals.setdefault((header(data, "Call-ID"), header(data, "CSeq")), data)
        return finals

    def final_for(self, call_id, cseq, timeout=10.0):
        """The final response to one request (Call-ID, "CSeq: " value);
        anything else that comes meanwhile is skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no final response to {cseq} of {call_id}")
            self.sock.settimeout(left)
            data, _ = self.sock.recvfrom(65535)
            if status_of(data) >= 200 and (header(data, "Call-ID"), header(data, "CSeq")) == (
                    call_id, cseq):
                return data

    def close(self):
        self.sock.close()


def flood(server_port, sources, make, count, rate):
    """Sends `count` requests spread over `sources` (addresses) at about
    `rate` a second, make(i, source) giving each; answers are not read (the
    kernel drops what does not fit the socket buffer). Returns the seconds
    it took."""
    socks = []
    for address in sources:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((address, 0))
        socks.append(s)
    start = time.monotonic()
    batch = 50
    for first in range(0, count, batch):
        for i in range(first, min(count, first + batch)):
            s = socks[i % len(socks)]
            s.sendto(make(i, s.getsockname()), ("127.0.0.1", server_port))
        ahead = (first + batch) / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    for s in socks:
        s.close()
    return time.monotonic() - start


def resident_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class SourceLimitsTest(unittest.TestCase):
    """Defect 3: 1,000 calls from one address were all answered in 4.2 s."""

    def start(self, limits=""):
        self.server = Tuttid(limits=limits)
        self.addCleanup(lambda: self.assertEqual(self.server.stop(), 0, self.server.log_text()[-3000:]))

    def invite(self, phone, n, user="1000"):
        return request("INVITE", self.server.port, source=phone.address, user=user,
                       branch=f"z9hG4bKinv{n}", call_id=f"c{n}-{phone.address[0]}", body=SDP)

    def test_one_address_cannot_take_every_call_slot(self):
        # The shipped limits: 20 new requests a second per address, 50 at once.
        self.start()
        attacker, caller = Phone("127.0.0.1"), Phone("127.0.0.2")
        invites = 150  # fits the test's 100 RTP port pairs only if most are refused
        started = time.monotonic()
        for n in range(invites):
            attacker.send(self.server.port, self.invite(attacker, n))
        finals = attacker.finals(invites)
        elapsed = time.monotonic() - started
        codes = [status_of(r) for r in finals.values()]
        answered = codes.count(200)
        # At most the burst and what the rate refilled meanwhile.
        self.assertLessEqual(answered, 50 + 20 * elapsed + 1,
                             f"{answered} of {invites} calls from one address answered in "
                             f"{elapsed:.2f} s: {sorted(set(codes))}")
        refused = [r for r in finals.values() if status_of(r) == 503]
        self.assertEqual(len(refused), invites - answered)
        self.assertEqual(header(refused[0], "Retry-After"), "5")
        # Another address is served at once.
        caller.send(self.server.port, self.invite(caller, 0))
        self.assertEqual([status_of(r) for r in caller.finals(1).values()], [200])
        self.assertGreaterEqual(self.server.metric("tutti_sip_limited_total",
                                                   'limit="source_requests"'), invites - answered)
        attacker.close()
        caller.close()

    def test_calls_at_once_per_address_and_unlimited_sources(self):
        self.start("max_calls_per_source = 3\nunlimited_sources = [\"127.0.0.3/32\"]")
        phone, trunk = Phone("127.0.0.2"), Phone("127.0.0.3")
        for n in range(5):
            phone.send(self.server.port, self.invite(phone, n))
            trunk.send(self.server.port, self.invite(trunk, n))
        phone_codes = sorted(status_of(r) for r in phone.finals(5).values())
        self.assertEqual(phone_codes, [200, 200, 200, 503, 503])
        self.assertEqual(sorted(status_of(r) for r in trunk.finals(5).values()), [200] * 5)
        self.assertEqual(self.server.metric("tutti_sip_limited_total", 'limit="source_calls"'), 2)
        self.server.wait_for_log(r'msg="call limit reached".*from=127\.0\.0\.2.*limit=source_calls')
        phone.close()
        trunk.close()


class FloodWhileTalkingTest(TuttidTestCase):
    """Defect 4 and the flood test of issue 13: ~50,000 answered INFOs a
    second inside one call took tuttid from 1.95 to 4.9 GB, for good."""

    CALLERS = 20
    RATE = 4000        # requests a second, each flood
    SECONDS = 2.5      # of each flood

    def talk(self):
        """tutti-load places the callers from 127.0.0.2 (its own source
        address, within the per-source limits) and keeps them talking."""
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--local_address=127.0.0.2", f"--calls={self.CALLERS}", "--room_size=10",
                   "--codec=pcmu", "--cps=40", "--duration_s=60", "--turn_s=2", "--pause_s=1",
                   "--json", "--progress_s=0"]
        self.load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=self.ahead_of_others)

    @staticmethod
    def ahead_of_others(pid=0):
        """The callers' own stalls on a busy machine are not the server's,
        nor are a shared machine's: where allowed (root), tuttid (every
        thread) and tutti-load get a little more CPU weight than the rest,
        the flooders less. Measured with a busy loop beside the test:
        caller-side gaps reached 76 ms without (none over 33 ms with)."""
        try:
            if pid == 0:
                os.nice(-5)
            else:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    os.setpriority(os.PRIO_PROCESS, int(tid), -5)
        except PermissionError:
            pass

    def stop_talking(self):
        """Ends tutti-load early (SIGINT: every call hung up with BYE)."""
        self.load.send_signal(signal.SIGINT)
        out, err = self.load.communicate(timeout=60)
        return out, err

    def late_ticks(self):
        status, text = self.server.api("GET", "/metrics")
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("tutti_worker_late_ticks_total{"))

    def open_call(self, phone):
        """A call of the test's own (room 1000), answered and ACKed: the
        dialog the in-dialog flood goes into."""
        phone.send(self.server.port, request("INVITE", self.server.port, source=phone.address,
                                             branch="z9hG4bKown", call_id="own", body=SDP))
        ok = phone.final_for("own", "1 INVITE")
        self.assertEqual(status_of(ok), 200)
        to_tag = re.search(r";tag=([^;>\r]+)", header(ok, "To")).group(1)
        phone.send(self.server.port, request("ACK", self.server.port, source=phone.address,
                                             branch="z9hG4bKownack", call_id="own",
                                             to_tag=to_tag))
        return to_tag

    def test_floods_leave_talking_calls_and_memory_as_they_were(self):
        pid = self.server.proc.pid
        self.ahead_of_others(pid)
        self.talk()
        # The flooders (this process) yield to tuttid and the callers: the
        # gaps judged are the server's, not those of a starved tutti-load.
        os.nice(10)
        self.addCleanup(lambda: self.load.poll() is None and self.stop_talking())
        self.server.wait_for_metric("tutti_participants", at_least=self.CALLERS, timeout=20)
        phone = Phone("127.0.0.1")
        self.addCleanup(phone.close)
        to_tag = self.open_call(phone)
        self.server.wait_for_metric("tutti_participants", at_least=self.CALLERS + 1)
        # Settled: the media of every call flowing before the baseline.
        self.server.wait_for_metric("tutti_media_packets_in_total", 'worker="0"',
                                    at_least=self.CALLERS * 50)
        rss_before = resident_kb(pid)
        late_before = self.late_ticks()
        requests_before = self.server.metric("tutti_sip_requests_total", 'method="INFO"')
        count = int(self.RATE * self.SECONDS)

        # Out of dialog: INVITEs (to no room: 404 when admitted) and
        # OPTIONS from one address, then OPTIONS from eight.
        def invite_or_options(i, source):
            method = "INVITE" if i % 2 == 0 else "OPTIONS"
            return request(method, self.server.port, source=source, user="9999",
                           branch=f"z9hG4bKo{i}", call_id=f"o{i}", body=SDP if i % 2 == 0 else "")
        flood(self.server.port, ["127.0.0.1"], invite_or_options, count, self.RATE)
        flood(self.server.port, [f"127.0.0.{10 + k}" for k in range(8)],
              lambda i, source: request("OPTIONS", self.server.port, source=source, user="",
                                        branch=f"z9hG4bKs{i}", call_id=f"s{i}"),
              count, self.RATE)

        # In the dialog: INFO (a key press), re-INVITE and OPTIONS, each a
        # new transaction with a higher CSeq.
        def in_dialog(i, source):
            method = ("INFO", "INVITE", "OPTIONS")[i % 3]
            body = {"INFO": "Signal=5\r\nDuration=100\r\n", "INVITE": SDP, "OPTIONS": ""}[method]
            ctype = "application/dtmf-relay" if method == "INFO" else "application/sdp"
            return request(method, self.server.port, source=phone.address, branch=f"z9hG4bKd{i}",
                           call_id="own", cseq=10 + i, to_tag=to_tag, body=body,
                           content_type=ctype)
        flood(self.server.port, ["127.0.0.1"], in_dialog, count, self.RATE)

        # Every flood request was read (the last ones counted in /metrics)...
        self.server.wait_until("the in-dialog flood read", lambda: self.server.metric(
            "tutti_sip_requests_total", 'method="INFO"') >= requests_before + count // 3 * 0.9)
        # ...and the call's BYE still gets through.
        phone.send(self.server.port, request("BYE", self.server.port, source=phone.address,
                                             branch="z9hG4bKownbye", call_id="own",
                                             cseq=10 + count, to_tag=to_tag))
        self.assertEqual(status_of(phone.final_for("own", f"{10 + count} BYE")), 200)
        late_during = self.late_ticks() - late_before

        # Memory back within 10% (given back as soon as what the floods
        # took is released; on the old code it never was).
        if not SANITIZED:
            wait_until(f"resident memory back within 10% of {rss_before} kB",
                       lambda: resident_kb(pid) <= rss_before * 1.10, timeout=15,
                       describe=lambda: f": {resident_kb(pid)} kB")
        rss_after = resident_kb(pid)
        # A worker the floods reached would be late tick after tick (and its
        # callers would show gaps); one preemption of it on a shared 2-core
        # machine makes a single tick late with no flood at all, and did,
        # about one run in ten (CI, 2026-12-05). So: at most 2 of the ~400.
        if not SANITIZED:
            self.assertLessEqual(late_during, 2, "late ticks during the floods")
        limited = {label: self.server.metric("tutti_sip_limited_total", f'limit="{label}"')
                   for label in ("source_requests", "requests", "dialog_requests",
                                 "source_dialog_requests")}

        # The callers: hung up, and the server's record of each leg shows
        # no gap over 100 ms between the RTP packets it received.
        out, err = self.stop_talking()
        self.server.wait_until("the callers' records", lambda: len(
            [r for r in self.server.call_records() if r["room"].startswith("load-")]) >= self.CALLERS)
        gaps = sorted(r["max_gap_ms"] for r in self.server.call_records()
                      if r["room"].startswith("load-"))
        print(f"\nRSS {rss_before} -> {rss_after} kB; refused {limited}; "
              f"callers' largest gaps (ms) {gaps}", file=sys.stderr)
        self.assertLessEqual(max(gaps), 100, f"gaps {gaps}\n{err[-2000:]}")
        self.assertGreater(limited["dialog_requests"], 0)
        self.assertGreater(limited["source_requests"], 0)


if __name__ == "__main__":
    require_tuttid()
    unittest.main(verbosity=2)
