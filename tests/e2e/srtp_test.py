"""End-to-end SRTP: two baresip callers with SDES (`mediaenc=srtp-mand`,
RTP/SAVP with a=crypto) in a room with srtp = "required" hear each other;
a capture of the loopback shows no clear RTP between them and tuttid; the
keys reach no log or call record; a plain RTP/AVP caller gets 488. Once
over SIP/TLS with the default config (keys only over TLS), once over UDP
with `[media] sdes_over_plain_sip = true`; without that, SDES over UDP is
refused with 488.

Needs TUTTID (the binary; ctest sets it), baresip with its srtp module, and
root for the AF_PACKET capture on lo.
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import final_reply, invite_request, sdp_offer  # noqa: E402


class SrtpTest(ah.TuttidCallTest):

    BARESIP_MODULE = "srtp.so"
    WORKDIR_PREFIX = "tutti-srtp-"

    def setUp(self):
        super().setUp()
        self.transport = "udp"
        self.ca = None

    def start_server(self, sdes_over_plain_sip=False, tls=False):
        sip_extra = ""
        if tls:
            sip_extra, tls_port, self.ca = ah.tuttid_tls_config(self.work.name)
            self.transport = "tls"
        media_extra = "sdes_over_plain_sip = true" if sdes_over_plain_sip else ""
        self.start_tuttid(rooms=ah.SRTP_ROOMS, sip_extra=sip_extra, media_extra=media_extra)
        if tls:
            # baresip adds its account's ;transport=tls to the URI it dials.
            self.room_uri = f"sip:1000@127.0.0.1:{tls_port}"

    def client(self, name, tone_hz, mediaenc="srtp-mand"):
        """A caller with the srtp module; mediaenc=None offers plain RTP."""
        client = self.tone_client(name, tone_hz, transport=self.transport, tls_ca=self.ca,
                                  account_params=f";mediaenc={mediaenc}" if mediaenc else "")
        ah.load_module_first(client, "srtp.so")
        return client

    def test_sdes_over_tls_callers_hear_each_other_and_nothing_goes_in_clear(self):
        self.start_server(tls=True)
        self.sdes_call()
        self.server.wait_for_log_count(r'msg="call answered".* transport=TLS', 2)

    def test_sdes_over_udp_where_allowed(self):
        self.start_server(sdes_over_plain_sip=True)
        self.sdes_call()

    def test_sdes_over_udp_is_refused_by_default(self):
        self.start_server()
        caller = self.client("alice", 440)
        caller.start(self.room_uri, hold_seconds=5)
        caller.wait_event("CALL_CLOSED", timeout=10)
        self.assertRegex(caller.log_text(), r'Warning: 399 tutti "SDES keys are only taken over '
                                            r'TLS"', caller.log_tail())

    def sdes_call(self):
        tones = {"alice": 440, "bob": 700}
        clients = [self.client(name, hz) for name, hz in tones.items()]
        capture = ah.LoopbackCapture(self.rtp_first, self.rtp_last)
        self.addCleanup(capture.stop)
        # Long enough for periodic RTCP (every ~5 s) both ways.
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=9)
        capture.stop()

        for client in clients:
            self.assertTrue(any("RTP/SAVP" in line for line in client.sdp_media_lines()),
                            client.log_tail())
        self.check_each_hears_the_others(clients, tones)

        # tuttid negotiated SDES for both.
        self.assertEqual(len(re.findall(r'msg="call answered".*media_encryption=sdes',
                                        self.server.log_text())), 2, self.server.log_text()[-3000:])

        # The wire: every RTP packet both ways carries 160 bytes of PCMU and
        # an 80-bit tag and decodes to noise, and every one the callers sent
        # was authenticated and taken.
        self.check_srtp_on_the_wire(capture, tones, sizes=(12 + 160 + 10,))
        # Nothing replayed; what tuttid refused is baresip's RTCP outside
        # SRTCP: a plain APP keep-alive at the start, a BYE without the E
        # flag at the end.
        outside_srtcp = [p for s, d, p in capture.packets
                         if self.rtp_first <= d <= self.rtp_last and len(p) >= 2
                         and p[1] in (203, 204) and (len(p) <= 16 or p[1] == 203)]
        self.assertLessEqual(self.server.metric("tutti_srtp_auth_failed_total", 'worker="0"'),
                             len(outside_srtcp))
        self.assertEqual(self.server.metric("tutti_srtp_replayed_total", 'worker="0"'), 0)

        # The keys (both sides', from the SIP trace) are in no log or record.
        keys = set()
        for client in clients:
            keys.update(re.findall(r"a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)",
                                   client.log_text()))
        self.assertGreaterEqual(len(keys), 4, "expected an offered and an answered key per call")
        log = self.server.log_text()
        with open(self.server.records_path) as f:
            records = f.read()
        for key in keys:
            self.assertNotIn(key, log)
            self.assertNotIn(key, records)

    def test_plain_caller_gets_488_with_the_reason(self):
        self.start_server(sdes_over_plain_sip=True)
        reply = final_reply(self.server.port, invite_request(
            self.server.port, "1000", sdp_offer("m=audio 40000 RTP/AVP 0\r\n"), "plain-1",
            "z9hG4bKplain"))
        self.assertTrue(reply.startswith("SIP/2.0 488 Not Acceptable Here\r\n"), reply)
        self.assertRegex(reply, r'\r\nWarning: 399 tutti "SRTP required[^"]*"\r\n')

    def test_plain_baresip_gets_488(self):
        self.start_server(tls=True)
        plain = self.client("plain", 500, mediaenc=None)
        plain.start(self.room_uri, hold_seconds=5)
        plain.wait_event("CALL_CLOSED", timeout=10)
        closed = [m for _, m in plain.events if m.get("type") == "CALL_CLOSED"]
        self.assertIn("488", str(closed), plain.log_tail())


if __name__ == "__main__":
    unittest.main(verbosity=2)
