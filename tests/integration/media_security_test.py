"""Issue 13, defects 1 and 2, against a real tuttid over real sockets: a
stranger who sends RTP (silence, and RFC 4733 `*0`) to a live call's port
neither takes its media, nor mutes it, nor ends it; media stops going to an
SDP address that never answers; an offer that aims media at a multicast,
broadcast or unspecified address is refused (488), and a re-INVITE with
0.0.0.0 is still hold.

Every wait is for a condition up to a generous deadline, never for a time.
"""

import os
import re
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from media_rules_test import HEARD_DBFS, TONE_HZ, Caller  # noqa: E402
from tutti_harness import CallersTestCase  # noqa: E402

EVENT_PT = 101


class KeyedCaller(Caller):
    """A caller that also offers telephone-event (so RFC 4733 keys are agreed
    for its leg) and may put any address in its c= line."""

    def __init__(self, *args, connection="127.0.0.1", **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection

    def _offer(self, connection=None):
        offer = super()._offer()
        offer = offer.replace("RTP/AVP 0\r\n", f"RTP/AVP 0 {EVENT_PT}\r\n")
        offer = offer.replace("a=rtpmap:0 PCMU/8000\r\n",
                              f"a=rtpmap:0 PCMU/8000\r\na=rtpmap:{EVENT_PT} telephone-event/8000\r\n"
                              f"a=fmtp:{EVENT_PT} 0-15\r\n")
        return offer.replace("c=IN IP4 127.0.0.1\r\n", f"c=IN IP4 {connection or self.connection}\r\n")

    def response_to(self, code):
        """The last response with this status code, as received."""
        for text in reversed(self.trace):
            if text.startswith(f"<<< SIP/2.0 {code} "):
                return text[4:]
        return None

    def reinvite(self, connection):
        """A re-INVITE offering `connection`; ACKs the answer and returns
        (status code, response)."""
        self.cseq += 1
        branch = "z9hG4bKre" + self.call_id[:8] + str(self.cseq)
        request = self._request("INVITE", self.cseq, self._offer(connection),
                                uri=self.remote_target, branch=branch)
        hop = self._next_hop()
        self._send_sip(request, hop)
        code, response = self._wait_final(self.cseq, "INVITE", 10, request, hop)
        # A 2xx's ACK is a new transaction; a failure's belongs to the INVITE's.
        ack_branch = None if code < 300 else branch
        self._send_sip(self._request("ACK", self.cseq, uri=self.remote_target, branch=ack_branch),
                       hop)
        return code, response


class Stranger:
    """Someone else on the network: sends RTP to a call's media port from a
    socket of its own and counts what comes back."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.received = 0
        self.sent = 0
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ssrc = 0x5EC0_0001
        self.sequence = 1000
        self.timestamp = 160_000

    def _read(self):
        while not self._stop.is_set():
            try:
                self.sock.recv(2048)
                self.received += 1
            except socket.timeout:
                continue
            except OSError:
                return

    def _send(self, to, payload_type, payload, timestamp=None):
        header = struct.pack("!BBHII", 0x80, payload_type, self.sequence,
                             self.timestamp if timestamp is None else timestamp, self.ssrc)
        self.sock.sendto(header + payload, to)
        self.sent += 1
        self.sequence = (self.sequence + 1) & 0xFFFF

    def attack(self, to, seconds):
        """`seconds` of µ-law silence at 50 packets a second, in real time,
        with the keys `*` and `0` (RFC 4733, each event's end sent three
        times as phones do) in the middle."""
        count = int(seconds * 50)
        start = time.monotonic()
        for n in range(count):
            self._send(to, 0, b"\xff" * 160)
            self.timestamp += 160
            if n in (count // 3, 2 * count // 3):
                event = 10 if n == count // 3 else 0
                for _ in range(3):
                    self._send(to, EVENT_PT, struct.pack("!BBH", event, 0x80 | 10, 800),
                               timestamp=self.timestamp)
            delay = start + (n + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing, as a phone's clock does

    def close(self):
        self._stop.set()
        self._reader.join(timeout=2)
        self.sock.close()


class MediaSecurityTest(CallersTestCase):

    caller_class = KeyedCaller

    def stranger(self):
        stranger = Stranger()
        self.addCleanup(stranger.close)
        return stranger

    def test_a_stranger_sending_to_a_call_port_is_neither_heard_nor_answered(self):
        self.start()
        victim = self.dial("1000", "victim", tone_hz=TONE_HZ)
        listener = self.dial("1000", "listener")
        self.assertIn(f"a=rtpmap:{EVENT_PT} telephone-event/8000", victim.answer_sdp)
        victim.start_streaming()
        listener.start_streaming()
        self.server.wait_until("the listener never hears the victim",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)

        stranger = self.stranger()
        stranger.attack(victim.remote_media, seconds=3)
        # The mix keeps flowing for another half second (unless the call
        # ended): what the stranger sent before was read by then (one socket,
        # in order).
        received = victim.packets_received()
        self.server.wait_until("the victim stopped getting the mix",
                               lambda: victim.closed_by_peer
                               or victim.packets_received() >= received + 25)
        self.assertEqual(stranger.received, 0, "the stranger was sent the victim's mix")
        self.assertFalse(victim.closed_by_peer, "the stranger's *0 ended the victim's call:\n"
                         + victim.trace_text())
        self.assertIn("sip:victim@127.0.0.1", self.server.participants("1000"))
        self.assertGreater(listener.recent_tone_dbfs(TONE_HZ), HEARD_DBFS,
                           "the stranger's silence muted the victim")
        self.server.wait_for_metric("tutti_rtp_foreign_dropped_total", 'worker="0"',
                                    at_least=stranger.sent)
        victim.stop_streaming()
        self.assertEqual(victim.bye(), 200)
        record = self.server.wait_until(
            "no call record for the victim",
            lambda: next((r for r in self.server.call_records()
                          if r["call_id"] == victim.call_id), None))
        self.assertEqual(record["why"], "caller hung up")
        self.assertEqual(record["foreign_packets"], stranger.sent)

    def test_nothing_goes_to_an_sdp_address_that_never_answers(self):
        self.start()
        # The SDP names someone else's port (a victim of reflection), and
        # nothing ever comes from there: no RTP, no RTCP.
        victim = self.stranger()
        self.dial("1000", "reflector", advertised_rtp_port=victim.sock.getsockname()[1])
        # A caller of its own, whose mix is the clock: 50 packets a second.
        witness = self.dial("1000", "witness")
        witness.start_streaming()
        self.server.wait_until("nothing sent to the SDP address at first",
                               lambda: victim.received > 0)
        # 5 s ([media] unverified_send_s) of 50 packets a second, then nothing.
        self.server.wait_until("the witness got 7 s of mix",
                               lambda: witness.packets_received() >= 7 * 50, timeout=15)
        received = victim.received
        self.assertLessEqual(received, 5 * 50 + 2, "still sending to a silent SDP address")
        self.server.wait_for_metric("tutti_rtp_send_withheld_total", 'worker="0"', at_least=50)
        witnessed = witness.packets_received()
        self.server.wait_until("the witness got another second of mix",
                               lambda: witness.packets_received() >= witnessed + 50)
        self.assertEqual(victim.received, received, "still sending to a silent SDP address")

    def test_offers_for_multicast_broadcast_and_unspecified_addresses_are_refused(self):
        self.start()
        warnings = {"224.0.0.1": '330 tutti "multicast connection address 224.0.0.1"',
                    "255.255.255.255": '301 tutti "broadcast connection address 255.255.255.255"',
                    "0.0.0.0": '301 tutti "unspecified connection address 0.0.0.0 (hold) '
                               'in an initial offer"'}
        for address, warning in warnings.items():
            caller = self.caller("1000", "to-" + address, connection=address)
            self.assertEqual(caller.invite_refused(), 488, address)
            response = caller.response_to(488)
            self.assertRegex(response, rf"(?m)^Warning: {re.escape(warning)}\r$", address)
        self.assertEqual(self.server.metric("tutti_calls"), 0)
        self.assertEqual(self.server.metric("tutti_calls_answered_total"), 0)

    def test_a_reinvite_to_multicast_is_refused_and_to_zero_is_hold(self):
        self.start()
        caller = self.dial("1000", "holder")
        caller.start_streaming()
        self.server.wait_until("no media back", lambda: caller.packets_received() >= 10)
        code, _ = caller.reinvite("224.0.0.1")
        self.assertEqual(code, 488)
        # The call stays as it was: still in the room, still getting media.
        received = caller.packets_received()
        self.server.wait_until("media stopped after a refused re-INVITE",
                               lambda: caller.packets_received() >= received + 25)
        self.assertIn("sip:holder@127.0.0.1", self.server.participants("1000"))
        # RFC 2543 hold: answered, as before.
        code, response = caller.reinvite("0.0.0.0")
        self.assertEqual(code, 200)
        self.assertRegex(response, r"(?m)^a=recvonly\r$")
        self.server.wait_for_log(r'msg="call held"')


if __name__ == "__main__":
    unittest.main(verbosity=2)
