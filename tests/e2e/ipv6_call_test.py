"""End-to-end IPv6 media (issue 15: linphonec's c=IN IP6 offer was answered
200 OK into 25 s of silence): baresip callers on ::1 reach room 1000 of a
real tuttid over IPv6, tuttid answers c=IN IP6 with its [media] address6,
and they hear each other by spectrum. With no address6, an IPv6 offer gets
488 with Warning 301.

Needs TUTTID (the binary; ctest sets it) and baresip.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402


class Ipv6CallTest(ah.TuttidCallTest):

    WORKDIR_PREFIX = "tutti-e2e-ipv6-"

    def start_on_ipv6(self, media_extra='address6 = "::1"'):
        self.start_tuttid(listen="::1", media_extra=media_extra)
        self.room_uri = f"sip:1000@[::1]:{self.server.port}"

    def test_an_ipv4_and_an_ipv6_caller_hear_each_other(self):
        # A dual-stack room: SIP on both loopbacks, each caller answered in
        # its own family, one mix.
        self.start_tuttid(listen=["127.0.0.1", "::1"], media_extra='address6 = "::1"')
        tones = {"alice": 500, "carol": 900}
        alice = self.tone_client("alice", tones["alice"])
        carol = self.tone_client("carol", tones["carol"], address="::1")
        uris = {"alice": f"sip:1000@127.0.0.1:{self.server.port}",
                "carol": f"sip:1000@[::1]:{self.server.port}"}
        self.join_one_by_one([alice, carol], gap_s=1.0, last_stay_s=5, uris=uris)
        self.server.wait_for_log_count(r'msg="call answered"', 2)
        self.assertRegex(alice.log_text(), r"200 OK(.|\n)*c=IN IP4 127\.0\.0\.1", alice.log_tail())
        self.assertRegex(carol.log_text(), r"200 OK(.|\n)*c=IN IP6 ::1", carol.log_tail())
        self.check_each_hears_the_others([alice, carol], tones)

    def test_two_ipv6_callers_hear_each_other(self):
        self.start_on_ipv6()
        tones = {"alice": 500, "carol": 900}
        clients = [self.tone_client(name, hz, address="::1") for name, hz in tones.items()]
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        self.server.wait_for_log_count(r'msg="call answered".* remote_media=\[::1\]:\d+', 2)
        for client in clients:
            # Offered in IPv6, answered in IPv6 from tuttid's address6.
            self.assertRegex(client.log_text(), r"c=IN IP6 ::1\r?\n(.|\n)*200 OK(.|\n)*"
                                                r"o=tutti \d+ \d+ IN IP6 ::1\r?\n(.|\n)*"
                                                r"c=IN IP6 ::1", client.log_tail())
        self.check_each_hears_the_others(clients, tones)
        records = self.records_of_hung_up_calls(2)
        self.assertEqual([r["foreign_packets"] for r in records], [0, 0], records)

    def test_without_an_ipv6_media_address_an_ipv6_offer_gets_488_with_a_warning(self):
        self.start_on_ipv6(media_extra='address6 = ""')
        alice = self.tone_client("alice6", 500, address="::1")
        alice.start(self.room_uri, hold_seconds=3)
        self.server.wait_for_log(r'msg="media address refused".* why="IPv6 media is not '
                                 r'configured here"')
        alice.wait(timeout=20)
        self.assertRegex(alice.log_text(), r'SIP/2\.0 488 Not Acceptable Here\r?\n(.|\n)*'
                                           r'Warning: 301 tutti "IPv6 media is not configured here"',
                         alice.log_tail())
        self.assertIsNone(alice.event_time("CALL_ESTABLISHED"), alice.log_tail())
        self.assertEqual(self.server.call_records(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
