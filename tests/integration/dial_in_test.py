"""The dial-in IVR, PINs, moderators and presence over real SIP: a Python
caller sends its keys as SIP INFO (application/dtmf-relay), so every step is
deterministic; what tuttid did is read from its log, its API and the BYEs it
sends. (tests/e2e/dial_in_test.py does the same with baresip and RFC 4733.)
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import LossyRtpCaller, dominant_tones  # noqa: E402
from tutti_harness import CallersTestCase  # noqa: E402

ROOMS = """
[ivr]
number = "conference"
max_attempts = 3
digit_timeout_s = 1
max_pin_failures_per_source = 4

[[room]]
name = "4000"
pin = "1234"
moderator_pin = "9999"

[[room]]
name = "5000"
moderator_pin = "55"
wait_for_moderator = true
end_when_moderator_leaves = true
music_when_alone = true

[[room]]
name = "6000"
moderator_pin = "66"
announce_count = true
"""


class DtmfCaller(LossyRtpCaller):
    """The harness's SIP caller, with keys sent as SIP INFO."""

    def __init__(self, port, user, name):
        super().__init__(port, user=user, loss=0.0, name=name)
        self._content_type = None

    def hang_up_and_close(self):
        """At the end of a test: BYE if still in a call (its answer not
        required), then close the sockets."""
        if not self.closed_by_peer and self.to_tag:
            try:
                self.bye(timeout=3)
            except AssertionError:
                pass
        self.close()

    def _request(self, method, cseq, body="", uri=None, branch=None):
        text = super()._request(method, cseq, body, uri, branch)
        if self._content_type:
            text = text.replace("Content-Type: application/sdp", f"Content-Type: "
                                f"{self._content_type}")
        return text

    def keys(self, digits):
        """One INFO per key, each answered before the next."""
        for digit in digits:
            self.cseq += 1
            self._content_type = "application/dtmf-relay"
            request = self._request("INFO", self.cseq, f"Signal={digit}\r\nDuration=160\r\n",
                                    uri=self.remote_target)
            self._content_type = None
            self._send_sip(request, self._next_hop())
            code, _ = self._wait_final(self.cseq, "INFO", 5, request, self._next_hop())
            if code != 200:
                raise AssertionError(f"{self.name}: INFO answered {code}\n" + self.trace_text())

    def wait_bye(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.closed_by_peer:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no BYE within {timeout}s\n"
                                     + self.trace_text())
            time.sleep(0.05)

    def bye_reason(self):
        for text in self.trace:
            if text.startswith("<<< BYE "):
                match = re.search(r'^Reason:.*text="([^"]*)"', text, re.MULTILINE)
                return match.group(1) if match else None
        return None


class DialInTest(CallersTestCase):

    caller_class = DtmfCaller

    def setUp(self):
        # Two workers: a caller's lobby and its room are each placed by load
        # (issue 20), so they may live on different ones and joining moves
        # the participant across threads (admission_test makes sure of it).
        super().setUp()
        self.start(rooms=ROOMS, media_extra="workers = 2")

    def test_ivr_number_room_and_pin_join_the_room(self):
        caller = self.dial("conference", "ann")
        # The IVR speaks at once: the welcome prompt arrives as audio.
        self.server.wait_until("no prompt audio", lambda: any(
            abs(x) > 1000 for x in caller.received_audio()), timeout=3)
        self.assertEqual(self.server.participants("4000"), {})  # in the IVR, not in the room
        self.server.wait_for_log(r'prompt=welcome')
        caller.keys("4000#")
        self.server.wait_for_log(r'prompt=enter_pin')
        caller.keys("1234#")
        self.server.wait_for_log(r'msg="dial-in accepted" call_id=\S+ room=4000 moderator=false')
        ann = self.server.wait_until(
            "ann never listed in room 4000",
            lambda: self.server.participants("4000").get("sip:ann@127.0.0.1"))
        self.assertFalse(ann["moderator"])
        self.assertEqual(ann["room"], "4000")

        # Dialing the room directly asks only for the PIN; the moderator PIN
        # makes a moderator.
        moderator = self.dial("4000", "mod")
        moderator.keys("9999#")
        mod = self.server.wait_until(
            "mod never listed",
            lambda: self.server.participants("4000").get("sip:mod@127.0.0.1"))
        self.assertTrue(mod["moderator"])
        # They hear each other: ann's tone reaches the moderator through the
        # room's conference, on the other worker than ann's lobby was.
        caller.stream(1.5, tone_hz=600)
        heard = moderator.received_audio()[-8000:]
        self.assertGreater(dominant_tones(heard, 8000, [600])[600], 0.5,
                           "the moderator does not hear ann\n" + self.server.log_text()[-3000:])

        # Moderator keys: lock the room (*2), mute all but moderators (#1),
        # remove the last participant who joined (*3).
        moderator.keys("*2")
        self.server.wait_until("room not locked",
                               lambda: self.server.api("GET", "/v1/rooms/4000")[1]["locked"])
        late = self.dial("conference", "late")
        late.keys("4000#1234#")
        late.wait_bye(10)
        self.assertEqual(late.bye_reason(), "room locked")
        self.assertNotIn("sip:late@127.0.0.1", self.server.participants("4000"))
        moderator.keys("#1")
        self.server.wait_until(
            "ann not muted by the moderator",
            lambda: self.server.participants("4000")["sip:ann@127.0.0.1"]["muted"])
        self.assertFalse(self.server.participants("4000")["sip:mod@127.0.0.1"]["muted"])
        moderator.keys("*3")
        caller.wait_bye(10)
        self.assertEqual(caller.bye_reason(), "removed by moderator")
        self.assertEqual(list(self.server.participants("4000")), ["sip:mod@127.0.0.1"])

    def test_wrong_pins_end_the_call_and_lock_the_source_out(self):
        caller = self.dial("4000", "guesser")
        for attempt in range(3):
            caller.keys("1111#")
        caller.wait_bye(10)
        self.assertEqual(caller.bye_reason(), "wrong PIN")
        self.assertEqual(len(re.findall(r'msg="dial-in entry refused".*why="wrong PIN"',
                                        self.server.log_text())), 2)
        # One more wrong PIN from this address reaches its limit (4): locked
        # out, and a later call from it is refused even with the right PIN.
        again = self.dial("conference", "guesser2")
        again.keys("4000#")
        again.keys("0000#")
        again.wait_bye(10)
        self.assertEqual(again.bye_reason(), "wrong PIN, lockout started")
        third = self.dial("conference", "guesser3")
        third.keys("4000#")
        third.wait_bye(10)
        self.assertEqual(third.bye_reason(), "source locked out")
        self.assertEqual(self.server.participants("4000"), {})
        records = self.server.call_records()
        self.assertIn("wrong PIN", [r["why"] for r in records], records)
        status, metrics = self.server.api("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('tutti_dial_in_total{outcome="started"} 3\n', metrics)
        self.assertIn('tutti_dial_in_total{outcome="failed"} 3\n', metrics)
        self.assertIn("tutti_dial_in_wrong_entries_total 5\n", metrics)
        self.assertIn("tutti_pin_lockouts_total 1\n", metrics)

    def test_unknown_rooms_and_silence_use_up_the_attempts(self):
        caller = self.dial("conference", "lost")
        caller.keys("4242#")  # no such room
        self.server.wait_for_log(r'msg="dial-in entry refused".*why="no such conference"')
        caller.keys("*")  # interrupts the prompt; then nothing for digit_timeout_s
        self.server.wait_for_log(r'why="no conference number entered"', timeout=5)
        caller.keys("*")
        caller.wait_bye(10)
        self.assertEqual(caller.bye_reason(), "no conference number entered")

    def test_waiting_for_the_moderator_and_ending_when_it_leaves(self):
        guest = self.dial("5000", "guest")
        guest.keys("#")  # no participant PIN: a bare # joins as participant
        waiting = self.server.wait_until(
            "guest not waiting",
            lambda: self.server.participants("5000").get("sip:guest@127.0.0.1"))
        self.assertTrue(waiting["waiting"], waiting)
        # Waiting, it is told so and hears music.
        self.server.wait_for_log(r'msg="playing prompt" call_id=\S+ prompt=wait_moderator')
        self.server.wait_for_log(r'msg="playing music"', timeout=8)
        host = self.dial("5000", "host")
        host.keys("55#")
        self.server.wait_until(
            "guest still waiting after the moderator joined",
            lambda: not self.server.participants("5000")["sip:guest@127.0.0.1"]["waiting"])
        self.assertTrue(self.server.participants("5000")["sip:host@127.0.0.1"]["moderator"])
        self.assertEqual(host.bye(), 200)
        guest.wait_bye(10)
        self.assertEqual(guest.bye_reason(), "moderator left")
        self.assertIn("prompt=conference_ended", self.server.log_text())

    def test_participant_count_is_spoken(self):
        first = self.dial("6000", "one")
        first.keys("#")
        self.server.wait_until("one not in 6000", lambda: self.server.participants("6000"))
        second = self.dial("6000", "two")
        second.keys("#")
        self.server.wait_until("two not in 6000",
                               lambda: len(self.server.participants("6000")) == 2)
        # "There are two participants in this conference", to the second
        # caller as it joins and to the first on *8.
        sequence = r'prompt=there_are\n.*prompt=n2\n.*prompt=participants_in_conference'
        self.server.wait_for_log(r'(?s)call_id=' + re.escape(second.call_id) + r'.*' + sequence,
                                 timeout=8)
        first.keys("*8")
        self.server.wait_for_log(r'(?s)action=participant_count.*' + sequence, timeout=8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
