"""Issue 13: who may call. SIP digest authentication (RFC 3261 §22, RFC 8760)
with a real client (SIPp's MD5) and with a raw SHA-256 client of our own,
per room and for every INVITE; failures counted toward the source's
lockout; IP allow and deny lists for the SIP listener.
"""

import hashlib
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import LossyRtpCaller  # noqa: E402
from tutti_harness import Tuttid, expect_closed_at_once, udp_exchange  # noqa: E402

USERS = """
[[user]]
name = "alice"
password = "wonderland-7"

[[user]]
name = "bob"
ha1_sha256 = "{bob_sha256}"
ha1 = "{bob_md5}"
"""


def ha1(algorithm, user, realm, password):
    h = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
    return h(f"{user}:{realm}:{password}".encode()).hexdigest()


def rooms(extra=""):
    realm = "tutti"
    return USERS.format(bob_sha256=ha1("SHA-256", "bob", realm, "builder-9"),
                        bob_md5=ha1("MD5", "bob", realm, "builder-9")) + """
[[room]]
name = "1000"

[[room]]
name = "3000"
""" + extra


class DigestCaller(LossyRtpCaller):
    """The harness's SIP caller, which answers a 401 with digest credentials
    (any algorithm hashlib has: SHA-256, MD5)."""

    def __init__(self, port, user="1000", name="digest", address="127.0.0.1"):
        super().__init__(port, user=user, loss=0.0, name=name)
        self.authorization = None
        if address != "127.0.0.1":
            self.sip.close()
            self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sip.bind((address, 0))
            self.sip_port = self.sip.getsockname()[1]
        self.address = address
        self.started = False

    def _request(self, method, cseq, body="", uri=None, branch=None):
        text = super()._request(method, cseq, body, uri, branch)
        text = text.replace(f"127.0.0.1:{self.sip_port}", f"{self.address}:{self.sip_port}")
        if self.authorization and method == "INVITE":
            text = text.replace("Content-Length:",
                                f"Authorization: {self.authorization}\r\nContent-Length:", 1)
        return text

    def attempt(self, timeout=10):
        """One INVITE; a failure is ACKed. Returns (code, response)."""
        if not self.started:
            self.started = True
            self._sip_thread = __import__("threading").Thread(target=self._sip_loop, daemon=True)
            self._sip_thread.start()
        self.cseq += 1
        request = self._request("INVITE", self.cseq, self._offer())
        self._send_sip(request)
        code, response = self._wait_final(self.cseq, "INVITE", timeout, request)
        to = self._header(response, "To") or ""
        tag = re.search(r";\s*tag=([^;>\s]+)", to)
        if code >= 300:
            # RFC 3261 §17.1.1.3: the ACK of a failure reuses the INVITE's branch.
            branch = re.search(r"branch=([^;\s]+)", request).group(1)
            self.to_tag = tag.group(1) if tag else None
            self._send_sip(self._request("ACK", self.cseq, branch=branch))
            self.to_tag = None
            return code, response
        self.to_tag = tag.group(1) if tag else None
        contact = self._header(response, "Contact") or ""
        m = re.search(r"<([^>]+)>", contact)
        self.remote_target = m.group(1) if m else self.request_uri
        self._send_sip(self._request("ACK", self.cseq, uri=self.remote_target), self._next_hop())
        return code, response

    @staticmethod
    def challenges(response):
        head = response.split("\r\n\r\n", 1)[0]
        return re.findall(r"^WWW-Authenticate\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)

    def answer(self, challenge, user, password, algorithm=None):
        """Sets the Authorization for the next INVITE from one challenge."""
        realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        algorithm = algorithm or re.search(r"algorithm=([\w-]+)", challenge).group(1)
        h = hashlib.sha256 if algorithm == "SHA-256" else hashlib.md5
        uri = self.request_uri
        ha2 = h(f"INVITE:{uri}".encode()).hexdigest()
        cnonce, nc = "0a4f113b", "00000001"
        response = h(f"{ha1(algorithm, user, realm, password)}:{nonce}:{nc}:{cnonce}:auth:{ha2}"
                     .encode()).hexdigest()
        self.authorization = (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", '
                              f'uri="{uri}", response="{response}", algorithm={algorithm}, '
                              f'cnonce="{cnonce}", qop=auth, nc={nc}')


class DigestAllTest(unittest.TestCase):
    """[sip] auth = "all": every INVITE authenticates, except a room that
    says auth = false."""

    AUTH = 'auth = "all"'
    ROOMS = rooms('auth = false\n')  # room 3000 is open to all

    def setUp(self):
        self.server = Tuttid(sip_extra=self.AUTH, rooms=self.ROOMS,
                             extra_config="[ivr]\nmax_pin_failures_per_source = 3\n")
        self.callers = []

    def tearDown(self):
        for caller in self.callers:
            if caller.to_tag and not caller.closed_by_peer:
                caller.bye()
            caller.close()
        code = self.server.stop()
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + self.server.log_text()[-3000:])

    def caller(self, user="1000", name="digest", address="127.0.0.1"):
        caller = DigestCaller(self.server.port, user, name, address)
        self.callers.append(caller)
        return caller

    def test_sha256_client_is_challenged_then_joins(self):
        caller = self.caller(name="alice")
        code, response = caller.attempt()
        self.assertEqual(code, 401, response)
        challenges = caller.challenges(response)
        # RFC 8760 §2.4: one challenge per algorithm, the preferred (SHA-256) first.
        self.assertEqual(len(challenges), 2, response)
        self.assertIn("algorithm=SHA-256", challenges[0])
        self.assertIn("algorithm=MD5", challenges[1])
        self.assertIn('realm="tutti"', challenges[0])
        self.assertIn('qop="auth"', challenges[0])
        caller.answer(challenges[0], "alice", "wonderland-7")
        code, response = caller.attempt()
        self.assertEqual(code, 200, response)
        self.server.wait_until("alice not in room 1000",
                               lambda: self.server.participants("1000").get("sip:alice@127.0.0.1"))
        self.server.wait_for_log(r'msg=authenticated call_id=\S+ user=alice')
        # bob has no password in the file, only his HA1 values.
        bob = self.caller(name="bob")
        code, response = bob.attempt()
        bob.answer(bob.challenges(response)[0], "bob", "builder-9")
        self.assertEqual(bob.attempt()[0], 200)
        self.assertEqual(self.server.metric("tutti_sip_auth_total", 'outcome="accepted"'), 2)
        # Neither password nor HA1 reaches the log.
        log = self.server.log_text()
        for secret in ("wonderland-7", "builder-9", ha1("SHA-256", "bob", "tutti", "builder-9")):
            self.assertNotIn(secret, log)

    def test_unknown_room_and_ivr_are_challenged_and_open_room_is_not(self):
        # A stranger learns nothing: 401 before "no such room".
        self.assertEqual(self.caller("4242").attempt()[0], 401)
        self.assertEqual(self.caller("conference").attempt()[0], 401)
        self.assertEqual(self.caller("3000", "guest").attempt()[0], 200)

    def test_wrong_passwords_are_rechallenged_then_the_source_is_refused(self):
        caller = self.caller(name="mallory", address="127.0.0.7")
        code, response = caller.attempt()
        challenge = caller.challenges(response)[1]  # MD5
        for attempt in range(2):
            caller.answer(challenge, "alice", f"guess-{attempt}")
            code, response = caller.attempt()
            self.assertEqual(code, 401, response)  # a typo may be retried
            challenge = caller.challenges(response)[1]
        # The third wrong answer reaches max_pin_failures_per_source (3).
        caller.answer(challenge, "alice", "guess-3")
        code, response = caller.attempt()
        self.assertEqual(code, 403, response)
        self.assertEqual(caller.challenges(response), [])
        # Now even the right password from that address is refused ...
        caller.answer(challenge, "alice", "wonderland-7")
        self.assertEqual(caller.attempt()[0], 403)
        self.assertEqual(self.server.participants("1000"), {})
        # ... but not from another.
        other = self.caller(name="alice")
        code, response = other.attempt()
        other.answer(other.challenges(response)[0], "alice", "wonderland-7")
        self.assertEqual(other.attempt()[0], 200)
        self.assertEqual(self.server.metric("tutti_sip_auth_total", 'outcome="failed"'), 3)
        self.assertEqual(self.server.metric("tutti_sip_auth_total", 'outcome="refused"'), 2)
        self.assertNotIn("guess-", self.server.log_text())

    def test_forged_nonce_is_wrong_not_stale(self):
        # (Expiry and stale=true are unit-tested with a clock: the shortest
        # nonce_lifetime_s is 10 s.) A nonce tutti did not make is refused as
        # wrong, not stale: stale would tell the client its password was right.
        caller = self.caller(name="alice")
        code, response = caller.attempt()
        forged = caller.challenges(response)[0].replace('nonce="', 'nonce="0')
        caller.answer(forged, "alice", "wonderland-7")
        code, response = caller.attempt()
        self.assertEqual(code, 401)
        self.assertNotIn("stale=true", response)
        self.server.wait_for_log(r'msg="authentication failed"')


class SippDigestTest(unittest.TestCase):
    """A real client: SIPp 3.6 answers the challenge with MD5 (the only digest
    it knows, and it reads only the first WWW-Authenticate: so MD5 is the
    only one offered here)."""

    def setUp(self):
        self.server = Tuttid(sip_extra='auth = "all"\nauth_algorithms = ["MD5"]', rooms=rooms())

    def tearDown(self):
        code = self.server.stop()
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + self.server.log_text()[-3000:])

    def test_sipp_authenticates_with_md5_and_a_wrong_password_never_joins(self):
        self.server.sipp("invite_auth.xml", "-s", "1000", "-au", "alice", "-ap", "wonderland-7")
        self.server.wait_for_log(r'msg=authenticated call_id=\S+ user=alice')
        self.server.wait_for_log(r'msg="call answered"')
        self.server.sipp("invite_auth_refused.xml", "-s", "1000", "-au", "alice", "-ap", "nope")
        self.server.wait_for_log(r'msg="authentication failed"')
        self.server.wait_for_metric("tutti_sip_requests_total", 'method="ACK"', at_least=4)
        self.assertEqual(len(re.findall(r'msg="call answered"', self.server.log_text())), 1)
        self.assertEqual(self.server.metric("tutti_sip_auth_total", 'outcome="accepted"'), 1)
        self.assertEqual(self.server.metric("tutti_sip_auth_total", 'outcome="failed"'), 1)


class RoomAuthTest(unittest.TestCase):
    """[sip] auth = "none" with one room that asks for it."""

    def test_only_the_room_that_asks_challenges(self):
        server = Tuttid(rooms=rooms("auth = true\n"))  # room 3000 asks
        try:
            open_caller = DigestCaller(server.port, "1000", "open")
            self.assertEqual(open_caller.attempt()[0], 200)
            open_caller.bye()
            open_caller.close()
            guarded = DigestCaller(server.port, "3000", "alice")
            code, response = guarded.attempt()
            self.assertEqual(code, 401, response)
            guarded.answer(guarded.challenges(response)[1], "alice", "wonderland-7")  # MD5
            self.assertEqual(guarded.attempt()[0], 200)
            guarded.bye()
            guarded.close()
        finally:
            self.assertEqual(server.stop(), 0, server.log_text()[-3000:])


class SourceListTest(unittest.TestCase):
    """[sip] allow and deny: a refused source gets silence; deny wins."""

    OPTIONS = ("OPTIONS sip:1000@127.0.0.1:{port} SIP/2.0\r\n"
               "Via: SIP/2.0/UDP {ip}:{local};branch=z9hG4bK{branch}\r\n"
               "From: <sip:probe@{ip}>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\n"
               "Call-ID: {branch}@probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n")

    def probe(self, server, ip, timeout=1.0):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((ip, 0))
            s.settimeout(timeout)
            text = self.OPTIONS.format(port=server.port, ip=ip, local=s.getsockname()[1],
                                       branch=os.urandom(6).hex())
            s.sendto(text.encode(), ("127.0.0.1", server.port))
            try:
                return s.recvfrom(65535)[0].decode(errors="replace")
            except socket.timeout:
                return None

    def test_allow_and_deny(self):
        server = Tuttid(sip_extra='allow = ["127.0.0.0/24"]\ndeny = ["127.0.0.5"]', rooms=rooms())
        try:
            self.assertTrue(self.probe(server, "127.0.0.1", timeout=5).startswith("SIP/2.0 200"))
            self.assertTrue(self.probe(server, "127.0.0.4", timeout=5).startswith("SIP/2.0 200"))
            self.assertIsNone(self.probe(server, "127.0.0.5"))  # denied inside the allowed block
            server.wait_for_metric("tutti_sip_denied_total", at_least=1)
            self.assertIsNone(self.probe(server, "127.0.1.1"))  # outside the allow list
            server.wait_for_metric("tutti_sip_denied_total", at_least=2)
            # What was dropped was never parsed: no request of theirs counted.
            self.assertEqual(server.metric("tutti_sip_requests_total", 'method="OPTIONS"'), 2)
            # A call from a denied address never starts.
            caller = DigestCaller(server.port, "1000", "denied", address="127.0.0.5")
            with self.assertRaises(AssertionError):
                caller.attempt(timeout=2)
            caller.close()
            self.assertEqual(server.participants("1000"), {})
        finally:
            self.assertEqual(server.stop(), 0, server.log_text()[-3000:])

    def test_a_denied_source_loses_its_tcp_connection_at_once(self):
        """Refused sources must not hold TCP connections (and places under the
        per-source and total limits) until a deadline: closed on accept."""
        server = Tuttid(sip_extra='deny = ["127.0.0.5"]\ntcp_message_timeout_s = 30', rooms=rooms())
        try:
            # Closed by tuttid: EOF (or a reset), long before the 30 s deadline.
            expect_closed_at_once(server.port, "127.0.0.5")
            server.wait_for_metric("tutti_sip_stream_denied_total", 'transport="tcp"', at_least=1)
            with socket.create_connection(("127.0.0.1", server.port), timeout=5,
                                          source_address=("127.0.0.4", 0)) as allowed:
                text = SourceListTest.OPTIONS.format(port=server.port, ip="127.0.0.4",
                                                     local=allowed.getsockname()[1],
                                                     branch=os.urandom(6).hex())
                allowed.sendall(text.replace("SIP/2.0/UDP", "SIP/2.0/TCP").encode())
                allowed.settimeout(5)
                self.assertTrue(allowed.recv(65535).startswith(b"SIP/2.0 200"))
            self.assertEqual(server.metric("tutti_sip_stream_denied_total", 'transport="tcp"'), 1)
        finally:
            self.assertEqual(server.stop(), 0, server.log_text()[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
