"""End-to-end audio: real baresip clients (and a Python caller with packet
loss) in room 1000 of a real tuttid; what each participant recorded is
checked by spectrum: who hears whom, mix-minus, G.711 with Opus, a
G.722 desk phone with both, a G.729 caller (bcg729 in Python: no client
here speaks G.729), and concealment of lost packets.

Needs TUTTID (the binary; ctest sets it) and baresip (Debian package).
TUTTI_E2E_VERBOSE=1 prints every tone timeline, not only on failure.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402

ROOMS = """
[[room]]
name = "1000"
codecs = ["PCMU", "PCMA", "opus", "G722", "G729"]
"""

VERBOSE = os.environ.get("TUTTI_E2E_VERBOSE") == "1"


class AudioMixTest(ah.TuttidCallTest):

    def setUp(self):
        super().setUp()
        self.start_tuttid(rooms=ROOMS)

    def client(self, name, codec, tone_hz):
        return self.tone_client(name, tone_hz, codec=codec)

    # --- tests
    def test_three_tones(self):
        """Three G.711 callers; each hears the other two and not itself."""
        tones = {"alice": 440, "bob": 700, "carol": 1150}
        clients = [self.client(name, "PCMU", hz) for name, hz in tones.items()]
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        for client in clients:
            self.assertEqual(client.negotiated(), "PCMU 8000Hz 1ch", client.log_tail())
        self.check_each_hears_the_others(clients, tones)

    def test_g711_and_opus(self):
        """A PCMU caller and an opus caller in one room hear each other."""
        tones = {"narrow": 500, "wide": 900}
        narrow = self.client("narrow", "PCMU", tones["narrow"])
        wide = self.client("wide", "opus", tones["wide"])
        self.join_one_by_one([narrow, wide], gap_s=1.0, last_stay_s=5)
        self.assertEqual(narrow.negotiated(), "PCMU 8000Hz 1ch", narrow.log_tail())
        self.assertEqual(wide.negotiated(), "opus 48000Hz 2ch", wide.log_tail())
        middle, window_s = self.together([narrow, wide],
                                         last_in=wide.event_time("CALL_ESTABLISHED"))
        self.check_hears(narrow, middle, window_s, tones, expected=["wide"])
        self.check_hears(wide, middle, window_s, tones, expected=["narrow"])

    def test_opus_callers_sending_audio_levels(self):
        """Three opus callers whose baresip sends the RFC 6464 audio level
        (`audio_level yes`): tuttid answers the extension, reads the level
        from each packet and still mixes and forwards every voice; each hears
        the other two and not itself."""
        tones = {"lev1": 440, "lev2": 700, "lev3": 1150}
        clients = [self.tone_client(name, hz, codec="opus", extra_config="audio_level\t\tyes")
                   for name, hz in tones.items()]
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=5)
        for client in clients:
            self.assertEqual(client.negotiated(), "opus 48000Hz 2ch", client.log_tail())
            # In its offer and in tuttid's answer (the SIP trace has both).
            self.assertGreaterEqual(
                client.log_text().count("urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 2,
                client.log_tail())
        self.check_each_hears_the_others(clients, tones)

    def test_g722_with_g711_and_opus(self):
        """A G.722 caller, a PCMU caller and an opus caller in one room each
        hear the other two. The G.722 caller's tone is 5 kHz, beyond any
        narrowband path: the opus caller hears it only if G.722 is decoded
        at 16 kHz and the room mixes wideband."""
        tones = {"narrow": 500, "wide": 900, "g722": 5000}
        narrow = self.client("narrow", "PCMU", tones["narrow"])
        wide = self.client("wide", "opus", tones["wide"])
        g722 = self.client("g722", "G722", tones["g722"])
        self.join_one_by_one([narrow, wide, g722], gap_s=1.0, last_stay_s=5)
        self.assertEqual(narrow.negotiated(), "PCMU 8000Hz 1ch", narrow.log_tail())
        self.assertEqual(wide.negotiated(), "opus 48000Hz 2ch", wide.log_tail())
        self.assertEqual(g722.negotiated(), "G722 16000Hz 1ch", g722.log_tail())
        self.assertIn("m=audio", " ".join(g722.sdp_media_lines()))
        middle, window_s = self.together([narrow, wide, g722])
        self.check_hears(g722, middle, window_s, tones, expected=["narrow", "wide"])
        self.check_hears(wide, middle, window_s, tones, expected=["narrow", "g722"])
        # 5 kHz is above what G.711 carries: the PCMU caller hears the opus one only.
        self.check_hears(narrow, middle, window_s, tones, expected=["wide"])
        rate, _, _ = self.recording(g722)
        self.assertEqual(rate, 16000)

    def test_g729_caller(self):
        """A caller offering only G.729 is answered with it (annexb=no),
        hears the room's PCMU caller and is heard by it."""
        tones = {"narrow": 700, "g729": 450}
        narrow = self.client("narrow", "PCMU", tones["narrow"])
        narrow.start(self.room_uri, hold_seconds=8)
        narrow.wait_event("CALL_ESTABLISHED", timeout=5)
        g729 = ah.LossyRtpCaller(self.server.port, user="1000", tone_hz=tones["g729"], loss=0.0,
                                 name="g729", codec=ah.G729Codec())
        self.addCleanup(g729.close)
        answer = g729.invite()
        self.assertIn("a=rtpmap:18 G729/8000", answer)
        self.assertIn("a=fmtp:18 annexb=no", answer)
        g729.stream(5.0)
        self.assertEqual(g729.bye(), 200, g729.trace_text())
        narrow.wait(timeout=20)
        sizes = {len(payload) for _, _, _, pt, payload in g729.received if pt == 18}
        self.assertEqual(sizes, {20}, "20 ms of G.729 is two 10-octet frames")
        # What the G.729 caller heard: the PCMU caller's tone, not its own.
        heard = ah.span(g729.received_audio(), 8000, 1.5, 2.5)
        shares = ah.dominant_tones(heard, 8000, tones.values())
        self.assertTrue(shares[tones["narrow"]] > self.HEARD
                        and shares[tones["g729"]] < self.NOT_HEARD,
                        f"the G.729 caller heard {shares} ({len(g729.received)} RTP packets)")
        # What the PCMU caller heard while the G.729 caller talked.
        self.check_hears(narrow, g729.stream_started + 1.5, 2.5, tones, expected=["g729"])

    def test_loss_concealment(self):
        """A caller losing 10% of its packets is heard without gaps."""
        tones = {"listener": 1300, "lossy": 600}
        stream_s = 6.0
        listener = self.client("listener", "PCMU", tones["listener"])
        listener.start(self.room_uri, hold_seconds=round(stream_s + 3.5))
        listener.wait_event("CALL_ESTABLISHED", timeout=5)
        lossy = ah.LossyRtpCaller(self.server.port, user="1000", tone_hz=tones["lossy"],
                                  loss=0.10, seed=11)
        self.addCleanup(lossy.close)
        time.sleep(0.5)
        lossy.invite()
        lossy.stream(stream_s)
        code = lossy.bye()
        self.assertEqual(code, 200, lossy.trace_text())
        listener.wait(timeout=30)
        sent, dropped = len(lossy.sent_seqs), len(lossy.dropped_seqs)
        fraction = dropped / (sent + dropped)
        self.assertTrue(0.07 <= fraction <= 0.13, f"the loss was not injected: {dropped} of "
                        f"{sent + dropped} packets dropped")

        rate, samples, start = self.recording(listener)
        description = self.describe(listener, rate, samples, list(tones.values()))
        description += f"\n--- records: {self.server.call_records()}"
        # The middle of the lossy stream: the listener hears that tone, not its own ...
        middle = lossy.stream_started + 1.5
        window_s = stream_s - 3.0
        self.check_hears(listener, middle, window_s, tones, expected=["lossy"])
        part = ah.span(samples, rate, middle - start, window_s)
        # ... with no dropouts: every lost packet was concealed ...
        silent, total = ah.silent_gaps(part, rate)
        self.assertLessEqual(silent, total // 100,
                             f"{silent} of {total} 20 ms windows silent in the middle "
                             f"{window_s:.0f} s while {fraction:.0%} of the packets were lost "
                             f"(no concealment?)" + description)
        # ... and none skipped: the tone lasts as long as it was sent.
        heard_s = ah.tone_duration(samples, rate, tones["lossy"])
        sent_s = (sent + dropped) * ah.LossyRtpCaller.PTIME_MS / 1000
        if VERBOSE:
            print(f"loss: dropped {dropped}/{sent + dropped}, {silent}/{total} silent windows, "
                  f"tone heard {heard_s:.2f} s of {sent_s:.2f} s; records "
                  f"{self.server.call_records()}")
        self.assertGreaterEqual(heard_s, sent_s * 0.95,
                                f"the lossy caller sent {sent_s:.2f} s of tone (with "
                                f"{dropped} packets lost), the listener heard {heard_s:.2f} s: "
                                "lost packets skipped rather than concealed?" + description)
        # The way back works too: the lossy caller heard the listener.
        back = ah.span(lossy.received_audio(), 8000, 1.0, 2.0)
        back_shares = ah.dominant_tones(back, 8000, tones.values())
        self.assertTrue(back_shares[tones["listener"]] > self.HEARD
                        and back_shares[tones["lossy"]] < self.NOT_HEARD,
                        f"the lossy caller heard {back_shares} ({len(lossy.received)} RTP packets)"
                        + description)


if __name__ == "__main__":
    unittest.main(verbosity=2)
