"""Admission by media load (issue 20) over real SIP and RTP: a tuttid with
one media worker and a configured capacity (max_participants_per_worker)
is offered more calls than it takes by tutti-load; exactly the excess gets
503 with Retry-After while the admitted calls hear every turn with no frame
missing, and once they left new calls are admitted again. Then a caller
leaving the IVR for a room whose worker is full hears "room full" and is
hung up on ([media] full_worker = "refuse"), or joins ("admit", reloaded).

[media] admit_load = 0 in both: the worker's measured load on a shared
test machine says nothing; the configured capacity is deterministic.
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dial_in_test  # noqa: E402  (its DtmfCaller: keys as SIP INFO)
from tutti_harness import CallersTestCase, Tuttid, check_clean_exit  # noqa: E402

TUTTI_LOAD = os.environ.get("TUTTI_LOAD", "tutti-load")
CAPACITY = 12
ROOM_SIZE = 5  # the third room is cut short: its 2 admitted callers talk to each other
EXCESS = 8


class OfferedBeyondCapacityTest(unittest.TestCase):

    def setUp(self):
        self.server = Tuttid(
            media_extra=f"workers = 1\nadmit_load = 0\nmax_participants_per_worker = {CAPACITY}",
            limits='retry_after_s = 7\nunlimited_sources = ["127.0.0.0/8"]')

    def tearDown(self):
        check_clean_exit(self, self.server)

    def load(self, calls, expect_refusals, prefix):
        """One tutti-load run (G.711, rooms of ROOM_SIZE): exit status and
        its JSON summary."""
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--local_address=127.0.0.2", f"--calls={calls}", f"--room_size={ROOM_SIZE}",
                   "--codec=pcmu", "--cps=20", "--duration_s=9", "--turn_s=2", "--pause_s=1",
                   f"--room_prefix={prefix}", f"--expect_refusals={str(expect_refusals).lower()}",
                   "--json", "--progress_s=0"]
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        try:
            summary = json.loads(run.stdout)
        except json.JSONDecodeError:
            self.fail(f"tutti-load printed no JSON (exit {run.returncode}):\n{run.stdout}\n"
                      f"{run.stderr}\n" + self.server.log_text()[-3000:])
        return run.returncode, summary

    def assert_admitted_clean(self, summary, admitted):
        calls, media, hearing = summary["calls"], summary["media"], summary["hearing"]
        self.assertEqual(calls["answered"], admitted, summary)
        self.assertEqual(calls["ended_by_server"], 0, summary)
        self.assertEqual(media["participants"], admitted, summary)
        self.assertEqual(media["frames_missing"], 0, summary)
        self.assertGreater(hearing["turns_judged"], 0, summary)
        self.assertEqual(hearing["turns_heard"], hearing["turns_judged"], summary)
        self.assertEqual(hearing["pauses_noisy"], 0, summary)
        self.assertEqual(hearing["participants_hearing_all"], admitted, summary)

    def test_the_excess_is_refused_and_the_admitted_keep_clean_audio(self):
        status, summary = self.load(CAPACITY + EXCESS, True, "over-")
        calls = summary["calls"]
        self.assertEqual(calls["refused_503"], EXCESS, summary)
        self.assertEqual(calls["refused_503_retry_after"], EXCESS, summary)
        self.assertEqual(calls["failed"], EXCESS, summary)  # nothing but the 503s
        self.assert_admitted_clean(summary, CAPACITY)
        self.assertEqual(status, 0, summary)
        self.assertEqual(self.server.metric("tutti_sip_limited_total", 'limit="media_load"'),
                         EXCESS)
        log = self.server.log_text()
        self.assertIn('msg="media capacity reached"', log)

        # Those calls left: the worker's places are free again, all of them.
        status, summary = self.load(CAPACITY, False, "again-")
        self.assertEqual(summary["calls"]["refused_503"], 0, summary)
        self.assert_admitted_clean(summary, CAPACITY)
        self.assertEqual(status, 0, summary)


ROOMS = """
[ivr]
number = "conference"
max_attempts = 3
digit_timeout_s = 5

[[room]]
name = "7000"
"""


class FullWorkerFromTheIvrTest(CallersTestCase):

    caller_class = dial_in_test.DtmfCaller

    def setUp(self):
        super().setUp()
        # Two workers of two places each: room 7000's two callers fill
        # worker 0; an IVR caller's lobby goes to worker 1, which has room.
        self.start(rooms=ROOMS, limits="retry_after_s = 7",
                   media_extra='workers = 2\nadmit_load = 0\nmax_participants_per_worker = 2\n'
                               'full_worker = "refuse"')

    def test_refused_then_admitted_after_a_reload(self):
        self.dial("7000", "a")
        self.dial("7000", "b")
        self.server.wait_until("a and b not both in 7000",
                               lambda: len(self.server.participants("7000")) == 2)
        # A direct call to the room: its worker is full (the other is not).
        direct = self.caller("7000", "direct")
        with self.assertRaisesRegex(AssertionError, "INVITE answered 503"):
            direct.invite()
        self.assertRegex(direct.trace_text(), r"SIP/2.0 503 Room Media Worker Full\r?\n")
        self.assertRegex(direct.trace_text(), r"Retry-After: 7\r?\n")

        late = self.dial("conference", "late")
        late.keys("7000#")
        late.wait_bye(15)
        self.assertEqual(late.bye_reason(), "media worker full")
        self.assertNotIn("sip:late@127.0.0.1", self.server.participants("7000"))
        self.assertEqual(self.server.metric("tutti_sip_limited_total", 'limit="worker_full"'), 2)

        # full_worker is live: over-commit from now on.
        self.server.rewrite_config(lambda text: text.replace('full_worker = "refuse"',
                                                             'full_worker = "admit"'))
        self.assertIn('msg="configuration reloaded"', self.server.reload())
        self.assertRegex(self.server.log_text(), r"\[media\] full_worker")
        joiner = self.dial("conference", "joiner")
        joiner.keys("7000#")
        self.server.wait_until(
            "joiner never in 7000",
            lambda: "sip:joiner@127.0.0.1" in self.server.participants("7000"))
        self.assertEqual(len(self.server.participants("7000")), 3)


if __name__ == "__main__":
    unittest.main()
