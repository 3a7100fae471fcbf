"""SIP over IPv6 against a real tuttid on ::1, and dual-stack listening:
OPTIONS, an INVITE/ACK/BYE over UDP and over TCP with an IPv4 SDP, IPv4 and
IPv6 callers reaching one tuttid, our Via/Contact in the caller's family
(IPv6 in brackets, received= bare), and no IPv4 caller ever shown as
::ffff:a.b.c.d. Raw sockets, standard library only."""

import json
import os
import re
import socket
import subprocess
import tempfile
import unittest

from tutti_harness import TUTTID, Tuttid, check_clean_exit, free_port

SDP = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def host(ip):
    """A URI's or Via's host: IPv6 in brackets."""
    return f"[{ip}]" if ":" in ip else ip


def status_of(response):
    return int(response.split(" ", 2)[1])


def header(message, name):
    found = re.search(rf"^{name}:\s*(.*?)\r$", message, re.MULTILINE | re.IGNORECASE)
    return found.group(1) if found else None


class Client:
    """A SIP client on `ip` (port 0) talking to tuttid at ip:port over UDP or TCP."""

    def __init__(self, ip, server_port, transport="UDP"):
        self.ip, self.server_port, self.transport = ip, server_port, transport
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        kind = socket.SOCK_DGRAM if transport == "UDP" else socket.SOCK_STREAM
        self.sock = socket.socket(family, kind)
        self.sock.settimeout(5)
        self.sock.bind((ip, 0))
        self.port = self.sock.getsockname()[1]
        if transport == "TCP":
            self.sock.connect((ip, server_port))
        self.buffer = b""

    def request(self, method, *, user="1000", branch, call_id, cseq=1, body="", to_tag="",
                uri=None, cseq_method=None):
        uri = uri or f"sip:{user}@{host(self.ip)}:{self.server_port}"
        params = ";transport=tcp" if self.transport == "TCP" else ""
        content_type = "Content-Type: application/sdp\r\n" if body else ""
        text = (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/{self.transport} {host(self.ip)}:{self.port};branch={branch};rport\r\n"
                f"From: <sip:caller@{host(self.ip)}>;tag=caller6\r\n"
                f"To: <sip:{user}@{host(self.ip)}>{to_tag}\r\n"
                f"Call-ID: {call_id}\r\nCSeq: {cseq} {cseq_method or method}\r\n"
                f"Contact: <sip:caller@{host(self.ip)}:{self.port}{params}>\r\n"
                f"Max-Forwards: 70\r\n{content_type}Content-Length: {len(body)}\r\n\r\n{body}")
        self.send(text)

    def send(self, text):
        if self.transport == "UDP":
            self.sock.sendto(text.encode(), (self.ip, self.server_port))
        else:
            self.sock.sendall(text.encode())

    def recv(self):
        if self.transport == "UDP":
            data, source = self.sock.recvfrom(65535)
            self.last_source = source[:2]
            return data.decode()
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = int(re.search(rb"Content-Length:\s*(\d+)", self.buffer[:end], re.I).group(1))
                if len(self.buffer) >= end + 4 + length:
                    message = self.buffer[:end + 4 + length]
                    self.buffer = self.buffer[end + 4 + length:]
                    return message.decode()
            chunk = self.sock.recv(65535)
            if not chunk:
                raise AssertionError("tuttid closed the connection")
            self.buffer += chunk

    def recv_final(self):
        while True:
            message = self.recv()
            if message.startswith("SIP/2.0") and status_of(message) >= 200:
                return message

    def close(self):
        self.sock.close()


class Ipv6TestCase(unittest.TestCase):
    listen = ["::1"]
    sip_extra = ""

    def setUp(self):
        self.server = Tuttid(listen=self.listen, sip_extra=self.sip_extra)
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()
        check_clean_exit(self, self.server)
        log = self.server.log_text()
        self.assertNotIn("::ffff:", log, "an IPv4 caller shown in the v4-mapped form")

    def client(self, ip, transport="UDP"):
        client = Client(ip, self.server.port, transport)
        self.clients.append(client)
        return client

    def options(self, client, n=1):
        client.request("OPTIONS", branch=f"z9hG4bKo{n}", call_id=f"options-{n}-{client.ip}")
        return client.recv_final()

    def call(self, client, n=1):
        """INVITE (IPv4 SDP), ACK to the Contact of the 200, BYE: the 200 and the BYE's answer."""
        call_id = f"call-{n}-{client.transport}-{client.ip}"
        client.request("INVITE", branch=f"z9hG4bKi{n}", call_id=call_id, body=SDP)
        ok = client.recv_final()
        self.assertEqual(status_of(ok), 200, ok)
        to_tag = ";tag=" + re.search(r";tag=([^;>\s]+)", header(ok, "To")).group(1)
        contact = re.search(r"<([^>]+)>", header(ok, "Contact")).group(1)
        client.request("ACK", branch=f"z9hG4bKa{n}", call_id=call_id, to_tag=to_tag, uri=contact)
        self.server.wait_until("the call is in the room",
                               lambda: len(self.server.participants("1000")) == 1)
        client.request("BYE", branch=f"z9hG4bKb{n}", call_id=call_id, cseq=2, to_tag=to_tag,
                       uri=contact)
        bye_ok = client.recv_final()
        return ok, bye_ok


class SipOverIpv6Test(Ipv6TestCase):
    listen = ["::1"]

    def test_options_over_udp_and_tcp(self):
        for transport in ("UDP", "TCP"):
            client = self.client("::1", transport)
            reply = self.options(client)
            self.assertEqual(status_of(reply), 200, reply)
            # Our Via back with rport filled and received= bare (RFC 3261, RFC 5118 §4.5).
            self.assertEqual(header(reply, "Via"),
                             f"SIP/2.0/{transport} [::1]:{client.port};branch=z9hG4bKo1;"
                             f"rport={client.port};received=::1")
        self.server.wait_for_log(rf"msg=started .*sip=\[::1\]:{self.server.port} ")

    def test_invite_ack_bye_over_udp_with_an_ipv4_sdp(self):
        client = self.client("::1")
        ok, bye_ok = self.call(client)
        self.assertEqual(header(ok, "Contact"), f"<sip:tutti@[::1]:{self.server.port}>")
        self.assertIn("c=IN IP4 127.0.0.1", ok)  # media stays IPv4: the offer's family
        self.assertEqual(status_of(bye_ok), 200, bye_ok)
        self.assertEqual(client.last_source, ("::1", self.server.port))
        record = self.wait_for_record(f"call-1-UDP-::1")
        self.assertEqual(record["from"], "sip:caller@[::1]")

    def test_invite_ack_bye_over_tcp(self):
        client = self.client("::1", "TCP")
        ok, bye_ok = self.call(client)
        self.assertEqual(header(ok, "Contact"),
                         f"<sip:tutti@[::1]:{self.server.port};transport=tcp>")
        self.assertEqual(status_of(bye_ok), 200, bye_ok)

    def wait_for_record(self, call_id):
        found = []

        def recorded():
            found[:] = [r for r in self.server.call_records() if r.get("call_id") == call_id]
            return bool(found)
        self.server.wait_until(f"a call record for {call_id}", recorded)
        return found[0]


class DualStackTest(Ipv6TestCase):
    listen = ["0.0.0.0", "::"]
    sip_extra = 'advertised_address = ["127.0.0.1", "::1"]'

    def test_ipv4_and_ipv6_callers_reach_one_tuttid_and_each_hears_its_family(self):
        v4, v6 = self.client("127.0.0.1"), self.client("::1")
        for client, ours in ((v4, "127.0.0.1"), (v6, "[::1]")):
            reply = self.options(client)
            self.assertEqual(status_of(reply), 200, reply)
            ok, bye_ok = self.call(client)
            self.assertEqual(header(ok, "Contact"), f"<sip:tutti@{ours}:{self.server.port}>")
            self.assertEqual(status_of(bye_ok), 200, bye_ok)
            self.assertEqual(client.last_source[0], client.ip)
        self.server.wait_for_log(
            rf"msg=started .*sip=0\.0\.0\.0:{self.server.port},\[::\]:{self.server.port} ")


class ListenCheckTest(unittest.TestCase):
    def test_check_config_names_a_bad_listen_and_its_line(self):
        with tempfile.TemporaryDirectory(prefix="tutti-it-") as directory:
            path = os.path.join(directory, "tutti.toml")
            for lines, error in (
                    ('listen = ["127.0.0.1", "localhost"]',
                     ':3: sip.listen has "localhost", not an IPv4 or IPv6 address'),
                    ('listen = "::"', ":3: sip.listen has ::, every address: set "
                                      "advertised_address to the IPv6 address")):
                with open(path, "w") as f:
                    f.write(f"[sip]\nport = {free_port()}\n{lines}\n")
                result = subprocess.run([TUTTID, "--check_config", f"--config={path}"],
                                        capture_output=True, text=True, timeout=10)
                self.assertNotEqual(result.returncode, 0, result.stderr)
                self.assertIn(path + error, result.stderr)


if __name__ == "__main__":
    unittest.main()
