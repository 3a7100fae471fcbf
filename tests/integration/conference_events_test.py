"""The conference event package (RFC 4575 over RFC 6665) against a real
tuttid over real sockets: a subscriber of our own (UDP, standard library)
SUBSCRIBEs to a room and follows its roster in NOTIFYs while callers join,
talk, are muted through the control API and leave, then unsubscribes; and
what is refused: an unknown room (404), a PIN room from a stranger (403),
another package (489), too short an Expires (423), one subscription past
the bound (503). Every NOTIFY body must parse as XML, and its version
must go up by one.

Every wait is for a condition up to a generous deadline, never for a time.
"""

import os
import re
import socket
import sys
import threading
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from media_rules_test import Caller  # noqa: E402
from tutti_harness import CallersTestCase  # noqa: E402

NS = {"ci": "urn:ietf:params:xml:ns:conference-info",
      "tutti": "urn:tutti:params:xml:ns:conference-info"}
ROOMS = """
[[room]]
name = "1000"

[[room]]
name = "2000"
pin = "4321"
"""
EVENTS = """
[conference_events]
max_subscriptions_per_source = 3
min_expires_s = 60
talking_interval_ms = 200
"""


def header(text, name):
    head = text.split("\r\n\r\n", 1)[0]
    m = re.search(rf"^{name}\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
    return m.group(1).strip() if m else None


class Notify:
    """One NOTIFY as received: its state header and parsed body."""

    def __init__(self, text):
        self.text = text
        self.state = header(text, "Subscription-State")
        body = text.split("\r\n\r\n", 1)[1]
        self.root = ET.fromstring(body)  # fails the test if it is not XML
        self.version = int(self.root.get("version"))

    def endpoints(self):
        """{user entity: (endpoint status, media status, talking)} of the roster."""
        out = {}
        for user in self.root.findall("ci:users/ci:user", NS):
            for endpoint in user.findall("ci:endpoint", NS):
                media = endpoint.find("ci:media", NS)
                out[user.get("entity")] = (
                    endpoint.findtext("ci:status", namespaces=NS),
                    media.findtext("ci:status", namespaces=NS) if media is not None else None,
                    media.findtext("tutti:talking", namespaces=NS) if media is not None else None)
        return out

    def user_count(self):
        return int(self.root.findtext("ci:conference-state/ci:user-count", namespaces=NS))


class Subscriber:
    """A SIP subscriber over UDP: SUBSCRIBEs (retransmitted until answered),
    answers every NOTIFY 200 and keeps them."""

    def __init__(self, port, name="watcher"):
        self.target = ("127.0.0.1", port)
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        self.from_tag = uuid.uuid4().hex[:10]
        self.to_tag = None
        self.cseq = 0
        self.notifies = []
        self.responses = []
        self.trace = []
        self.cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode(errors="replace")
            self.trace.append("<<< " + text)
            if text.startswith("SIP/2.0 "):
                with self.cond:
                    self.responses.append(text)
                    self.cond.notify_all()
                continue
            if text.startswith("NOTIFY "):
                lines = ["SIP/2.0 200 OK"]
                for line in text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
                    if re.match(r"(?i)(via|from|to|call-id|cseq)\s*:", line):
                        lines.append(line)
                self.sock.sendto(("\r\n".join(lines + ["Content-Length: 0"]) + "\r\n\r\n").encode(),
                                 source)
                with self.cond:
                    if not any(n.text == text for n in self.notifies):  # a retransmission
                        self.notifies.append(Notify(text))
                    self.cond.notify_all()

    def subscribe(self, room, expires=600, event="conference", timeout=10):
        """SUBSCRIBE (a new one, or inside the dialog once there is one);
        returns the final status code."""
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        to = f"<sip:{room}@127.0.0.1:{self.target[1]}>" + (f";tag={self.to_tag}"
                                                          if self.to_tag else "")
        request = "\r\n".join([
            f"SUBSCRIBE sip:{room}@127.0.0.1:{self.target[1]} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.name}@127.0.0.1>;tag={self.from_tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} SUBSCRIBE",
            f"Contact: <sip:{self.name}@127.0.0.1:{self.port}>",
            f"Event: {event}",
            f"Expires: {expires}",
            "Accept: application/conference-info+xml",
            "Content-Length: 0", "", ""])
        deadline = time.monotonic() + timeout
        next_send = 0
        with self.cond:
            while True:
                for text in self.responses:
                    if header(text, "CSeq") == f"{self.cseq} SUBSCRIBE":
                        code = int(text.split(" ", 2)[1])
                        if code >= 200:
                            if code < 300 and not self.to_tag:
                                self.to_tag = re.search(r";\s*tag=([^;>\s]+)",
                                                        header(text, "To")).group(1)
                            self.last_response = text
                            return code
                now = time.monotonic()
                if now >= deadline:
                    raise AssertionError(f"no answer to SUBSCRIBE\n" + self.trace_text())
                if now >= next_send:
                    self.trace.append(">>> " + request)
                    self.sock.sendto(request.encode(), self.target)
                    next_send = now + 0.5
                self.cond.wait(0.05)

    def wait_notify(self, what, predicate, timeout=15):
        """The first NOTIFY (in order) for which predicate is true."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for notify in self.notifies:
                    if predicate(notify):
                        return notify
                if time.monotonic() >= deadline:
                    states = [(n.version, n.state, n.endpoints()) for n in self.notifies]
                    raise AssertionError(f"no NOTIFY where {what}; got {states}")
                self.cond.wait(0.05)

    def trace_text(self):
        return "\n".join(self.trace)[-6000:]

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class ConferenceEventsTest(CallersTestCase):

    caller_class = Caller

    def subscriber(self, name="watcher"):
        subscriber = Subscriber(self.server.port, name)
        self.addCleanup(subscriber.close)
        return subscriber

    def test_roster_follows_joins_mutes_talking_and_leaves(self):
        self.start(rooms=ROOMS, extra_config=EVENTS)
        watcher = self.subscriber()
        self.assertEqual(watcher.subscribe("1000", expires=600), 200)
        self.assertEqual(header(watcher.last_response, "Expires"), "600")
        first = watcher.wait_notify("the room is empty", lambda n: n.user_count() == 0)
        self.assertEqual(first.state, "active;expires=600")
        self.assertEqual(header(first.text, "Event"), "conference")

        alice = self.dial("1000", "alice", tone_hz=500)
        bob = self.dial("1000", "bob")
        watcher.wait_notify("alice and bob are connected", lambda n: n.endpoints() == {
            "sip:alice@127.0.0.1": ("connected", "sendrecv", "false"),
            "sip:bob@127.0.0.1": ("connected", "sendrecv", "false")})

        pid = self.server.participants("1000")["sip:bob@127.0.0.1"]["id"]
        status, body = self.server.api("POST", f"/v1/rooms/1000/participants/{pid}/mute", raw=b"")
        self.assertEqual((status, body["muted"]), (200, True))
        watcher.wait_notify("bob is muted",
                            lambda n: n.endpoints().get("sip:bob@127.0.0.1", ("",) * 3)[1]
                            == "recvonly")

        alice.start_streaming()
        watcher.wait_notify("alice talks",
                            lambda n: n.endpoints().get("sip:alice@127.0.0.1", ("",) * 3)[2]
                            == "true")
        alice.stop_streaming()
        self.assertEqual(alice.bye(), 200)
        left = watcher.wait_notify("alice has left", lambda n: n.endpoints().get(
            "sip:alice@127.0.0.1", ("",))[0] == "disconnected")
        self.assertEqual(left.user_count(), 1)

        # Expires: 0 ends it with a terminated NOTIFY of the state as it is.
        self.assertEqual(watcher.subscribe("1000", expires=0), 200)
        last = watcher.wait_notify("the subscription is terminated",
                                   lambda n: n.state.startswith("terminated"))
        self.assertEqual(last.state, "terminated;reason=timeout")
        self.assertEqual(last.endpoints(), {"sip:bob@127.0.0.1": ("connected", "recvonly", "false")})
        versions = [n.version for n in watcher.notifies]
        self.assertEqual(versions, list(range(versions[0], versions[0] + len(versions))))
        # Gone: a refresh in its dialog finds nothing.
        self.assertEqual(watcher.subscribe("1000", expires=600), 481)

    def test_refusals_and_bounds(self):
        self.start(rooms=ROOMS, extra_config=EVENTS)
        self.assertEqual(self.subscriber().subscribe("no-such-room"), 404)
        self.assertEqual(self.subscriber().subscribe("2000"), 403)  # a PIN room, a stranger
        refused = self.subscriber()
        self.assertEqual(refused.subscribe("1000", event="presence"), 489)
        self.assertEqual(header(refused.last_response, "Allow-Events"), "conference")
        short = self.subscriber()
        self.assertEqual(short.subscribe("1000", expires=30), 423)
        self.assertEqual(header(short.last_response, "Min-Expires"), "60")
        # Three from this address are taken, the fourth refused.
        watchers = [self.subscriber(f"w{n}") for n in range(4)]
        self.assertEqual([w.subscribe("1000") for w in watchers], [200, 200, 200, 503])
        self.assertIsNotNone(header(watchers[3].last_response, "Retry-After"))
        # Stopping ends each with a terminated NOTIFY, and tuttid still exits 0.
        self.assertEqual(self.server.stop(), 0)
        for w in watchers[:3]:
            w.wait_notify("stopping is said", lambda n: n.state.startswith("terminated;reason="
                                                                            "probation"))


if __name__ == "__main__":
    unittest.main()
