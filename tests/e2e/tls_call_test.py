"""End-to-end SIP over TLS: baresip callers reach room 1000 of a real
tuttid over TLS (transport=tls, the server verified with its self-signed
certificate as CA), and each hears the other by spectrum.

Needs TUTTID (the binary; ctest sets it), baresip and openssl.
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import Tuttid, require_tuttid  # noqa: E402

SETTLE_S = 1.0


class TlsCallTest(unittest.TestCase, ah.MixChecks):

    @classmethod
    def setUpClass(cls):
        ah.require_baresip()
        require_tuttid()

    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="tutti-e2e-tls-")
        self.addCleanup(self.work.cleanup)
        sip_extra, self.tls_port, self.ca = ah.tuttid_tls_config(self.work.name)
        self.server = Tuttid(sip_extra=sip_extra)
        self.addCleanup(self._stop_server)
        # baresip adds its account's ;transport=tls to the URI it dials.
        self.room_uri = f"sip:1000@127.0.0.1:{self.tls_port}"

    def _stop_server(self):
        code = self.server.stop()
        log = self.server.log_text()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + log[-3000:])

    def client(self, name, tone_hz):
        wav = ah.write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 30, 8000)
        client = ah.BaresipClient(name, self.work.name, codec="PCMU", source_wav=wav,
                                  transport="tls", tls_ca=self.ca)
        self.addCleanup(client.kill)
        return client

    def test_two_callers_over_tls_hear_each_other(self):
        tones = {"alice": 500, "bob": 900}
        clients = [self.client(name, hz) for name, hz in tones.items()]
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        # Both calls were TLS on tuttid's side, from INVITE to BYE.
        self.server.wait_for_log_count(r'msg="call answered".* transport=TLS', 2)
        self.server.wait_for_log_count(r'component=sip\.tls msg="TLS handshake done"', 2)
        for client in clients:
            log = client.log_text()
            self.assertRegex(log, r"INVITE sip:1000@127\.0\.0\.1:\d+;transport=tls[; ]",
                             client.log_tail())
            self.assertIn("SIP/2.0/TLS", log, client.log_tail())
            self.assertRegex(log, rf"Contact: <sip:tutti@127\.0\.0\.1:{self.tls_port};"
                                  r"transport=tls>", client.log_tail())
        all_in = max(c.event_time("CALL_ESTABLISHED") for c in clients) + SETTLE_S
        all_out = min(c.end_time() for c in clients) - 0.3
        window_s = min(2.0, all_out - all_in)
        self.assertGreater(window_s, 1.0, f"together only {all_out - all_in:.1f} s")
        middle = all_in + (all_out - all_in - window_s) / 2
        for client in clients:
            self.check_hears(client, middle, window_s, tones,
                             expected=[n for n in tones if n != client.name])
        records = self.server.wait_until("both calls recorded",
                                         lambda: len(self.server.call_records()) >= 2 and
                                         self.server.call_records())
        self.assertEqual({r["why"] for r in records}, {"caller hung up"}, records)


if __name__ == "__main__":
    unittest.main(verbosity=2)
