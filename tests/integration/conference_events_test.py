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

import re
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from media_rules_test import Caller  # puts tests/e2e on the path
from audio_harness import LossyRtpCaller  # after media_rules_test: on the path then
from tutti_harness import CallersTestCase

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


header = LossyRtpCaller._header


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


class Subscriber(LossyRtpCaller):
    """A SIP subscriber over UDP: the harness's caller (its SIP socket,
    retransmissions, answers to requests), SUBSCRIBing instead of calling;
    it answers every NOTIFY 200 and keeps them."""

    def __init__(self, port, room, name="watcher"):
        super().__init__(port, user=room, loss=0.0, name=name)
        self.notifies = []
        self.last_response = None
        self.cond = threading.Condition()
        self._sip_thread = threading.Thread(target=self._sip_loop, daemon=True)
        self._sip_thread.start()

    def _answer_request(self, text, source):
        if not text.startswith("NOTIFY "):
            return super()._answer_request(text, source)
        with self.cond:
            if not any(n.text == text for n in self.notifies):  # not a retransmission
                self.notifies.append(Notify(text))
            self.cond.notify_all()
        # Answered 200 as the caller answers an OPTIONS (its CSeq line kept).
        super()._answer_request("OPTIONS" + text[len("NOTIFY"):], source)

    def subscribe(self, expires=600, event="conference", timeout=10):
        """SUBSCRIBE (a new one, or inside the dialog once there is one);
        returns the final status code."""
        self.cseq += 1
        request = self._request("SUBSCRIBE", self.cseq, uri=self.remote_target).replace(
            "Content-Length:", f"Event: {event}\r\nExpires: {expires}\r\n"
            "Accept: application/conference-info+xml\r\nContent-Length:")
        self._send_sip(request)
        code, self.last_response = self._wait_final(self.cseq, "SUBSCRIBE", timeout, request)
        if code < 300 and not self.to_tag:
            self.to_tag = re.search(r";\s*tag=([^;>\s]+)", header(self.last_response, "To")).group(1)
            self.remote_target = re.search(r"<([^>]+)>", header(self.last_response, "Contact")).group(1)
        return code

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


class ConferenceEventsTest(CallersTestCase):

    caller_class = Caller

    def subscriber(self, room, name="watcher"):
        subscriber = Subscriber(self.server.port, room, name)
        self.addCleanup(subscriber.close)
        return subscriber

    def test_roster_follows_joins_mutes_talking_and_leaves(self):
        self.start(rooms=ROOMS, extra_config=EVENTS)
        watcher = self.subscriber("1000")
        self.assertEqual(watcher.subscribe(expires=600), 200)
        self.assertEqual(header(watcher.last_response, "Expires"), "600")
        first = watcher.wait_notify("the room is empty", lambda n: n.user_count() == 0)
        self.assertEqual(first.state, "active;expires=600")
        self.assertEqual(header(first.text, "Event"), "conference")
        self.assertEqual(self.server.metric("tutti_conference_subscriptions"), 1)

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
        self.assertEqual(watcher.subscribe(expires=0), 200)
        last = watcher.wait_notify("the subscription is terminated",
                                   lambda n: n.state.startswith("terminated"))
        self.assertEqual(last.state, "terminated;reason=timeout")
        self.assertEqual(last.endpoints(), {"sip:bob@127.0.0.1": ("connected", "recvonly", "false")})
        versions = [n.version for n in watcher.notifies]
        self.assertEqual(versions, list(range(versions[0], versions[0] + len(versions))))
        # Gone: a refresh in its dialog finds nothing.
        self.assertEqual(watcher.subscribe(expires=600), 481)
        self.assertEqual(self.server.metric("tutti_conference_subscriptions"), 0)

    def test_refusals_and_bounds(self):
        self.start(rooms=ROOMS, extra_config=EVENTS)
        self.assertEqual(self.subscriber("no-such-room").subscribe(), 404)
        self.assertEqual(self.subscriber("2000").subscribe(), 403)  # a PIN room, a stranger
        refused = self.subscriber("1000")
        self.assertEqual(refused.subscribe(event="presence"), 489)
        self.assertEqual(header(refused.last_response, "Allow-Events"), "conference")
        short = self.subscriber("1000")
        self.assertEqual(short.subscribe(expires=30), 423)
        self.assertEqual(header(short.last_response, "Min-Expires"), "60")
        # Three from this address are taken, the fourth refused.
        watchers = [self.subscriber("1000", f"w{n}") for n in range(4)]
        self.assertEqual([w.subscribe() for w in watchers], [200, 200, 200, 503])
        self.assertIsNotNone(header(watchers[3].last_response, "Retry-After"))
        # Stopping ends each with a terminated NOTIFY, and tuttid still exits 0.
        self.assertEqual(self.server.stop(), 0)
        for w in watchers[:3]:
            w.wait_notify("stopping is said", lambda n: n.state.startswith("terminated;reason="
                                                                            "probation"))


if __name__ == "__main__":
    unittest.main()
