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
import shutil
import socket
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from srtp_test import LoopbackCapture  # noqa: E402
from tutti_harness import Tuttid, require_tuttid, udp_exchange  # noqa: E402

ROOMS = """
[[room]]
name = "1000"
codecs = ["PCMU"]
srtp = "required"
"""

SETTLE_S = 1.0
# A fingerprint (of no certificate anyone has) for the SIP-only tests.
FINGERPRINT = "sha-256 " + ":".join(["AB"] * 32)


def is_dtls(payload):
    return len(payload) > 13 and 20 <= payload[0] <= 63 and payload[1:3] == b"\xfe\xfd"


class DtlsSrtpTest(unittest.TestCase, ah.MixChecks):

    @classmethod
    def setUpClass(cls):
        ah.require_baresip()
        require_tuttid()
        if not os.path.exists("/usr/lib/baresip/modules/dtls_srtp.so"):
            raise AssertionError("baresip's dtls_srtp module is missing (package baresip)")

    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="tutti-dtls-")
        self.addCleanup(self.work.cleanup)

    def start_server(self, media_extra=""):
        self.server = Tuttid(rooms=ROOMS, media_extra=media_extra)
        self.addCleanup(self._stop_server)
        self.room_uri = f"sip:1000@127.0.0.1:{self.server.port}"
        with open(self.server.config_path) as f:
            config = f.read()
        self.rtp_first = int(re.search(r"rtp_port_min = (\d+)", config).group(1))
        self.rtp_last = int(re.search(r"rtp_port_max = (\d+)", config).group(1))

    def _stop_server(self):
        code = self.server.stop()
        log = self.server.log_text()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + log[-3000:])

    def client(self, name, tone_hz):
        wav = ah.write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 30, 8000)
        client = ah.BaresipClient(name, self.work.name, codec="PCMU", source_wav=wav,
                                  account_params=";mediaenc=dtls_srtp")
        # The module must be loaded before account.so reads `mediaenc`.
        config_path = os.path.join(client.dir, "config")
        with open(config_path) as f:
            config = f.read()
        with open(config_path, "w") as f:
            f.write(config.replace("module account.so", "module dtls_srtp.so\nmodule account.so"))
        self.addCleanup(client.kill)
        return client

    def test_dtls_srtp_callers_hear_each_other_and_nothing_goes_in_clear(self):
        self.start_server()
        tones = {"alice": 440, "bob": 700}
        clients = [self.client(name, hz) for name, hz in tones.items()]
        capture = LoopbackCapture(self.rtp_first, self.rtp_last)
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
        all_in = max(c.event_time("CALL_ESTABLISHED") for c in clients) + SETTLE_S
        all_out = min(c.end_time() for c in clients) - 0.3
        window_s = min(2.0, all_out - all_in)
        self.assertGreater(window_s, 1.0, f"the two were together only {all_out - all_in:.1f} s")
        middle = all_in + (all_out - all_in - window_s) / 2
        for client in clients:
            self.check_hears(client, middle, window_s, tones,
                             expected=[n for n in tones if n != client.name])

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
        # both ways carries 160 bytes of PCMU plus a tag, and its payload is
        # not the tone (in clear each would be nearly all of it).
        dtls = [(s, d) for s, d, p in capture.packets if is_dtls(p)]
        to_tutti_ports = {d for s, d in dtls if self.rtp_first <= d <= self.rtp_last}
        from_tutti_ports = {s for s, d in dtls if self.rtp_first <= s <= self.rtp_last}
        self.assertEqual(len(to_tutti_ports), 4, f"DTLS to tuttid's ports {to_tutti_ports}")
        self.assertEqual(from_tutti_ports, to_tutti_ports)
        rtp = [(s, d, p) for s, d, p in capture.packets if len(p) >= 12 and p[0] >> 6 == 2
               and p[1] & 0x7F == ah.PAYLOAD_TYPE["PCMU"]]
        to_tutti = [p for s, d, p in rtp if self.rtp_first <= d <= self.rtp_last]
        from_tutti = [p for s, d, p in rtp if self.rtp_first <= s <= self.rtp_last]
        self.assertGreater(len(to_tutti), 200, f"{len(capture.packets)} packets captured")
        self.assertGreater(len(from_tutti), 100, f"{len(capture.packets)} packets captured")
        # AES-CM with its 80-bit tag, or AES-GCM with 128 bits.
        for name, packets in (("to tuttid", to_tutti), ("from tuttid", from_tutti)):
            sizes = {len(p) for p in packets}
            self.assertEqual(len(sizes), 1, f"RTP {name}: sizes {sizes}")
            self.assertIn(sizes.pop(), (12 + 160 + 10, 12 + 160 + 16), f"RTP {name}")
            audio = []
            for p in packets:
                audio.extend(ah.ulaw2lin(p[12:12 + 160]))
            shares = ah.dominant_tones(audio, 8000, tones.values())
            self.assertTrue(all(share < self.NOT_HEARD for share in shares.values()),
                            f"RTP {name} decodes to the tones: {shares}")
            level = ah.level_dbfs(audio)
            self.assertGreater(level, -13, f"RTP {name}: {level:.1f} dBFS is not noise")
        # Every SRTP packet the callers sent after their handshake was taken.
        self.server.wait_until("two call records", lambda: len(self.server.call_records()) == 2)
        taken = sum(record["packets_in"] for record in self.server.call_records())
        self.assertGreaterEqual(taken, len(to_tutti) - 4, self.server.call_records())

    def invite(self, media_lines, call_id):
        sdp = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               + media_lines)
        invite = (f"INVITE sip:1000@127.0.0.1:{self.server.port} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK{call_id};rport\r\n"
                  "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\n"
                  f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:5999>\r\n"
                  f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")
        reply = udp_exchange(self.server.port, invite)
        while reply.startswith("SIP/2.0 100"):
            reply = udp_exchange(self.server.port, invite)
        return reply

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
        sdp = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\na=setup:actpass\r\n"
               f"a=fingerprint:{FINGERPRINT}\r\n")
        invite = (f"INVITE sip:1000@127.0.0.1:{self.server.port} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKsilent;rport\r\n"
                  "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\n"
                  f"Call-ID: dtls-silent\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:{port}>\r\n"
                  f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")
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
