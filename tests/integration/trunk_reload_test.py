"""Trunks changed live (issue 19): a reload (SIGHUP) adds a trunk, which
shows in GET /v1/trunks and registers to its (fake) registrar; a call from
the trunk stays up while a reload changes the trunk's settings (a new
password renews the registration in its dialog, other settings send no
REGISTER) and ends with its BYE as any other; a reload that removes the
trunk unregisters it (Expires: 0), and its address is no trunk's after."""

import hashlib
import re
import socket
import unittest

import trunks_api_test
from tutti_harness import Tuttid, check_clean_exit, free_port, require_tuttid, sdp_offer

DID = "442079460001"


def trunk_config(registrar_port, password, max_calls=0):
    return f"""
[[trunk]]
name = "carrier"
host = "127.0.0.1:{registrar_port}"
domain = "carrier.test"
username = "tutti"
password = "{password}"
register = true
options_interval_s = 0
max_calls = {max_calls}

[[dial_plan]]
match = "{DID}"
room = "1000"
"""


def digest_answered_with(register, password):
    """Whether the REGISTER's Authorization (MD5, qop=auth) was computed
    with `password`, as the registrar would check it."""
    found = re.search(r"(?im)^Authorization: Digest ([^\r\n]*)", register)
    if not found:
        return False
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', found.group(1)))

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{params['username']}:{params['realm']}:{password}")
    ha2 = md5(f"REGISTER:{params['uri']}")
    expected = md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:"
                   f"{params['qop']}:{ha2}")
    return params["response"] == expected


class Carrier:
    """The trunk's side of a call, from 127.0.0.1 (the trunk's address) on
    a socket of its own: INVITE to the DID, ACK, and the BYE at the end."""

    def __init__(self, tuttid_port):
        self.tuttid = ("127.0.0.1", tuttid_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.to = None

    def close(self):
        self.sock.close()

    def _request(self, method, cseq, body="", to=None):
        uri = f"sip:+{DID}@127.0.0.1:{self.tuttid[1]};user=phone"
        return (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{method}{cseq};rport\r\n"
                f"From: <sip:+447700900123@carrier.test>;tag=carrier1\r\n"
                f"To: {to or f'<sip:+{DID}@carrier.test>'}\r\n"
                f"Call-ID: trunk-reload-call\r\nCSeq: {cseq} {method}\r\n"
                f"Contact: <sip:gw@127.0.0.1:{self.port}>\r\nMax-Forwards: 70\r\n"
                + ("Content-Type: application/sdp\r\n" if body else "")
                + f"Content-Length: {len(body)}\r\n\r\n{body}")

    def _final(self, request):
        """Sends `request`, returns the first answer that is not 1xx."""
        self.sock.sendto(request.encode(), self.tuttid)
        while True:
            reply = self.sock.recv(65535).decode(errors="replace")
            if not re.match(r"SIP/2.0 1\d\d", reply):
                return reply

    def call(self):
        """INVITE, then ACK of its 200; the answer's status line."""
        sdp = sdp_offer(f"m=audio {free_port()} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        answer = self._final(self._request("INVITE", 1, sdp))
        self.to = re.search(r"(?im)^To: (.*)\r$", answer).group(1)
        if answer.startswith("SIP/2.0 200"):
            self.sock.sendto(self._request("ACK", 1, to=self.to).encode(), self.tuttid)
        return answer.split("\r\n", 1)[0]

    def bye(self):
        return self._final(self._request("BYE", 2, to=self.to)).split("\r\n", 1)[0]


class TrunkReloadTest(unittest.TestCase):
    def setUp(self):
        require_tuttid()
        self.registrar = trunks_api_test.FakeRegistrar()
        self.addCleanup(self.registrar.close)
        self.server = Tuttid()  # no trunk to begin with

    def tearDown(self):
        check_clean_exit(self, self.server)

    def trunks(self):
        status, body = self.server.api("GET", "/v1/trunks")
        self.assertEqual(status, 200, body)
        return {t["name"]: t for t in body["trunks"]}

    def reload_with(self, trunks_text):
        """The config file with `trunks_text` in place of its trunks, reloaded."""
        def edit(text):
            text = re.sub(r"\n# trunks>.*?# <trunks\n", "\n", text, flags=re.S)
            return text.replace("\n[[room]]", f"\n# trunks>{trunks_text}# <trunks\n\n[[room]]", 1)
        self.server.rewrite_config(edit)
        verdict = self.server.reload()
        self.assertIn('msg="configuration reloaded', verdict)
        return verdict

    def registers(self):
        return self.registrar.got("REGISTER")

    def test_a_trunk_added_changed_and_removed_by_reload_without_dropping_its_call(self):
        self.assertEqual(self.trunks(), {})
        self.reload_with(trunk_config(self.registrar.port, "first-secret"))
        self.assertEqual(list(self.trunks()), ["carrier"])
        self.server.wait_until("the added trunk registered",
                               lambda: self.trunks()["carrier"]["registration"]["state"]
                               == "registered")
        registers = self.registers()
        self.assertTrue(digest_answered_with(registers[-1], "first-secret"), registers[-1])

        carrier = Carrier(self.server.port)
        self.addCleanup(carrier.close)
        self.assertEqual(carrier.call(), "SIP/2.0 200 OK")
        self.server.wait_until("the trunk's caller in room 1000",
                               lambda: len(self.server.participants("1000")) == 1)
        self.assertEqual(self.trunks()["carrier"]["calls"], 1)

        # Settings that are not the registration's: no REGISTER. Then a new
        # password: one REGISTER at once, in the same dialog, with it.
        before = len(self.registers())
        self.reload_with(trunk_config(self.registrar.port, "first-secret", max_calls=5))
        self.assertEqual(self.trunks()["carrier"]["max_calls"], 5)
        self.reload_with(trunk_config(self.registrar.port, "second-secret", max_calls=5))
        self.server.wait_until("the renewed REGISTER",
                               lambda: len(self.registers()) > before)
        renewed = self.registers()[before:]
        self.assertEqual(len(renewed), 1, renewed)  # the first reload sent none
        self.assertTrue(digest_answered_with(renewed[0], "second-secret"), renewed[0])
        call_id = re.compile(r"(?im)^Call-ID: *(.*)\r$")
        self.assertEqual(call_id.search(renewed[0]).group(1),
                         call_id.search(registers[0]).group(1))
        self.server.wait_until("registered again",
                               lambda: self.trunks()["carrier"]["registration"]["registrations"]
                               >= 2)

        # The call came through both reloads, and ends with its BYE.
        self.assertEqual(len(self.server.participants("1000")), 1)
        self.assertEqual(self.trunks()["carrier"]["calls"], 1)
        self.assertEqual(carrier.bye(), "SIP/2.0 200 OK")
        self.server.wait_until("the call's record",
                               lambda: len(self.server.call_records()) == 1)
        record = self.server.call_records()[0]
        self.assertEqual(record["trunk"], "carrier")
        self.assertEqual(record["called_number"], DID)
        self.assertEqual(self.trunks()["carrier"]["calls"], 0)

        # Removed: unregistered, no longer shown, its address no trunk's.
        before = len(self.registers())
        self.reload_with("\n")
        self.assertEqual(self.trunks(), {})
        self.server.wait_until("the removed trunk's Expires: 0",
                               lambda: any(re.search(r"(?im)^Expires: *0\r$", r)
                                           for r in self.registers()[before:]))
        stranger = Carrier(self.server.port)
        self.addCleanup(stranger.close)
        self.assertEqual(stranger.call(), "SIP/2.0 403 Forbidden")


if __name__ == "__main__":
    unittest.main()
