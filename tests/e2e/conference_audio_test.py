"""End-to-end: real baresip callers in a room of a real tuttid. Each one
sends a tone; the recordings show who hears whom (by spectrum)."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from audio_tools import read_wav, silent_windows, tone_share, window, write_tone_wav  # noqa: E402
from baresip_client import BaresipClient  # noqa: E402
from lossy_caller import LossyRtpCaller  # noqa: E402
from tutti_harness import Tuttid, free_port  # noqa: E402

HEARD = 0.08      # a tone's share of the window's energy when it is clearly in the mix
NOT_HEARD = 0.01  # ... and when it is not


class ConferenceAudioTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="tutti-e2e-")
        self.server = Tuttid()
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            if client.process and client.process.poll() is None:
                client.process.kill()
        code = self.server.stop()
        self.work.cleanup()
        self.assertEqual(code, 0, self.server.log_text()[-3000:])

    def client(self, name, codec, tone_hz):
        rate, channels = (48000, 2) if codec == "opus" else (8000, 1)
        wav = os.path.join(self.work.name, f"{name}.wav")
        write_tone_wav(wav, tone_hz, 30, rate, channels)
        client = BaresipClient(name, self.work.name, free_port(), codec, wav, rate, channels)
        self.clients.append(client)
        return client

    def dial_all(self, clients, seconds, gap=1.0):
        """Dials one after the other `gap` apart; everyone hangs up at the same moment."""
        total = seconds + gap * (len(clients) - 1)
        for i, client in enumerate(clients):
            client.dial(f"sip:1000@127.0.0.1:{self.server.port}", int(total - i * gap))
            time.sleep(gap)
        for client in clients:
            client.wait(timeout=total + 30)

    def shares(self, client, tones, start_s, seconds):
        rate, samples = read_wav(client.recording())
        part = window(samples, rate, start_s, seconds)
        self.assertTrue(part, f"{client.name}'s recording is shorter than {start_s + seconds} s")
        return {hz: tone_share(part, rate, hz) for hz in tones}

    def test_three_callers_each_hear_the_other_two(self):
        tones = {"alice": 440, "bob": 700, "carol": 1150}
        clients = [self.client(name, "PCMU", hz) for name, hz in tones.items()]
        self.dial_all(clients, seconds=7)
        for client in clients:
            # The recording starts when the client's call does; carol joins
            # last, so two seconds into hers everyone is there (a margin for
            # a slow baresip start on a loaded machine).
            start = 4.0 - clients.index(client)
            shares = self.shares(client, tones.values(), start, 1.5)
            detail = f"{client.name} heard {shares}\n{self.server.log_text()[-2000:]}"
            for name, hz in tones.items():
                if name == client.name:
                    self.assertLess(shares[hz], NOT_HEARD, "own tone came back: " + detail)
                else:
                    self.assertGreater(shares[hz], HEARD, f"{name} not heard: " + detail)

    def test_g711_and_opus_callers_hear_each_other(self):
        narrow = self.client("narrow", "PCMU", 500)
        wide = self.client("wide", "opus", 900)
        self.dial_all([narrow, wide], seconds=5)
        heard_by_narrow = self.shares(narrow, [500, 900], 2.5, 1.5)
        heard_by_wide = self.shares(wide, [500, 900], 1.5, 1.5)
        self.assertGreater(heard_by_narrow[900], HEARD, heard_by_narrow)
        self.assertLess(heard_by_narrow[500], NOT_HEARD, heard_by_narrow)
        self.assertGreater(heard_by_wide[500], HEARD, heard_by_wide)
        self.assertLess(heard_by_wide[900], NOT_HEARD, heard_by_wide)
        self.assertIn("codec=opus", self.server.log_text())
        self.assertIn("codec=PCMU", self.server.log_text())

    def test_ten_percent_loss_still_gives_continuous_audio(self):
        listener = self.client("listener", "PCMU", 1300)
        listener.dial(f"sip:1000@127.0.0.1:{self.server.port}", 8)
        time.sleep(1.0)
        lossy = LossyRtpCaller(self.server.port, tone_hz=600, loss=0.10)
        lossy.call()
        lossy.stream(5.0)
        self.assertEqual(lossy.hang_up(), 200)
        listener.wait(timeout=40)
        self.assertGreaterEqual(lossy.dropped, 15, "the loss was not injected")
        rate, samples = read_wav(listener.recording())
        middle = window(samples, rate, 2.0, 3.0)  # the lossy caller talks from 1 s to 6 s
        self.assertGreater(tone_share(middle, rate, 600), HEARD)
        silent, total = silent_windows(middle, rate)
        self.assertLessEqual(silent, total // 100,
                             f"{silent} of {total} 20 ms windows silent despite concealment")
        # And the lossy caller heard the listener.
        self.assertGreater(tone_share(lossy.received[8000:24000], 8000, 1300), HEARD)
        self.assertIn("concealed=", self.server.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
