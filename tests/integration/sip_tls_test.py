"""SIP over TLS on a real tuttid, driven with Python's ssl module: OPTIONS,
a call (INVITE, ACK, BYE both ways) on one TLS connection, sips:, a
plaintext client and a silent one on the TLS port, client certificates, and
the certificate reloaded on SIGHUP. Certificates are made for each test run
with the openssl command (a CA, a server certificate for 127.0.0.1 and a
client certificate)."""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from tutti_harness import Tuttid, free_port, require_tuttid

SDP = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certificates(directory):
    """A CA, a server certificate for IP 127.0.0.1 (CN tutti-test) and a
    client certificate (CN test-client), all signed by the CA; EC P-256."""
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", path("ca-key.pem"), "-out", path("ca.pem"),
            "-days", "2", "-subj", "/CN=tutti test CA")
    for name, subject, extension in (
            ("server", "/CN=tutti-test", "subjectAltName=IP:127.0.0.1"),
            ("server2", "/CN=tutti-test-renewed", "subjectAltName=IP:127.0.0.1"),
            ("client", "/CN=test-client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-new", *ec, "-keyout", path(f"{name}-key.pem"), "-out",
                path(f"{name}.csr"), "-subj", subject)
        with open(path(f"{name}.ext"), "w") as f:
            f.write(extension + "\n")
        openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path("ca.pem"), "-CAkey",
                path("ca-key.pem"), "-CAcreateserial", "-days", "2", "-out",
                path(f"{name}.pem"), "-extfile", path(f"{name}.ext"))
    return path


class TlsPeer:
    """A SIP client on one TLS connection: sends requests and reads whole
    messages (framed by Content-Length) from it."""

    def __init__(self, port, cafile, certfile=None, keyfile=None):
        context = ssl.create_default_context(cafile=cafile)
        if certfile:
            context.load_cert_chain(certfile, keyfile)
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.local_port = self.sock.getsockname()[1]
        self.buffer = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def read_message(self, timeout=5):
        self.sock.settimeout(timeout)
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = self.buffer[:end].decode()
                m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buffer) >= total:
                    message, self.buffer = self.buffer[:total].decode(), self.buffer[total:]
                    return message
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"TLS connection closed; had {self.buffer!r}")
            self.buffer += chunk

    def read_final(self, timeout=5):
        while True:
            message = self.read_message(timeout)
            if message.startswith("SIP/2.0") and int(message.split(" ", 2)[1]) >= 200:
                return message

    def close(self):
        self.sock.close()


def header(message, name):
    m = re.search(rf"(?im)^{name}\s*:\s*(.*?)\r$", message)
    return m.group(1) if m else None


def request(method, peer, *, uri="sip:1000@127.0.0.1", call_id="tls-1", cseq=1, branch="b1",
            to_tag="", body="", contact=None, scheme="sip"):
    contact = contact or f"<{scheme}:tester@127.0.0.1:{peer.local_port};transport=tls>"
    content_type = "Content-Type: application/sdp\r\n" if body else ""
    to = f"<{uri}>" + (f";tag={to_tag}" if to_tag else "")
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS 127.0.0.1:{peer.local_port};branch=z9hG4bK{branch};rport\r\n"
            f"From: <{scheme}:tester@127.0.0.1>;tag=tester1\r\nTo: {to}\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: {contact}\r\n"
            f"Max-Forwards: 70\r\n{content_type}Content-Length: {len(body)}\r\n\r\n{body}")


def closed_by_server(sock, timeout=10):
    """Reads until the server closes (EOF, reset or a TLS alert); returns
    the seconds it took, or fails after timeout."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        raise AssertionError(f"the server did not close the connection within {timeout}s")
    except (OSError, ssl.SSLError):
        pass
    return time.monotonic() - started


class TlsTestCase(unittest.TestCase):
    HANDSHAKE_TIMEOUT_S = 2
    extra = ""

    @classmethod
    def setUpClass(cls):
        require_tuttid()
        cls.certs_dir = tempfile.mkdtemp(prefix="tutti-tls-")
        cls.cert = staticmethod(make_certificates(cls.certs_dir))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs_dir, ignore_errors=True)

    def setUp(self):
        # Copies, so that a test can replace them and SIGHUP.
        self.server_cert = os.path.join(self.certs_dir, f"in-use-{self.id()}.pem")
        self.server_key = os.path.join(self.certs_dir, f"in-use-{self.id()}-key.pem")
        shutil.copy(self.cert("server.pem"), self.server_cert)
        shutil.copy(self.cert("server-key.pem"), self.server_key)
        self.tls_port = free_port()
        self.server = Tuttid(sip_extra=f"""
transports = ["udp", "tcp", "tls"]
tls_port = {self.tls_port}
tls_certificate = "{self.server_cert}"
tls_private_key = "{self.server_key}"
tls_handshake_timeout_s = {self.HANDSHAKE_TIMEOUT_S}
{self.extra}
""")
        self.addCleanup(self._stop)

    def _stop(self):
        self.assertEqual(self.server.stop(), 0, self.server.log_text()[-3000:])

    def peer(self, **kwargs):
        peer = TlsPeer(self.tls_port, self.cert("ca.pem"), **kwargs)
        self.addCleanup(peer.close)
        return peer


class TlsTest(TlsTestCase):

    def test_options_over_tls(self):
        peer = self.peer()
        self.assertIn(peer.sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(peer.sock.getpeercert()["subject"], ((("commonName", "tutti-test"),),))
        peer.send(request("OPTIONS", peer))
        response = peer.read_final()
        self.assertTrue(response.startswith("SIP/2.0 200"), response)
        self.assertIn(f"Via: SIP/2.0/TLS 127.0.0.1:{peer.local_port};branch=z9hG4bKb1", response)
        self.server.wait_for_log(r'msg=started .*transports=udp,tcp,tls tls=127\.0\.0\.1:'
                                 rf'{self.tls_port}')

    def test_call_over_one_tls_connection_bye_from_caller(self):
        peer = self.peer()
        peer.send(request("INVITE", peer, body=SDP))
        ok = peer.read_final()
        self.assertTrue(ok.startswith("SIP/2.0 200"), ok)
        self.assertEqual(header(ok, "Contact"),
                         f"<sip:tutti@127.0.0.1:{self.tls_port};transport=tls>")
        to_tag = re.search(r";tag=([^;\s]+)", header(ok, "To")).group(1)
        peer.send(request("ACK", peer, to_tag=to_tag, branch="b2"))
        self.server.wait_until("the TLS caller in room 1000",
                               lambda: self.server.participants("1000"))
        peer.send(request("BYE", peer, to_tag=to_tag, cseq=2, branch="b3"))
        bye_ok = peer.read_final()
        self.assertTrue(bye_ok.startswith("SIP/2.0 200"), bye_ok)
        self.assertIn("CSeq: 2 BYE", bye_ok)
        records = self.server.wait_until("the call recorded", self.server.call_records)
        self.assertEqual(records[-1]["why"], "caller hung up")

    def test_bye_from_tutti_comes_over_the_callers_tls_connection(self):
        peer = self.peer()
        peer.send(request("INVITE", peer, call_id="tls-kick", body=SDP))
        ok = peer.read_final()
        to_tag = re.search(r";tag=([^;\s]+)", header(ok, "To")).group(1)
        peer.send(request("ACK", peer, call_id="tls-kick", to_tag=to_tag, branch="b2"))
        participants = self.server.wait_until("the TLS caller in room 1000",
                                              lambda: self.server.participants("1000"))
        pid = next(iter(participants.values()))["id"]
        status, _ = self.server.api("DELETE", f"/v1/rooms/1000/participants/{pid}")
        self.assertEqual(status, 204)
        bye = peer.read_message()
        self.assertTrue(bye.startswith("BYE sip:tester@127.0.0.1:"), bye)
        self.assertRegex(header(bye, "Via"), rf"^SIP/2.0/TLS 127\.0\.0\.1:{self.tls_port};")
        peer.send(f"SIP/2.0 200 OK\r\nVia: {header(bye, 'Via')}\r\nFrom: {header(bye, 'From')}\r\n"
                  f"To: {header(bye, 'To')}\r\nCall-ID: tls-kick\r\nCSeq: {header(bye, 'CSeq')}\r\n"
                  "Content-Length: 0\r\n\r\n")
        self.server.wait_until("the kick recorded", lambda: any(
            r["call_id"] == "tls-kick" for r in self.server.call_records()))

    def test_sips_request_uri_gets_a_sips_contact(self):
        peer = self.peer()
        peer.send(request("INVITE", peer, uri="sips:1000@127.0.0.1", scheme="sips",
                          call_id="tls-sips", body=SDP))
        ok = peer.read_final()
        self.assertTrue(ok.startswith("SIP/2.0 200"), ok)
        self.assertEqual(header(ok, "Contact"), f"<sips:tutti@127.0.0.1:{self.tls_port}>")
        to_tag = re.search(r";tag=([^;\s]+)", header(ok, "To")).group(1)
        peer.send(request("ACK", peer, uri="sips:1000@127.0.0.1", scheme="sips",
                          call_id="tls-sips", to_tag=to_tag, branch="b2"))
        peer.send(request("BYE", peer, uri="sips:1000@127.0.0.1", scheme="sips",
                          call_id="tls-sips", to_tag=to_tag, cseq=2, branch="b3"))
        self.assertTrue(peer.read_final().startswith("SIP/2.0 200"))

    def test_plaintext_client_on_the_tls_port_is_closed_and_counted(self):
        with socket.create_connection(("127.0.0.1", self.tls_port)) as plain:
            plain.sendall(request("OPTIONS", type("P", (), {"local_port": 1})()).encode())
            took = closed_by_server(plain)
        self.assertLess(took, self.HANDSHAKE_TIMEOUT_S, "closed by the deadline, not at once")
        self.server.wait_for_metric("tutti_sip_stream_closed_total",
                                    'transport="tls",reason="handshake_failed"')
        self.server.wait_for_log(r'component=sip\.tls msg="TLS handshake failed"')

    def test_silent_connection_is_closed_at_the_handshake_deadline(self):
        with socket.create_connection(("127.0.0.1", self.tls_port)) as silent:
            took = closed_by_server(silent, timeout=self.HANDSHAKE_TIMEOUT_S + 5)
        self.assertGreaterEqual(took, self.HANDSHAKE_TIMEOUT_S - 0.1)
        self.server.wait_for_metric("tutti_sip_stream_closed_total",
                                    'transport="tls",reason="handshake_timeout"')

    def test_sighup_reloads_the_certificate_and_a_bad_one_is_refused(self):
        before = self.peer()  # made with the first certificate
        shutil.copy(self.cert("server2.pem"), self.server_cert)
        shutil.copy(self.cert("server2-key.pem"), self.server_key)
        self.server.proc.send_signal(signal.SIGHUP)
        self.server.wait_for_log(r'msg="SIGHUP: TLS certificate reloaded" '
                                 r'subject="/CN=tutti-test-renewed')
        after = self.peer()
        self.assertEqual(after.sock.getpeercert()["subject"],
                         ((("commonName", "tutti-test-renewed"),),))
        # The connection made before keeps working.
        before.send(request("OPTIONS", before))
        self.assertTrue(before.read_final().startswith("SIP/2.0 200"))

        # A key that does not match: refused, the renewed certificate stays.
        shutil.copy(self.cert("client-key.pem"), self.server_key)
        self.server.proc.send_signal(signal.SIGHUP)
        self.server.wait_for_log(r'msg="SIGHUP: TLS certificate not reloaded, the old one stays"')
        again = self.peer()
        self.assertEqual(again.sock.getpeercert()["subject"],
                         ((("commonName", "tutti-test-renewed"),),))


class ClientCertificateTest(TlsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.extra = (f'tls_ca_file = "{cls.cert("ca.pem")}"\n'
                     "tls_verify_client = true\n")

    def test_client_with_a_certificate_from_the_ca_is_served(self):
        peer = self.peer(certfile=self.cert("client.pem"), keyfile=self.cert("client-key.pem"))
        peer.send(request("OPTIONS", peer))
        self.assertTrue(peer.read_final().startswith("SIP/2.0 200"))
        self.server.wait_for_log(r'msg="TLS handshake done".*client_certificate="/CN=test-client"')

    def test_client_without_a_certificate_is_refused(self):
        context = ssl.create_default_context(cafile=self.cert("ca.pem"))
        raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=5)
        self.addCleanup(raw.close)
        with self.assertRaises((ssl.SSLError, ConnectionError, AssertionError)):
            # TLS 1.3: the client learns of the refusal on its first read.
            sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
            sock.sendall(request("OPTIONS", type("P", (), {"local_port": 1})()).encode())
            if not sock.recv(4096):
                raise AssertionError("closed")
        self.server.wait_for_metric("tutti_sip_stream_closed_total",
                                    'transport="tls",reason="handshake_failed"')


if __name__ == "__main__":
    unittest.main(verbosity=2)
