"""End-to-end SIP over TLS: baresip callers reach room 1000 of a real
tuttid over TLS (transport=tls, the server verified with its self-signed
certificate as CA), and each hears the other by spectrum.

Needs TUTTID (the binary; ctest sets it), baresip and openssl.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402


class TlsCallTest(ah.TuttidCallTest):

    WORKDIR_PREFIX = "tutti-e2e-tls-"

    def setUp(self):
        super().setUp()
        sip_extra, self.tls_port, self.ca = ah.tuttid_tls_config(self.work.name)
        self.start_tuttid(sip_extra=sip_extra)
        # baresip adds its account's ;transport=tls to the URI it dials.
        self.room_uri = f"sip:1000@127.0.0.1:{self.tls_port}"

    def client(self, name, tone_hz):
        return self.tone_client(name, tone_hz, transport="tls", tls_ca=self.ca)

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
        self.check_each_hears_the_others(clients, tones)
        self.records_of_hung_up_calls(2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
