"""Issue 13, defects 8 and 9, over real SIP: PIN guessing from many
addresses must not lock a room's owners out (its answers slow down
instead), and the keys typed to the IVR (a moderator's PIN included) must
never reach the event stream or the log.

Callers come from several loopback addresses (127.0.0.2, .3, ...: Linux
routes all of 127/8 to lo), so tuttid sees several sources.
"""

import json
import os
import re
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dial_in_test import DtmfCaller  # noqa: E402
from tutti_harness import CallersTestCase, EventStream  # noqa: E402

PIN = "97531"
MODERATOR_PIN = "86420"

ROOMS = f"""
[ivr]
number = "conference"
max_attempts = 3
digit_timeout_s = 5
max_pin_failures_per_source = 2
max_pin_failures_per_room = 3
pin_room_delay_ms = 300
pin_room_max_delay_s = 1

[[room]]
name = "4000"
pin = "{PIN}"
moderator_pin = "{MODERATOR_PIN}"
"""


class SourceCaller(DtmfCaller):
    """A DtmfCaller from a loopback address of its own, which can also send
    its keys as RFC 4733 telephone-events in the RTP stream."""

    TE_PT = 101

    def __init__(self, port, user, name, address="127.0.0.1"):
        super().__init__(port, user, name)
        self.address = address
        for attr in ("sip", "rtp"):
            old = getattr(self, attr)
            old.close()
            fresh = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            fresh.bind((address, 0))
            setattr(self, attr, fresh)
        self.rtp.settimeout(0.05)
        self.sip_port = self.sip.getsockname()[1]
        self.rtp_port = self.rtp.getsockname()[1]
        self.answer_te_pt = None

    def _request(self, method, cseq, body="", uri=None, branch=None):
        text = super()._request(method, cseq, body, uri, branch)
        # Via and Contact name the address the caller really sends from.
        return text.replace(f"127.0.0.1:{self.sip_port}", f"{self.address}:{self.sip_port}")

    def _offer(self):
        return (super()._offer()
                .replace("RTP/AVP 0\r\n", f"RTP/AVP 0 {self.TE_PT}\r\n")
                .replace(f"IN IP4 127.0.0.1", f"IN IP4 {self.address}")
                + f"a=rtpmap:{self.TE_PT} telephone-event/8000\r\na=fmtp:{self.TE_PT} 0-15\r\n")

    def invite(self, timeout=10):
        body = super().invite(timeout)
        m = re.search(r"^a=rtpmap:(\d+) telephone-event/8000", body, re.MULTILINE)
        self.answer_te_pt = int(m.group(1)) if m else None
        return body

    def rfc4733_keys(self, digits):
        """Each key as an RFC 4733 event: three packets, then three end
        packets, on one timestamp, 20 ms apart, from the caller's RTP socket."""
        if self.answer_te_pt is None:
            raise AssertionError(f"{self.name}: telephone-event not in the answer\n"
                                 + self.answer_sdp)
        codes = {str(d): d for d in range(10)}
        codes.update({"*": 10, "#": 11})
        for digit in digits:
            for n in range(6):
                end = n >= 3
                duration = 160 * (min(n, 3) + 1)
                marker = 0x80 if n == 0 else 0
                header = struct.pack("!BBHII", 0x80, marker | self.answer_te_pt, self.sequence,
                                     self.timestamp, self.ssrc)
                payload = struct.pack("!BBH", codes[digit], (0x80 if end else 0) | 10, duration)
                self.rtp.sendto(header + payload, self.remote_media)
                self.sequence = (self.sequence + 1) & 0xFFFF
                time.sleep(0.02)
            self.timestamp = (self.timestamp + 1600) & 0xFFFFFFFF


class DialInSecurityTest(CallersTestCase):

    caller_class = SourceCaller

    def setUp(self):
        super().setUp()
        self.start(rooms=ROOMS)

    def dial(self, user, name, address="127.0.0.1"):
        return super().dial(user, name, address=address)

    def test_pin_digits_never_reach_the_event_stream_or_the_log(self):
        stream = EventStream(self.server)
        caller = self.dial("conference", "keys")
        self.server.wait_for_log(r"prompt=welcome")
        caller.rfc4733_keys("4000#")
        self.server.wait_for_log(r"prompt=enter_pin")
        caller.rfc4733_keys(MODERATOR_PIN + "#")
        self.server.wait_until("the caller never joined room 4000",
                               lambda: self.server.participants("4000").get("sip:keys@127.0.0.1"))
        # In the room keys are controls, and may be published: *1 mutes.
        caller.rfc4733_keys("*1")
        self.server.wait_until("*1 never muted the caller", lambda: self.server.participants(
            "4000")["sip:keys@127.0.0.1"]["muted"])
        self.server.wait_until("the muted event never reached the stream",
                               lambda: "muted" in [kind for kind, _ in stream.events])

        dtmf = [data for kind, data in stream.events if kind == "dtmf"]
        # Every key was seen: 5 + 6 typed to the IVR, masked, then the 2 in the room.
        self.assertEqual([d.get("digit") for d in dtmf], [None] * 11 + ["*", "1"], dtmf)
        self.assertTrue(all(d.get("masked") for d in dtmf[:11]), dtmf)
        self.assertTrue(all(d["via"] == "rfc4733" for d in dtmf), dtmf)
        self.assertNotIn(MODERATOR_PIN, json.dumps(stream.events))

        # The log is at debug level (the harness's config): the IVR's keys are
        # there, masked, and never with their digit.
        log = self.server.log_text()
        dtmf_lines = [line for line in log.splitlines() if 'msg=dtmf' in line]
        self.assertEqual(len(dtmf_lines), 13, "\n".join(dtmf_lines))
        self.assertEqual([re.search(r'digit="?([^"\s]+)', line).group(1) for line in dtmf_lines
                          if "digit=" in line], ["*", "1"], "\n".join(dtmf_lines))
        self.assertNotIn(MODERATOR_PIN, log)
        caller.bye()
        # The call record has no keys either.
        self.server.wait_until("no call record", lambda: self.server.call_records())
        self.assertNotIn(MODERATOR_PIN, json.dumps(self.server.call_records()))

    def test_guessing_from_many_addresses_slows_the_room_but_lets_its_owner_in(self):
        # Four addresses, two wrong PINs each: each reaches its own limit (2)
        # and is locked out; the room passes its limit (3) on the way.
        for n in range(2, 6):
            guesser = self.dial("4000", f"guesser{n}", f"127.0.0.{n}")
            guesser.keys("11111#")
            # Keys are ignored while an answer is held: the next entry waits for it.
            self.server.wait_for_log(r'msg="dial-in entry refused" call_id='
                                     + re.escape(guesser.call_id))
            guesser.keys("22222#")
            guesser.wait_bye(10)
            self.assertEqual(guesser.bye_reason(), "wrong PIN, lockout started")
        log = self.server.log_text()
        self.assertIn('msg="room PIN guessing, answers slowed" room=4000', log)
        # Guessing got slower: the answers were held, longer each time up to
        # the ceiling (pin_room_delay_ms 300 per failure past 3, at most 1 s).
        holds = [int(h) for h in re.findall(r'msg="dial-in answer held".*hold_ms=(\d+)', log)]
        self.assertEqual(holds, [300, 600, 900, 1000, 1000], log[-3000:])
        self.assertEqual(holds, sorted(holds))
        self.assertEqual(self.server.metric("tutti_pin_answers_held_total"), 5)
        self.assertEqual(self.server.metric("tutti_pin_rooms_slowed_total"), 1)
        self.assertEqual(self.server.metric("tutti_pin_lockouts_total"), 4)

        # The owner, from a fresh address, with the right PIN, gets in (after
        # its answer is held like any other).
        owner = self.dial("4000", "owner", "127.0.0.9")
        owner.keys(PIN + "#")
        self.server.wait_until("the owner was not let into room 4000",
                               lambda: self.server.participants("4000").get("sip:owner@127.0.0.1"))
        self.assertEqual(self.server.metric("tutti_pin_answers_held_total"), 6)
        # A locked-out address is still refused, even with the right PIN.
        again = self.dial("4000", "again", "127.0.0.3")
        again.keys(PIN + "#")
        again.wait_bye(10)
        self.assertEqual(again.bye_reason(), "source locked out")
        self.assertNotIn("sip:again@127.0.0.1", self.server.participants("4000"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
