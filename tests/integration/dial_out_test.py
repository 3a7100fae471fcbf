"""Dial-outs from the control API against a real tuttid, SIPp as the
trunk's carrier (a UAS on a loopback port): POST /v1/rooms/<room>/calls,
the INVITE's shape, the dial_out events, the callee as a participant, the
kick's BYE, a busy callee's 486 in the event and the call record, and the
toll-fraud guard's refusal with nothing sent."""

import os
import socket
import subprocess
import unittest

from tutti_harness import (SCENARIOS, SIPP, EventStream, Tuttid, check_clean_exit, free_port)


def trunk_config(carrier_port):
    """One trunk to the carrier on 127.0.0.1:carrier_port: UK numbers, our
    caller ID, only 44 numbers may be dialled. Its calls would come from
    192.0.2.1 (nothing here sends from there), so room calls from loopback
    stay plain calls; no OPTIONS, so the carrier hears only the dial-outs."""
    return f"""
[[trunk]]
name = "carrier"
host = "127.0.0.1:{carrier_port}"
addresses = ["192.0.2.1/32"]
country_code = "44"
caller_id = "+44 20 7946 0000"
dial_out_patterns = ["44XXXXXXXXXX"]
options_interval_s = 0
"""


class DialOutTest(unittest.TestCase):

    def setUp(self):
        self.carrier_port = free_port()
        self.server = Tuttid(extra_config=trunk_config(self.carrier_port))

    def tearDown(self):
        check_clean_exit(self, self.server)

    def carrier(self, scenario):
        """SIPp answering on the trunk's port, in the background."""
        return subprocess.Popen(
            [SIPP, "-sf", os.path.join(SCENARIOS, scenario), "-i", "127.0.0.1",
             "-p", str(self.carrier_port), "-m", "1", "-nostdin", "-t", "u1",
             "-timeout", "30", "-timeout_error", "-trace_err",
             "-error_file", os.path.join(self.server.dir, f"{scenario}.err")],
            cwd=self.server.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finish(self, carrier, scenario):
        """Waits for SIPp's end: its scenario must have passed."""
        output, _ = carrier.communicate(timeout=60)
        errors = os.path.join(self.server.dir, f"{scenario}.err")
        detail = open(errors).read()[-3000:] if os.path.exists(errors) else ""
        self.assertEqual(carrier.returncode, 0, output[-3000:] + detail
                         + "\n--- tuttid log:\n" + self.server.log_text()[-4000:])

    def test_an_answered_dial_out_joins_the_room_and_a_kick_ends_it(self):
        events = EventStream(self.server)
        carrier = self.carrier("carrier_answers.xml")
        status, body = self.server.api("POST", "/v1/rooms/1000/calls",
                                       {"to": "020 7946 0123", "name": "Reception"})
        self.assertEqual(status, 201, body)
        call = body["id"]
        self.server.wait_until("the callee in room 1000", lambda: any(
            p["id"] == call for p in self.server.participants("1000").values()))
        states = [e[1]["state"] for e in events.events if e[0] == "dial_out"]
        self.assertEqual(states[:3], ["calling", "ringing", "answered"], events.events)
        status, _ = self.server.api("DELETE", f"/v1/rooms/1000/participants/{call}")
        self.assertEqual(status, 204)
        self.finish(carrier, "carrier_answers.xml")  # SIPp got our BYE and answered it
        self.server.wait_until("its call record", lambda: any(
            r.get("direction") == "out" for r in self.server.call_records()))
        record = [r for r in self.server.call_records() if r.get("direction") == "out"][0]
        self.assertEqual(record["trunk"], "carrier")
        self.assertEqual(record["called_number"], "442079460123")
        self.assertEqual(record["caller_number"], "442079460000")
        self.assertEqual(record["requested_by"], "api")
        self.assertEqual(record["final_status"], 200)

    def test_a_busy_callee_is_an_event_and_a_record_with_its_code(self):
        events = EventStream(self.server)
        carrier = self.carrier("carrier_busy.xml")
        status, body = self.server.api("POST", "/v1/rooms/1000/calls", {"to": "+442079460123"})
        self.assertEqual(status, 201, body)
        self.finish(carrier, "carrier_busy.xml")
        self.server.wait_until("the failed event", lambda: any(
            e[0] == "dial_out" and e[1]["state"] == "failed" for e in events.events))
        failed = [e[1] for e in events.events if e[0] == "dial_out" and e[1]["state"] == "failed"]
        self.assertEqual(failed[0]["status"], 486)
        self.assertEqual(failed[0]["reason"], "Busy Here")
        self.server.wait_until("its call record", lambda: any(
            r.get("final_status") == 486 for r in self.server.call_records()))

    def test_a_number_outside_the_patterns_is_refused_with_nothing_sent(self):
        carrier = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        carrier.bind(("127.0.0.1", self.carrier_port))
        carrier.setblocking(False)
        try:
            for target in ("+1 212 555 0100", "sip:+442079460123@evil.example"):
                status, body = self.server.api("POST", "/v1/rooms/1000/calls", {"to": target})
                self.assertEqual(status, 403, body)
                self.assertIn("error", body)
            status, body = self.server.api("POST", "/v1/rooms/nowhere/calls", {"to": "+442079460123"})
            self.assertEqual(status, 404, body)
            status, body = self.server.api("POST", "/v1/rooms/1000/calls", {"number": "1"})
            self.assertEqual(status, 400, body)
            # DialOut refuses on the control thread before it answers: by
            # the time the API has answered, anything sent would be here.
            self.server.wait_for_log_count(r'msg="dial-out refused"', 2)
            with self.assertRaises(BlockingIOError):
                carrier.recv(65536)
        finally:
            carrier.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
