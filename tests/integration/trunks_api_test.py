"""SIP trunks as the daemon wires them (issue 18): tuttid reads [[trunk]],
[[dial_plan]], [dial_out] and [trunks], registers to a trunk once its
transports are up (a fake registrar here, on a loopback port of the
test's), shows each trunk in GET /v1/trunks (never its password) and in
/metrics, and unregisters (Expires: 0) when it stops."""

import re
import socket
import threading
import unittest

from tutti_harness import Tuttid, check_clean_exit, free_port, require_tuttid

PASSWORD = "trunk-secret-7f3a"


class FakeRegistrar:
    """A carrier's registrar on UDP: 401 to a REGISTER without credentials,
    200 (echoing its Contact and Expires) to one with them, 200 to OPTIONS.
    Keeps every request it got."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def got(self, method):
        with self.lock:
            return [r for r in self.requests if r.startswith(method + " ")]

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            request = data.decode(errors="replace")
            with self.lock:
                self.requests.append(request)
            reply = self._answer(request)
            if reply:
                self.sock.sendto(reply.encode(), peer)

    @staticmethod
    def _headers(request, names):
        lines = []
        for line in request.split("\r\n")[1:]:
            if not line:
                break
            name = line.split(":", 1)[0].strip().lower()
            if name in names:
                lines.append(line)
        return lines

    def _answer(self, request):
        method = request.split(" ", 1)[0]
        if method not in ("REGISTER", "OPTIONS"):
            return None
        common = self._headers(request, ("via", "v", "from", "f", "call-id", "i", "cseq"))
        to = self._headers(request, ("to", "t"))
        to_line = to[0] + (";tag=reg1" if to and "tag=" not in to[0] else "")
        if method == "REGISTER" and not self._headers(request, ("authorization",)):
            status = "401 Unauthorized"
            extra = ['WWW-Authenticate: Digest realm="carrier.test", nonce="n0nce1", '
                     'algorithm=MD5, qop="auth"']
        else:
            status = "200 OK"
            extra = self._headers(request, ("contact", "m", "expires"))
        return "\r\n".join([f"SIP/2.0 {status}", *common, to_line, *extra,
                            "Content-Length: 0", "", ""])


class TrunksApiTest(unittest.TestCase):
    def setUp(self):
        require_tuttid()
        self.registrar = FakeRegistrar()
        self.addCleanup(self.registrar.close)
        self.server = Tuttid(extra_config=f"""
[[trunk]]
name = "carrier"
host = "127.0.0.1:{self.registrar.port}"
domain = "carrier.test"
username = "tutti"
password = "{PASSWORD}"
register = true
register_expires_s = 600
options_interval_s = 0
dial_out_patterns = ["44XXXXXXXXXX"]

[[trunk]]
name = "static"
host = "127.0.0.1:{free_port()}"
addresses = ["192.0.2.0/24"]
options_interval_s = 0

[[dial_plan]]
match = "442079460001"
room = "1000"

[dial_out]
max_per_room = 2

[trunks]
allow_room_calls_from_anywhere = true
""")

    def trunks(self):
        status, body = self.server.api("GET", "/v1/trunks")
        self.assertEqual(status, 200, body)
        return {t["name"]: t for t in body["trunks"]}

    def test_registers_shows_the_trunks_and_unregisters_at_stop(self):
        self.server.wait_until("the carrier trunk registered",
                               lambda: self.trunks()["carrier"]["registration"]["state"]
                               == "registered")
        trunks = self.trunks()
        carrier, static = trunks["carrier"], trunks["static"]
        self.assertEqual(carrier["host"], f"127.0.0.1:{self.registrar.port}")
        self.assertEqual(carrier["domain"], "carrier.test")
        self.assertEqual(carrier["registration"]["last_status"], 200)
        self.assertIsNotNone(carrier["registration"]["registered_until"])
        self.assertTrue(carrier["up"])
        self.assertEqual(carrier["dial_out_patterns"], ["44XXXXXXXXXX"])
        self.assertEqual(static["registration"]["state"], "none")
        self.assertFalse(static["register"])
        status, raw = self.server.api("GET", "/v1/trunks")
        self.assertNotIn(PASSWORD, str(raw))

        # The digest answer carried the configured user, never the password.
        registers = self.registrar.got("REGISTER")
        self.assertGreaterEqual(len(registers), 2, registers)
        self.assertRegex(registers[-1], r'(?im)^Authorization: Digest .*username="tutti"')
        self.assertNotIn(PASSWORD, "".join(registers))

        self.assertEqual(self.server.metric("tutti_trunk_registered", 'trunk="carrier"'), 1)
        self.assertEqual(self.server.metric("tutti_trunk_up", 'trunk="static"'), 1)
        self.assertGreaterEqual(
            self.server.metric("tutti_trunk_registrations_total", 'trunk="carrier"'), 1)
        self.assertEqual(self.server.metric("tutti_trunk_calls", 'trunk="carrier"'), 0)
        status, metrics = self.server.api("GET", "/metrics")
        self.assertIn("tutti_dial_outs_started_total 0", metrics)
        self.assertIn('tutti_trunk_inbound_refused_total{reason="stranger"}', metrics)
        self.assertNotIn(PASSWORD, metrics)
        self.assertNotIn(PASSWORD, self.server.log_text())

        before = len(registers)
        check_clean_exit(self, self.server)
        last = self.registrar.got("REGISTER")[before:]
        self.assertTrue(any(re.search(r"(?im)^(Expires: *0\b|Contact:.*;expires=0\b)", r)
                            for r in last),
                        "no REGISTER with Expires: 0 at shutdown:\n" + "\n".join(last))


if __name__ == "__main__":
    unittest.main()
