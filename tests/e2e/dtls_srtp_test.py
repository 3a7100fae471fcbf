"""End-to-end DTLS-SRTP: two baresip callers with `mediaenc=dtls_srtp`
(UDP/TLS/RTP/SAVPF, a=fingerprint, a=setup:actpass, no rtcp-mux) in a room
with srtp = "required" hear each other over plain SIP/UDP; tuttid answers
a=setup:passive with its certificate's fingerprint, runs a DTLS handshake
per component (RTP, and RTCP on its own port), and a capture of the
loopback shows the handshakes and no clear RTP; the API shows
media_encryption "dtls-srtp"; /metrics counts the handshakes. An offer
whose a=setup makes tutti the DTLS client gets 488 with the reason, and a
caller that never completes its handshake is sent BYE at the deadline.

Needs TUTTID (the binary; ctest sets it), baresip with its dtls_srtp
module, and root for the AF_PACKET capture on lo.
"""

import os
import re
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import final_reply, invite_request, sdp_offer  # noqa: E402

# A fingerprint (of no certificate anyone has) for the SIP-only tests.
FINGERPRINT = "sha-256 " + ":".join(["AB"] * 32)


def is_dtls(payload):
    return len(payload) > 13 and 20 <= payload[0] <= 63 and payload[1:3] == b"\xfe\xfd"


class DtlsSrtpTest(ah.TuttidCallTest):

    BARESIP_MODULE = "dtls_srtp.so"
    WORKDIR_PREFIX = "tutti-dtls-"

    def start_server(self, media_extra=""):
        self.start_tuttid(rooms=ah.SRTP_ROOMS, media_extra=media_extra)

    def client(self, name, tone_hz):
        client = self.tone_client(name, tone_hz, account_params=";mediaenc=dtls_srtp")
        ah.load_module_first(client, "dtls_srtp.so")
        return client

    def test_dtls_srtp_callers_hear_each_other_and_nothing_goes_in_clear(self):
        self.start_server()
        tones = {"alice": 440, "bob": 700}
        clients = [self.client(name, hz) for name, hz in tones.items()]
        capture = ah.LoopbackCapture(self.rtp_first, self.rtp_last)
        self.addCleanup(capture.stop)
        hold_s = 9
        for i, client in enumerate(clients):
            client.start(self.room_uri, hold_seconds=hold_s - i)
            client.wait_event("CALL_ESTABLISHED", timeout=5)
        # Each caller's RTP and RTCP components: four handshakes.
        self.server.wait_for_metric("tutti_dtls_handshakes_completed_total", 'worker="0"',
                                    at_least=4)
        participants = self.server.participants("1000")
        self.assertEqual(len(participants), 2, participants)
        for uri, participant in participants.items():
            self.assertEqual(participant["media_encryption"], "dtls-srtp", participant)
        for client in clients:
            client.wait(timeout=hold_s + 20)
        capture.stop()

        for client in clients:
            self.assertTrue(any("UDP/TLS/RTP/SAVPF" in line for line in client.sdp_media_lines()),
                            client.log_tail())
            # tuttid's answer: passive, with its fingerprint; baresip checked it.
            self.assertRegex(client.log_text(), r"a=setup:passive")
            self.assertRegex(client.log_text(), r"a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}")
            self.assertIn("verified sha-256 fingerprint ok", client.log_text().lower(),
                          client.log_tail())
        self.check_each_hears_the_others(clients, tones)

        self.assertEqual(len(re.findall(r'msg="call answered".*media_encryption=dtls-srtp',
                                        self.server.log_text())), 2, self.server.log_text()[-3000:])
        self.assertEqual(self.server.metric("tutti_dtls_handshakes_completed_total",
                                            'worker="0"'), 4)
        for failure in ("failed", "timed_out"):
            self.assertEqual(self.server.metric(f"tutti_dtls_handshakes_{failure}_total",
                                                'worker="0"'), 0)
        self.assertEqual(self.server.metric("tutti_dtls_fingerprint_mismatches_total",
                                            'worker="0"'), 0)

        # The wire: DTLS both ways on RTP and RTCP ports; every RTP packet
        # both ways carries 160 bytes of PCMU plus a tag (AES-CM with its
        # 80-bit tag, or AES-GCM with 128 bits) and decodes to noise, and
        # every one the callers sent after their handshake was taken.
        dtls = [(s, d) for s, d, p in capture.packets if is_dtls(p)]
        to_tutti_ports = {d for s, d in dtls if self.rtp_first <= d <= self.rtp_last}
        from_tutti_ports = {s for s, d in dtls if self.rtp_first <= s <= self.rtp_last}
        self.assertEqual(len(to_tutti_ports), 4, f"DTLS to tuttid's ports {to_tutti_ports}")
        self.assertEqual(from_tutti_ports, to_tutti_ports)
        self.check_srtp_on_the_wire(capture, tones, sizes=(12 + 160 + 10, 12 + 160 + 16))

    def invite(self, media_lines, call_id):
        return final_reply(self.server.port, invite_request(
            self.server.port, "1000", sdp_offer(media_lines), call_id, f"z9hG4bK{call_id}"))

    def test_offer_making_tutti_the_dtls_client_gets_488_with_the_reason(self):
        self.start_server()
        reply = self.invite("m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\na=setup:passive\r\n"
                            f"a=fingerprint:{FINGERPRINT}\r\n", "dtls-passive")
        self.assertTrue(reply.startswith("SIP/2.0 488 Not Acceptable Here\r\n"), reply)
        self.assertRegex(reply, r'\r\nWarning: 399 tutti "DTLS-SRTP: tutti is the DTLS server '
                                r'only[^"]*"\r\n')

    def test_caller_that_never_completes_its_handshake_is_sent_bye(self):
        self.start_server(media_extra="dtls_handshake_timeout_s = 1")
        # A SIP endpoint of our own: it takes the 200, ACKs, never speaks DTLS.
        sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sip.bind(("127.0.0.1", 0))
        self.addCleanup(sip.close)
        sip.settimeout(5)
        port = sip.getsockname()[1]
        sdp = sdp_offer("m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\na=setup:actpass\r\n"
                        f"a=fingerprint:{FINGERPRINT}\r\n")
        invite = invite_request(self.server.port, "1000", sdp, "dtls-silent", "z9hG4bKsilent",
                                contact_port=port)
        sip.sendto(invite.encode(), ("127.0.0.1", self.server.port))
        while True:
            reply = sip.recv(65535).decode()
            if not reply.startswith("SIP/2.0 1"):
                break
        self.assertTrue(reply.startswith("SIP/2.0 200"), reply)
        self.assertIn("a=setup:passive", reply)
        fingerprint = re.search(r"a=fingerprint:sha-256 ([0-9A-F:]+)", reply)
        self.assertIsNotNone(fingerprint, reply)
        self.assertEqual(len(fingerprint.group(1)), 32 * 3 - 1)
        to_tag = re.search(r"\r\nTo: [^\r]*;tag=([^;\r]+)", reply).group(1)
        ack = (f"ACK sip:1000@127.0.0.1:{self.server.port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKsilentack;rport\r\n"
               f"From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>;tag={to_tag}\r\n"
               "Call-ID: dtls-silent\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
        sip.sendto(ack.encode(), ("127.0.0.1", self.server.port))
        started = time.monotonic()
        bye = sip.recv(65535).decode()
        waited = time.monotonic() - started
        self.assertTrue(bye.startswith("BYE "), bye)
        self.assertIn("DTLS-SRTP handshake timed out", bye)
        self.assertLess(waited, 4.0)
        self.assertEqual(self.server.metric("tutti_dtls_handshakes_timed_out_total",
                                            'worker="0"'), 1)
        self.server.wait_for_log(r'msg="DTLS-SRTP failed, ending call".*call_id=dtls-silent')


if __name__ == "__main__":
    unittest.main(verbosity=2)
