"""SIP edge cases driven over raw UDP/TCP sockets against a real tuttid:
overload, call limits, NAT (rport/received), garbage, TCP framing, and
retransmission while ringing."""

import re
import socket
import time
import unittest

from tutti_harness import Tuttid, TuttidTestCase, udp_exchange

SDP = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


# Via carries rport (RFC 3581), so answers come back to the sending socket
# whatever port the Via names.
def request(method, port, *, user="1000", branch="z9hG4bKtest1", call_id="call-1",
            cseq=1, via_host="127.0.0.1:5999", rport=True, body="", extra="",
            contact_port=5999):
    via = f"SIP/2.0/UDP {via_host};branch={branch}" + (";rport" if rport else "")
    content_type = "Content-Type: application/sdp\r\n" if body else ""
    target = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    to_uri = f"{user}@127.0.0.1" if user else "127.0.0.1"
    return (f"{method} sip:{target} SIP/2.0\r\n"
            f"Via: {via}\r\n"
            f"From: <sip:tester@127.0.0.1>;tag=from1\r\n"
            f"To: <sip:{to_uri}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <sip:tester@127.0.0.1:{contact_port}>\r\n"
            f"Max-Forwards: 70\r\n{extra}{content_type}"
            f"Content-Length: {len(body)}\r\n\r\n{body}")


def status_of(response):
    return int(response.split(" ", 2)[1])


class UdpSocket:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(3)
        self.port = self.sock.getsockname()[1]

    def send(self, server_port, text):
        self.sock.sendto(text.encode(), ("127.0.0.1", server_port))

    def recv(self, timeout=3):
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65535)
        return data.decode()

    def recv_final(self, timeout=3):
        while True:
            response = self.recv(timeout)
            if status_of(response) >= 200:
                return response

    def close(self):
        self.sock.close()


class NatAndGarbageTest(TuttidTestCase):

    def test_rport_answer_goes_to_source_port_with_received_and_rport(self):
        s = UdpSocket()
        # Via claims a private address and port nobody listens on, as behind NAT.
        s.send(self.server.port, request("OPTIONS", self.server.port, user="",
                                         via_host="10.1.2.3:5070", rport=True))
        response = s.recv()
        self.assertEqual(status_of(response), 200)
        self.assertRegex(response, rf"Via: SIP/2.0/UDP 10.1.2.3:5070;branch=z9hG4bKtest1;"
                                   rf"rport={s.port};received=127.0.0.1\r\n")
        s.close()

    def test_garbage_is_dropped_and_counted_then_service_goes_on(self):
        for junk in (b"\x00\x01\x02garbage", b"INVITE\r\n\r\n", b"SIP/2.0 200\r\n\r\n",
                     b"OPTIONS sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n", b"\r\n\r\n"):
            self.assertIsNone(udp_exchange(self.server.port, junk, timeout=0.3,
                                           expect_reply=False))
        self.server.wait_for_log(r'msg="malformed message dropped"')
        reply = udp_exchange(self.server.port, request("OPTIONS", self.server.port, user=""))
        self.assertEqual(status_of(reply), 200)

    def test_cseq_method_mismatch_gets_400_naming_it(self):
        text = request("OPTIONS", self.server.port, user="").replace("CSeq: 1 OPTIONS",
                                                                      "CSeq: 1 INVITE")
        reply = udp_exchange(self.server.port, text)
        self.assertTrue(reply.startswith("SIP/2.0 400 CSeq method does not match request method\r\n"),
                        reply)

    def test_unsupported_require_gets_420(self):
        reply = udp_exchange(self.server.port, request("INVITE", self.server.port, body=SDP,
                                                       extra="Require: 100rel, foo\r\n"))
        self.assertEqual(status_of(reply), 420)
        # 100rel (RFC 3262) is supported: only the unknown tag is named.
        self.assertRegex(reply, r"Unsupported: foo\r\n")

    def test_unknown_method_gets_501_and_bye_outside_dialog_481(self):
        reply = udp_exchange(self.server.port, request("FROBNICATE", self.server.port))
        self.assertEqual(status_of(reply), 501)
        reply = udp_exchange(self.server.port, request("BYE", self.server.port,
                                                       branch="z9hG4bKbye"))
        self.assertEqual(status_of(reply), 481)

    def test_invite_without_sdp_gets_an_offer_and_takes_the_answer_in_ack(self):
        s = UdpSocket()
        s.send(self.server.port, request("INVITE", self.server.port))
        ok = s.recv_final()
        self.assertEqual(status_of(ok), 200)
        self.assertIn("m=audio ", ok)
        self.assertIn("a=rtpmap:0 PCMU/8000", ok)
        to = re.search(r"\r\nTo: (.*)\r\n", ok).group(1)
        ack = request("ACK", self.server.port, branch="z9hG4bKack", body=SDP).replace(
            "To: <sip:1000@127.0.0.1>", f"To: {to}")
        s.send(self.server.port, ack)
        bye = request("BYE", self.server.port, branch="z9hG4bKbye2", cseq=2).replace(
            "To: <sip:1000@127.0.0.1>", f"To: {to}")
        s.send(self.server.port, bye)
        self.assertEqual(status_of(s.recv_final()), 200)
        self.server.wait_for_log(r'why="caller hung up"')
        self.assertNotIn("unacceptable answer", self.server.log_text())
        s.close()


class InfoDtmfTest(TuttidTestCase):

    def test_info_dtmf_relay_and_dtmf_bodies_are_digits(self):
        s = UdpSocket()
        s.send(self.server.port, request("INVITE", self.server.port, body=SDP))
        ok = s.recv_final()
        self.assertEqual(status_of(ok), 200)
        to = re.search(r"\r\nTo: (.*)\r\n", ok).group(1)
        s.send(self.server.port, request("ACK", self.server.port, branch="z9hG4bKack").replace(
            "To: <sip:1000@127.0.0.1>", f"To: {to}"))
        bodies = [("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
                  ("application/dtmf", "#"),
                  ("application/dtmf-relay", "Signal=10\r\n")]
        for n, (content_type, body) in enumerate(bodies):
            info = request("INFO", self.server.port, branch=f"z9hG4bKinfo{n}", cseq=2 + n,
                           body=body).replace("To: <sip:1000@127.0.0.1>", f"To: {to}").replace(
                "Content-Type: application/sdp", f"Content-Type: {content_type}")
            s.send(self.server.port, info)
            self.assertEqual(status_of(s.recv_final()), 200)
        for digit in ("5", "#", "\\*"):
            self.server.wait_for_log(rf'msg=dtmf .*digit="?{digit}"? via=info')
        # INFO outside any dialog.
        stray = request("INFO", self.server.port, branch="z9hG4bKstray").replace(
            "To: <sip:1000@127.0.0.1>", "To: <sip:1000@127.0.0.1>;tag=nope")
        s.send(self.server.port, stray)
        self.assertEqual(status_of(s.recv_final()), 481)
        s.close()


class KeyControlTest(TuttidTestCase):

    def test_star_one_mutes_and_star_zero_leaves(self):
        s = UdpSocket()
        s.send(self.server.port, request("INVITE", self.server.port, body=SDP,
                                         contact_port=s.port))
        ok = s.recv_final()
        to = re.search(r"\r\nTo: (.*)\r\n", ok).group(1)
        s.send(self.server.port, request("ACK", self.server.port, branch="z9hG4bKack").replace(
            "To: <sip:1000@127.0.0.1>", f"To: {to}"))
        cseq = 2

        def press(key):
            nonlocal cseq
            info = request("INFO", self.server.port, branch=f"z9hG4bKkey{cseq}", cseq=cseq,
                           body=f"Signal={key}\r\nDuration=160\r\n").replace(
                "To: <sip:1000@127.0.0.1>", f"To: {to}").replace(
                "Content-Type: application/sdp", "Content-Type: application/dtmf-relay")
            cseq += 1
            s.send(self.server.port, info)
            self.assertEqual(status_of(s.recv_final()), 200)

        for key in ("1", "*", "1"):  # a lone 1 is no control; *1 is
            press(key)
        self.server.wait_for_log(r'msg="key control" .*action=toggle_mute')
        self.server.wait_for_log(r"msg=muted")
        self.assertEqual(self.server.log_text().count('msg="key control"'), 1)
        for key in ("*", "0"):
            press(key)
        bye = s.recv(timeout=3)
        self.assertTrue(bye.startswith("BYE "), bye)
        self.server.wait_for_log(r'why="left by key"')
        s.close()


class SessionTimerTest(TuttidTestCase):
    # Below RFC 4028's floor of 90 s only so the test takes seconds.
    sip_extra = "session_min_se_s = 2"

    def _call(self, s, extra):
        s.send(self.server.port, request("INVITE", self.server.port, body=SDP, extra=extra,
                                         contact_port=s.port))
        ok = s.recv_final()
        self.assertEqual(status_of(ok), 200)
        to = re.search(r"\r\nTo: (.*)\r\n", ok).group(1)
        s.send(self.server.port, request("ACK", self.server.port, branch="z9hG4bKack").replace(
            "To: <sip:1000@127.0.0.1>", f"To: {to}"))
        return ok

    def test_interval_below_min_se_gets_422(self):
        reply = udp_exchange(self.server.port, request(
            "INVITE", self.server.port, body=SDP,
            extra="Supported: timer\r\nSession-Expires: 1\r\n"))
        self.assertTrue(reply.startswith("SIP/2.0 422 "), reply)
        self.assertIn("\r\nMin-SE: 2\r\n", reply)

    def test_unrefreshed_session_is_ended_with_bye(self):
        s = UdpSocket()
        ok = self._call(s, "Supported: timer\r\nSession-Expires: 3;refresher=uac\r\n")
        self.assertIn("\r\nSession-Expires: 3;refresher=uac\r\n", ok)
        self.assertIn("\r\nRequire: timer\r\n", ok)
        # No refresh: the BYE comes at 3 - 1 = 2 s.
        bye = s.recv(timeout=5)
        self.assertTrue(bye.startswith("BYE "), bye)
        self.assertIn("session expired", bye)
        self.server.wait_for_log(r'why="session timer expired"')
        s.close()

    def test_uas_refresher_sends_update(self):
        s = UdpSocket()
        ok = self._call(s, "Supported: timer\r\nSession-Expires: 2;refresher=uas\r\n")
        self.assertIn("\r\nSession-Expires: 2;refresher=uas\r\n", ok)
        update = s.recv(timeout=4)
        self.assertTrue(update.startswith("UPDATE "), update)
        self.assertIn("Session-Expires: 2;refresher=uas", update)
        via = re.search(r"\r\nVia: (.*)\r\n", update).group(1)
        headers = {name: re.search(rf"\r\n{name}: (.*)\r\n", update).group(1)
                   for name in ("From", "To", "Call-ID", "CSeq")}
        s.send(self.server.port, f"SIP/2.0 200 OK\r\nVia: {via}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "Content-Length: 0\r\n\r\n")
        # Refreshed: a second UPDATE a second later, and no BYE in between.
        second = s.recv(timeout=4)
        self.assertTrue(second.startswith("UPDATE "), second)
        self.assertNotIn("session timer expired", self.server.log_text())
        s.close()


class OverloadTest(TuttidTestCase):
    limits = "max_requests_per_second = 1\nburst_requests = 3\nretry_after_s = 7"

    def test_request_rate_above_limit_gets_503_with_retry_after(self):
        s = UdpSocket()
        codes = []
        for i in range(8):
            s.send(self.server.port, request("OPTIONS", self.server.port, user="",
                                             branch=f"z9hG4bKrate{i}", call_id=f"rate-{i}"))
            response = s.recv()
            codes.append(status_of(response))
            if codes[-1] == 503:
                self.assertRegex(response, r"Retry-After: 7\r\n")
        self.assertEqual(codes[:3], [200, 200, 200])
        self.assertIn(503, codes)
        s.close()


class CallLimitTest(TuttidTestCase):
    limits = "max_calls = 1\nretry_after_s = 4"

    def test_call_above_max_calls_gets_503(self):
        s = UdpSocket()
        s.send(self.server.port, request("INVITE", self.server.port, body=SDP))
        self.assertEqual(status_of(s.recv_final()), 200)
        s.send(self.server.port, request("INVITE", self.server.port, body=SDP,
                                         branch="z9hG4bKsecond", call_id="call-2"))
        rejected = s.recv_final()
        while "call-2" not in rejected:  # skip retransmissions of the first 200
            rejected = s.recv_final()
        self.assertEqual(status_of(rejected), 503)
        self.assertRegex(rejected, r"Retry-After: 4\r\n")
        s.close()


class RingingRetransmissionTest(TuttidTestCase):
    sip_extra = "answer_delay_ms = 1500"

    def test_invite_retransmitted_while_ringing_gets_the_180_again(self):
        s = UdpSocket()
        invite = request("INVITE", self.server.port, body=SDP)
        s.send(self.server.port, invite)
        ringing = s.recv()
        while status_of(ringing) == 100:
            ringing = s.recv()
        self.assertEqual(status_of(ringing), 180)
        s.send(self.server.port, invite)
        self.assertEqual(s.recv(), ringing)  # the same 180, byte for byte
        self.assertEqual(status_of(s.recv_final()), 200)
        self.server.wait_for_log(r'msg="call answered"')
        self.assertEqual(self.server.log_text().count('msg="call answered"'), 1)
        s.close()


class TcpTest(TuttidTestCase):

    def _connect(self):
        c = socket.create_connection(("127.0.0.1", self.server.port), timeout=3)
        return c

    def test_two_messages_in_one_segment_and_one_split_over_many(self):
        c = self._connect()
        first = request("OPTIONS", self.server.port, user="", branch="z9hG4bKt1").replace(
            "UDP", "TCP")
        second = request("OPTIONS", self.server.port, user="", branch="z9hG4bKt2",
                         call_id="call-2").replace("UDP", "TCP")
        c.sendall(("\r\n\r\n" + first + second).encode())  # keep-alive CRLFs first
        third = request("OPTIONS", self.server.port, user="", branch="z9hG4bKt3",
                        call_id="call-3").replace("UDP", "TCP").encode()
        for i in range(0, len(third), 7):
            c.sendall(third[i:i + 7])
            time.sleep(0.001)
        data = b""
        deadline = time.time() + 10
        while data.count(b"SIP/2.0 200") < 3 and time.time() < deadline:
            data += c.recv(65535)
        self.assertEqual(data.count(b"SIP/2.0 200"), 3, data)
        c.close()

    def test_stream_without_content_length_is_closed(self):
        c = self._connect()
        c.sendall(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKx\r\n"
                  b"\r\n")
        c.settimeout(3)
        self.assertEqual(c.recv(100), b"")  # closed by the server
        c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
