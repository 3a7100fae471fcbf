"""Live reload (issue 19): tuttid reads its config file again on SIGHUP and on
POST /v1/reload. A change the running parts can take is taken without ending
a call; a file that does not load, or a change only a restart can make,
changes nothing and says why. Callers send their keys as SIP INFO
(dial_in_test's DtmfCaller), so each step is deterministic.
"""

import os
import re
import socket
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import ulaw2lin  # noqa: E402
from dial_in_test import DtmfCaller  # noqa: E402
import sip_auth_test  # noqa: E402
from tutti_harness import (CallersTestCase, expect_closed_at_once, free_port,  # noqa: E402
                           invite_request, sdp_offer, udp_exchange)

ROOMS = """
[ivr]
number = "conference"
max_attempts = 3
digit_timeout_s = 3
max_pin_failures_per_source = 20

[[room]]
name = "4000"
pin = "1234"

[[room]]
name = "5000"

[[room]]
name = "6000"
"""


def set_pin(old, new):
    return lambda text: text.replace(f'pin = "{old}"', f'pin = "{new}"')


class ReloadTest(CallersTestCase):

    caller_class = DtmfCaller

    def setUp(self):
        super().setUp()
        self.start(rooms=ROOMS)

    def join(self, room, name, pin=None):
        """A caller in `room` (with its PIN), listed by the API."""
        caller = self.dial(room, name)
        if pin is not None:
            caller.keys(pin + "#")
        self.server.wait_until(f"{name} never listed in room {room}",
                               lambda: f"sip:{name}@127.0.0.1" in self.server.participants(room))
        return caller

    def refused_pin(self, caller, pin):
        """Types a wrong `pin`; waits for tuttid to refuse it."""
        before = len(re.findall(r'why="wrong PIN"', self.server.log_text()))
        caller.keys(pin + "#")
        self.server.wait_for_log_count(r'why="wrong PIN"', before + 1)

    def hears(self, listener, talker, since):
        """`talker` sends a second of tone; `listener` must receive it (RTP
        arriving after `since` with sound in it)."""
        talker.stream(1.0)
        self.server.wait_until(f"{listener.name} hears nothing of {talker.name}", lambda: any(
            max((abs(x) for x in ulaw2lin(payload)), default=0) > 1000
            for arrived, _, _, _, payload in list(listener.received) if arrived > since))

    def test_a_pin_changed_by_sighup_keeps_the_call_and_asks_the_next_caller_the_new_one(self):
        ann = self.join("4000", "ann", pin="1234")
        self.server.rewrite_config(set_pin("1234", "5678"))
        line = self.server.reload()
        self.assertIn('msg="configuration reloaded"', line)
        self.assertIn("[[room]] 4000 pin", line)
        reloaded = time.monotonic()
        # ann is still in, and still gets the room's media.
        self.assertIn("sip:ann@127.0.0.1", self.server.participants("4000"))
        self.assertFalse(ann.closed_by_peer)
        # The old PIN no longer opens the room; the new one does.
        bob = self.dial("4000", "bob")
        self.refused_pin(bob, "1234")
        bob.keys("5678#")
        self.server.wait_until("bob never listed with the new PIN", lambda: self.server.participants(
            "4000").get("sip:bob@127.0.0.1"))
        self.hears(ann, bob, reloaded)
        self.assertEqual(set(self.server.participants("4000")),
                         {"sip:ann@127.0.0.1", "sip:bob@127.0.0.1"})
        self.assertEqual(self.server.metric("tutti_config_reloads_total", 'result="ok"'), 1)

    def test_a_broken_file_changes_nothing(self):
        self.server.rewrite_config(lambda text: set_pin("1234", "5678")(text).replace(
            "[ivr]", "[ivr\n"))
        line = self.server.reload()
        self.assertIn('msg="configuration not reloaded: nothing changed"', line)
        self.assertIn("result=invalid", line)
        self.assertIn("tutti.toml:", line)  # the error names the file and line
        # A bad value: the old settings still run, the old PIN still works.
        self.server.rewrite_config(lambda text: text.replace("[ivr\n", "[ivr]").replace(
            'pin = "5678"', 'pin = "56x8"'))
        line = self.server.reload()
        self.assertIn("result=invalid", line)
        self.assertIn("pin", line)
        self.join("4000", "ann", pin="1234")
        self.assertEqual(self.server.metric("tutti_config_reloads_total", 'result="invalid"'), 2)
        self.assertEqual(self.server.metric("tutti_config_reloads_total", 'result="ok"'), 0)

    def test_a_change_that_needs_a_restart_is_refused_naming_each_key(self):
        port = free_port()
        self.server.rewrite_config(lambda text: text.replace(
            "[media]", "[media]\nworkers = 2").replace(
            f"port = {self.server.port}", f"port = {port}", 1).replace(
            'name = "5000"', 'name = "5000"\nmax_participants = 7'))
        status, body = self.server.api("POST", "/v1/reload")
        self.assertEqual(status, 409, body)
        message = body["error"]["message"]
        self.assertIn("[media] workers: needs a restart", message)
        self.assertIn("[sip] port: needs a restart", message)
        self.assertEqual(sorted(body["error"]["needs_restart"]), ["[media] workers", "[sip] port"])
        # Nothing changed: the room kept its settings, SIP its port.
        self.assertEqual(self.server.api("GET", "/v1/rooms/5000")[1]["max_participants"], 0)
        self.join("5000", "ann")
        self.assertEqual(
            self.server.metric("tutti_config_reloads_total", 'result="needs_restart"'), 1)

    def test_an_api_reload_changes_rooms_as_get_shows_them(self):
        started = self.server.metric("tutti_config_last_reload_success_timestamp_seconds")
        self.assertGreater(started, 0)
        self.server.rewrite_config(lambda text: text.replace(
            'name = "5000"', 'name = "5000"\nmax_participants = 7\nannounce_joins = true') +
            '\n[[room]]\nname = "7000"\n')
        status, body = self.server.api("POST", "/v1/reload")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["rooms"], {"added": ["7000"], "updated": ["5000"], "removed": []})
        self.assertIn("[[room]] 5000 max_participants", body["changed"])
        self.assertIn("[[room]] 5000 announce_joins", body["changed"])
        room = self.server.api("GET", "/v1/rooms/5000")[1]
        self.assertEqual((room["max_participants"], room["announce_joins"]), (7, True))
        self.assertEqual(self.server.api("GET", "/v1/rooms/7000")[0], 200)
        self.join("7000", "ann")
        self.assertGreaterEqual(
            self.server.metric("tutti_config_last_reload_success_timestamp_seconds"), started)

    def test_sighup_reopens_the_call_record_file(self):
        ann = self.join("5000", "ann")
        ann.bye()
        self.server.wait_until("no record of ann", lambda: len(self.server.call_records()) == 1)
        # logrotate: the file is moved away, then tuttid is told.
        rotated = self.server.records_path + ".1"
        os.rename(self.server.records_path, rotated)
        self.server.reload()
        bob = self.join("5000", "bob")
        bob.bye()
        self.server.wait_until("no record of bob in a new file at the path",
                               lambda: len(self.server.call_records()) == 1)
        self.assertIn("bob", self.server.call_records()[0]["from"])
        with open(rotated) as f:
            self.assertEqual(len(f.read().splitlines()), 1)

    def test_a_room_removed_from_the_file_ends_its_calls_only(self):
        ann = self.join("5000", "ann")
        bob = self.join("6000", "bob")
        self.server.rewrite_config(lambda text: text.replace('[[room]]\nname = "6000"\n', ""))
        status, body = self.server.api("POST", "/v1/reload")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["rooms"]["removed"], ["6000"])
        self.assertEqual(body["calls_ended"], 1)
        bob.wait_bye(10)
        self.assertEqual(bob.bye_reason(), "room removed")
        self.assertEqual(self.server.api("GET", "/v1/rooms/6000")[0], 404)
        self.assertIn("sip:ann@127.0.0.1", self.server.participants("5000"))
        self.assertFalse(ann.closed_by_peer)

    def test_max_calls_lowered_refuses_the_next_call_and_keeps_those_up(self):
        ann = self.join("5000", "ann")
        self.server.rewrite_config(lambda text: text.replace("[limits]", "[limits]\nmax_calls = 1"))
        self.assertIn("[limits] max_calls", self.server.reload())
        bob = self.caller("5000", "bob")
        with self.assertRaisesRegex(AssertionError, "INVITE answered 503"):
            bob.invite()
        self.assertIn("sip:ann@127.0.0.1", self.server.participants("5000"))
        self.assertFalse(ann.closed_by_peer)

    def test_a_deny_list_added_by_reload_drops_the_source_until_removed(self):
        # An OPTIONS from the address, answered (404: no room 1000 here) or not.
        probe = sip_auth_test.SourceListTest().probe
        self.assertTrue(probe(self.server, "127.0.0.5", timeout=5).startswith("SIP/2.0 "))
        self.server.rewrite_config(lambda text: text.replace(
            "[sip]\n", '[sip]\ndeny = ["127.0.0.5"]\n', 1))
        self.assertIn("[sip] deny", self.server.reload())
        self.assertIsNone(probe(self.server, "127.0.0.5"))
        self.server.wait_for_metric("tutti_sip_denied_total", at_least=1)
        # Its TCP connections are closed on accept; the others are served.
        expect_closed_at_once(self.server.port, "127.0.0.5")
        self.assertTrue(probe(self.server, "127.0.0.1", timeout=5).startswith("SIP/2.0 "))
        # The list emptied again: everyone back.
        self.server.rewrite_config(lambda text: text.replace('deny = ["127.0.0.5"]\n', ""))
        self.assertIn("[sip] deny", self.server.reload())
        self.assertTrue(probe(self.server, "127.0.0.5", timeout=5).startswith("SIP/2.0 "))

    def test_digest_users_added_by_reload_authenticate_and_nonces_outlive_a_reload(self):
        self.server.rewrite_config(lambda text: text.replace(
            'name = "5000"', 'name = "5000"\nauth = true') +
            '\n[[user]]\nname = "carol"\npassword = "first-pass"\n')
        line = self.server.reload()
        self.assertIn("[[user]] carol", line)
        self.assertIn("[[room]] 5000 auth", line)
        carol = sip_auth_test.DigestCaller(self.server.port, "5000", "carol")
        self.addCleanup(carol.close)
        code, challenge = carol.attempt()
        self.assertEqual(code, 401, challenge)
        # Another user added and carol's password changed between the
        # challenge and her answer: the nonce stays good, the new password counts.
        self.server.rewrite_config(lambda text: text.replace("first-pass", "second-pass") +
                                   '\n[[user]]\nname = "dave"\npassword = "x-pass"\n')
        self.assertIn("[[user]] dave", self.server.reload())
        carol.answer(carol.challenges(challenge)[0], "carol", "second-pass")
        code, response = carol.attempt()
        self.assertEqual(code, 200, response)
        self.server.wait_until("carol never listed",
                               lambda: "sip:carol@127.0.0.1" in self.server.participants("5000"))
        self.assertEqual(carol.bye(), 200)

    def test_a_lowered_tcp_limit_refuses_the_next_connection_and_keeps_the_open_one(self):
        def connect():
            sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=5,
                                            source_address=("127.0.0.6", 0))
            self.addCleanup(sock.close)
            sock.settimeout(5)
            return sock

        def options(sock):
            text = sip_auth_test.SourceListTest.OPTIONS.format(
                port=self.server.port, ip="127.0.0.6", local=sock.getsockname()[1],
                branch=os.urandom(6).hex())
            sock.sendall(text.replace("SIP/2.0/UDP", "SIP/2.0/TCP").encode())
            return sock.recv(65535)

        first = connect()
        self.assertTrue(options(first).startswith(b"SIP/2.0 "))
        self.server.rewrite_config(lambda text: text.replace(
            "[sip]\n", "[sip]\nmax_tcp_connections_per_source = 1\n", 1))
        self.assertIn("[sip] max_tcp_connections_per_source", self.server.reload())
        expect_closed_at_once(self.server.port, "127.0.0.6")
        self.server.wait_for_metric("tutti_sip_stream_refused_total", 'transport="tcp"')
        self.assertTrue(options(first).startswith(b"SIP/2.0 "))  # the open one served on

    def test_lowered_transaction_limits_refuse_the_next_invite_with_the_new_retry_after(self):
        # 16 INVITEs ringing (answer_delay_ms) hold 16 server transactions,
        # none of which may be dropped to make room.
        self.server.stop()
        self.server = self.start(rooms=ROOMS, sip_extra="answer_delay_ms = 20000")
        ringing = []
        for n in range(16):
            call_id = f"{uuid.uuid4().hex}@127.0.0.1"
            request = invite_request(self.server.port, "5000", sdp_offer(
                "m=audio 4000 RTP/AVP 0\r\n"), call_id, f"z9hG4bK{uuid.uuid4().hex[:12]}")
            ringing.append(udp_exchange(self.server.port, request, timeout=10))
        self.server.rewrite_config(lambda text: text.replace(
            "[limits]", "[limits]\nmax_transactions = 16\nretry_after_s = 17"))
        line = self.server.reload()
        self.assertIn("[limits] max_transactions", line)
        request = invite_request(self.server.port, "5000", sdp_offer("m=audio 4000 RTP/AVP 0\r\n"),
                                 f"{uuid.uuid4().hex}@127.0.0.1", "z9hG4bKlast")
        reply = udp_exchange(self.server.port, request, timeout=10)
        self.assertTrue(reply.startswith("SIP/2.0 503"), reply)
        self.assertIn("Retry-After: 17", reply)


if __name__ == "__main__":
    unittest.main(verbosity=2)
