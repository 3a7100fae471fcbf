"""SIP trunks end to end with real parts: Kamailio (kamailio_carrier.cfg) is
the carrier, a registrar with digest auth and a proxy, on 127.0.0.2; a
baresip "phone" registers to it by number; tuttid has the carrier as a
[[trunk]] (register = true, digest credentials, the carrier's address as the
trunk's), a [[dial_plan]] rule mapping a DID to a room, and dial_out_patterns.

  - tuttid registers to the carrier: GET /v1/trunks says registered and the
    carrier's usrloc holds tuttid's contact;
  - a dial-out from the API rings the phone through the carrier (tuttid
    answering the carrier's 407) and, answered, the phone hears the room
    (another participant's tone) and the room hears it;
  - the phone calls the DID through the carrier and lands in the mapped
    room, listed with its number;
  - a call to a number from an address no trunk has (SIPp on 127.0.0.5)
    gets 403;
  - a dial-out to a number outside the trunk's patterns is refused by the API
    and no INVITE leaves tuttid (the carrier logs every request it gets;
    a dial-out that is allowed, sent after it, is there alone);
  - REFER: a participant adds the phone by number (RFC 4579). (A blind
    transfer of the REFER's sender into another room is not tested here:
    baresip, as RFC 5589 has it, hangs up once the NOTIFY says 200, which
    ends the very call tuttid moved.)

Needs TUTTID (the binary; ctest sets it), baresip and kamailio (Debian
packages). TUTTI_E2E_VERBOSE=1 prints the tone timelines.
"""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
import kamailio_harness as kh  # noqa: E402
from tutti_harness import SIPP, free_port  # noqa: E402

ROOM = "trunkroom"             # not a number: callers on no trunk may call it by name
DID = "442079460100"           # the room's phone number (canonical: E.164 without '+')
CARRIER_DIDS = "^44207946"     # the numbers the carrier delivers to tuttid
PHONE = "15551230001"          # the baresip phone's number at the carrier
PHONE_PASSWORD = "phone-secret-1"
TRUNK_USER = "tutti"
TRUNK_PASSWORD = "trunk-secret-2"
ALLOWED = "1555123XXXX"        # dial_out_patterns: the phone and its neighbours
UNREGISTERED = "15551239999"   # allowed, but no phone: the carrier answers 404
FORBIDDEN = "+449001234567"    # a premium-rate number no pattern allows
STRANGER = "127.0.0.5"         # an address no trunk has


def trunk_config(carrier):
    """tuttid's TOML for the carrier as its trunk, and the room."""
    return f"""
[[trunk]]
name = "carrier"
host = "{carrier.address}"
addresses = ["{carrier.host}"]
username = "{TRUNK_USER}"
password = "{TRUNK_PASSWORD}"
register = true
register_expires_s = 120
options_interval_s = 5
caller_id = "+{DID}"
codecs = ["PCMU", "PCMA"]
dial_out_patterns = ["{ALLOWED}"]
max_dial_outs = 4
max_dial_outs_per_hour = 20

[[dial_plan]]
match = "{DID}"
room = "{ROOM}"
"""


ROOMS = f"""
[[room]]
name = "{ROOM}"
codecs = ["PCMU", "PCMA"]
announce_joins = false
music_when_alone = false
"""


class TrunkTest(ah.TuttidCallTest):
    WORKDIR_PREFIX = "tutti-trunk-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        kh.require_kamailio()

    def setUp(self):
        super().setUp()
        tutti_port = free_port()
        self.carrier = kh.Kamailio(self.work.name,
                                   {PHONE: PHONE_PASSWORD, TRUNK_USER: TRUNK_PASSWORD},
                                   did_regex=CARRIER_DIDS, tutti=f"127.0.0.1:{tutti_port}")
        self.addCleanup(self.carrier.stop)
        self.start_tuttid(port=tutti_port, rooms=ROOMS, extra_config=trunk_config(self.carrier))
        self.room_uri = f"sip:{ROOM}@127.0.0.1:{tutti_port}"

    def describe(self, client, rate, samples, tones):
        return super().describe(client, rate, samples, tones) + "\n" + self.carrier.log_tail(3000)

    # --- helpers
    def trunk_status(self):
        """The carrier's entry of GET /v1/trunks."""
        status, body = self.server.api("GET", "/v1/trunks")
        self.assertEqual(status, 200, body)
        trunks = body["trunks"] if isinstance(body, dict) else body
        entry = [t for t in trunks if t.get("name") == "carrier"]
        self.assertEqual(len(entry), 1, body)
        self.assertNotIn(TRUNK_PASSWORD, str(body), "GET /v1/trunks shows the password")
        return entry[0]

    def wait_registered(self):
        """Until tuttid says the trunk is registered; returns its entry."""
        def registered():
            entry = self.trunk_status()
            return entry["registration"]["state"] == "registered" and entry

        return self.server.wait_until("the trunk registered (GET /v1/trunks)", registered,
                                      timeout=15)

    def phone(self, tone_hz, **kwargs):
        phone = kh.Phone(PHONE, self.work.name, self.carrier, PHONE_PASSWORD, tone_hz=tone_hz,
                         **kwargs)
        self.addCleanup(phone.kill)
        return phone

    def dial_out(self, to, expect=201):
        status, body = self.server.api("POST", f"/v1/rooms/{ROOM}/calls", {"to": to})
        self.assertEqual(status, expect, f"POST /v1/rooms/{ROOM}/calls to {to}: {body}")
        return body

    def invites_from_tuttid(self):
        return self.carrier.requests_from("INVITE", self.server.port)

    # --- tests
    def test_tuttid_registers_to_the_carrier(self):
        """REGISTER with digest: registered in the API and in the carrier's usrloc."""
        entry = self.wait_registered()
        contacts = self.carrier.wait_for_contact(TRUNK_USER)
        self.assertTrue(any(f"127.0.0.1:{self.server.port}" in c for c in contacts),
                        f"the carrier holds {contacts} for {TRUNK_USER}, not tuttid's port "
                        f"{self.server.port}\n{self.carrier.log_tail()}")
        # It answered the carrier's challenge: a REGISTER without and one with credentials.
        self.assertGreaterEqual(len(self.carrier.carrier_lines(
            f"REGISTER of {TRUNK_USER} challenged")), 1, self.carrier.log_tail())
        self.assertGreaterEqual(len(self.carrier.carrier_lines(f"registered {TRUNK_USER} at")),
                                1, self.carrier.log_tail())
        self.assertEqual(entry["registration"]["last_status"], 200, entry)
        self.assertTrue(entry["up"], entry)
        self.assertEqual(self.server.metric("tutti_trunk_registered", 'trunk="carrier"'), 1)

    def test_dial_out_rings_the_phone_which_hears_the_room(self):
        """POST /v1/rooms/{room}/calls: the INVITE goes through the carrier
        (407 answered) to the registered phone; answered, it hears the room."""
        tones = {"member": 700, PHONE: 1100}
        member = self.tone_client("member", tones["member"])
        phone = self.phone(tones[PHONE])
        member.start(self.room_uri, hold_seconds=16)
        member.wait_event("CALL_ESTABLISHED", timeout=5)
        phone.start(hold_seconds=13)
        self.carrier.wait_for_contact(PHONE)
        self.wait_registered()
        self.dial_out(f"+{PHONE}")
        answered = phone.wait_event("CALL_ESTABLISHED", timeout=10)
        self.server.wait_until("the phone listed in the room",
                               lambda: len(self.server.participants(ROOM)) == 2)
        invites = self.invites_from_tuttid()
        self.assertGreaterEqual(len(invites), 2, "tuttid's INVITE was not challenged and sent "
                                "again with credentials\n" + self.carrier.log_tail())
        self.assertTrue(all(PHONE in uri for uri in invites), invites)
        phone.wait(timeout=30)
        member.wait(timeout=30)
        middle, window_s = self.together([member, phone], last_in=answered)
        self.check_hears(phone, middle, window_s, tones, expected=["member"])
        self.check_hears(member, middle, window_s, tones, expected=[PHONE])

    def test_phone_calling_the_did_lands_in_the_room(self):
        """The phone dials the DID at the carrier: the carrier relays it to
        tuttid (its trunk), the dial plan puts it in the room, with its number."""
        phone = self.phone(900)
        phone.start(hold_seconds=12)
        self.carrier.wait_for_contact(PHONE)
        phone.command("dial", f"sip:+{DID}@{self.carrier.address}")
        phone.wait_event("CALL_ESTABLISHED", timeout=10)
        listed = self.server.wait_until("the phone in the room",
                                        lambda: list(self.server.participants(ROOM).values()))
        self.assertEqual(len(listed), 1, listed)
        self.assertEqual(listed[0].get("caller_number"), PHONE, listed)
        self.assertTrue(self.carrier.carrier_lines(f"DID {DID} to tutti"),
                        self.carrier.log_tail())
        phone.command("hangup")
        phone.wait_event("CALL_CLOSED", timeout=10)
        records = self.server.wait_until("the call's record", self.server.call_records)
        self.assertEqual((records[0].get("trunk"), records[0].get("called_number"),
                          records[0].get("caller_number")), ("carrier", DID, PHONE), records)

    def test_stranger_calling_a_number_gets_403(self):
        """An INVITE to the DID from an address no trunk has: 403."""
        local_port = free_port()
        work = os.path.join(self.work.name, "stranger")
        os.makedirs(work)
        cmd = [SIPP, "-sf", os.path.join(HERE, "sipp", "invite_number_refused.xml"),
               f"127.0.0.1:{self.server.port}", "-i", STRANGER, "-p", str(local_port),
               "-s", f"+{DID}", "-m", "1", "-nostdin", "-timeout", "20", "-timeout_error",
               "-trace_msg", "-message_file", os.path.join(work, "msg")]
        result = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=60)
        trace = ""
        if os.path.exists(os.path.join(work, "msg")):
            with open(os.path.join(work, "msg")) as f:
                trace = f.read()[-4000:]
        self.assertEqual(result.returncode, 0, f"{result.stdout[-2000:]}\n{trace}\n"
                         + self.server.log_text()[-3000:])
        self.assertEqual(self.server.participants(ROOM), {})
        self.server.wait_for_metric("tutti_trunk_inbound_refused_total", 'reason="stranger"')

    def test_dial_out_outside_the_patterns_is_refused_and_nothing_sent(self):
        """A number no pattern allows: the API refuses it and no INVITE
        leaves tuttid; an allowed number asked next is the only one sent."""
        refused = self.dial_out(FORBIDDEN, expect=403)
        self.assertIn("error", refused)
        self.assertEqual(self.server.metric("tutti_dial_outs_refused_total"), 1)
        self.assertEqual(self.server.metric("tutti_dial_outs_started_total"), 0)
        # Positive evidence that tuttid's INVITEs reach the carrier's log:
        # an allowed number (no phone has it: the carrier answers 404).
        self.dial_out(f"+{UNREGISTERED}")
        kh.wait_until("the allowed dial-out at the carrier",
                      lambda: self.carrier.carrier_lines(f"{UNREGISTERED} is no registered phone"),
                      timeout=10, describe=lambda: "\n" + self.carrier.log_tail())
        invites = self.invites_from_tuttid()
        self.assertTrue(invites, self.carrier.log_tail())
        forbidden_digits = re.sub(r"\D", "", FORBIDDEN)
        self.assertEqual([uri for uri in invites if forbidden_digits in uri], [],
                         self.carrier.log_tail())
        self.assertTrue(all(UNREGISTERED in uri for uri in invites), invites)
        self.server.wait_for_metric("tutti_dial_outs_failed_total")
        self.assertEqual(self.server.metric("tutti_dial_outs_started_total"), 1)

    def test_refer_adds_the_phone_to_the_room(self):
        """A participant's REFER to a number (baresip's transfer command)
        adds the phone to its room through the carrier (RFC 4579)."""
        self.wait_registered()
        member = self.tone_client("member", 700)
        phone = self.phone(1100)
        member.start(self.room_uri, hold_seconds=20)
        member.wait_event("CALL_ESTABLISHED", timeout=5)
        phone.start(hold_seconds=20)
        self.carrier.wait_for_contact(PHONE)
        member.command("transfer", f"sip:+{PHONE}@{self.carrier.address};user=phone")
        phone.wait_event("CALL_ESTABLISHED", timeout=10)
        added = self.server.wait_until(
            "the phone added to the room",
            lambda: [p for p in self.server.participants(ROOM).values()
                     if p.get("caller_number") == PHONE or PHONE in p.get("from", "")])
        self.assertEqual(len(added), 1, added)
        self.assertTrue(any(PHONE in uri for uri in self.invites_from_tuttid()),
                        self.carrier.log_tail())
        self.server.wait_for_metric("tutti_dial_outs_refers_total")
        records = self.server.wait_until(
            "the member's call recorded (baresip hangs up once the NOTIFY says 200)",
            lambda: [r for r in self.server.call_records() if r.get("room") == ROOM])
        self.assertEqual(records[0].get("why"), "caller hung up", records)

if __name__ == "__main__":
    unittest.main(verbosity=2)
