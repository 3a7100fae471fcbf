"""End-to-end interop with linphonec 5.1 (Debian's linphone-cli): it calls
room 1000 of a real tuttid over IPv4 and plays a tone for a few seconds.

What it found (issue 15): without ICE, linphone sends STUN Binding requests
to the RTP and RTCP ports to open NAT bindings (2 on RTP, 9-10 on RTCP until
its first report), which tutti counted as malformed RTP and RTCP
(`malformed=2 malformed_rtcp=10`). The call must show no malformed packet,
the STUN counted as such, and linphone's reports read.

Needs TUTTID (the binary; ctest sets it) and linphonec (ops/setup.sh).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import Tuttid, check_clean_exit, free_port  # noqa: E402

LINPHONEC = os.environ.get("LINPHONEC", "linphonec")
# linphone keeps sending STUN on the RTCP port until its first report, 5 s
# into the call: the call lasts beyond that.
CALL_SECONDS = 7


class Linphonec:
    """linphonec driven through stdin, with a home and a config of its own:
    IPv4 only (CLIENTS.md), its SIP and RTP on ports of this test process,
    a WAV as its microphone."""

    def __init__(self, workdir):
        self.dir = workdir
        home = os.path.join(workdir, "home")
        # linphonec crashes on `chat` without it, and keeps its databases there.
        os.makedirs(os.path.join(home, ".local", "share", "linphone"))
        self.env = dict(os.environ, HOME=home)
        self.sip_port = free_port()
        rtp = free_port(pair=True)
        self.wav = os.path.join(workdir, "tone.wav")
        ah.write_tone_wav(self.wav, 700, CALL_SECONDS + 5, 16000)
        self.rc = os.path.join(workdir, "linphonerc")
        with open(self.rc, "w") as f:
            f.write(f"""[sip]
sip_port={self.sip_port}
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
ipv6_migration_done=1
guess_hostname=0
contact=sip:linphone@127.0.0.1:{self.sip_port}

[rtp]
audio_rtp_port={rtp}
video_rtp_port={free_port()}
text_rtp_port={free_port()}
""")
        self.log_path = os.path.join(workdir, "linphone.log")
        self.out = open(os.path.join(workdir, "linphonec.out"), "w")
        self.proc = subprocess.Popen([LINPHONEC, "-c", self.rc, "-d", "5", "-l", self.log_path],
                                     stdin=subprocess.PIPE, stdout=self.out,
                                     stderr=subprocess.STDOUT, env=self.env, text=True)

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def log_tail(self, chars=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return "(no linphone log)"

    def close(self):
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.out.close()


class LinphoneInteropTest(unittest.TestCase):

    def setUp(self):
        if shutil.which(LINPHONEC) is None:
            self.fail("linphonec is not installed (ops/setup.sh installs linphone-cli)")
        self.work = tempfile.TemporaryDirectory(prefix="tutti-e2e-linphone-")
        self.server = Tuttid(rooms='[[room]]\nname = "1000"\nmusic_when_alone = true\n')
        self.phone = Linphonec(self.work.name)

    def tearDown(self):
        self.phone.close()
        check_clean_exit(self, self.server)
        self.work.cleanup()

    def test_a_linphone_call_has_no_malformed_packets(self):
        self.phone.command("soundcard use files")
        self.phone.command(f"play {self.phone.wav}")
        self.phone.command(f"call sip:1000@127.0.0.1:{self.server.port}")
        try:
            answered = self.server.wait_for_log(r'msg="call answered" call_id=(\S+) .*', 20)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- linphone log:\n{self.phone.log_tail()}") from None
        call_id = answered.group(1)
        self.assertIn("codec=opus", answered.group(0))
        time.sleep(CALL_SECONDS)  # an audio window: linphone's STUN and first reports
        self.phone.command("terminate")
        self.server.wait_for_log(rf'msg="call ended" call_id={re.escape(call_id)} .*'
                                 r'why="caller hung up"')
        stats = self.server.wait_for_log(
            rf'msg="media stats" call_id={re.escape(call_id)} .*').group(0)
        counters = dict(re.findall(r" (\w+)=(\d+)", stats))
        self.assertEqual((counters["malformed"], counters["malformed_rtcp"]), ("0", "0"), stats)
        # At least the first pair (RTP and RTCP); more on RTCP until linphone's first report.
        self.assertGreaterEqual(int(counters["stun"]), 2, stats)
        self.assertGreater(int(counters["packets_in"]), 50 * (CALL_SECONDS - 2), stats)
        stun_sent = len(re.findall(r"Stun packet of length \d+ sent on rt", self.phone.log_tail(
            10 ** 7)))
        self.assertGreaterEqual(stun_sent, int(counters["stun"]), "linphone's log")
        record = self.server.wait_until(
            "no call record for linphone's call",
            lambda: next((r for r in self.server.call_records() if r["call_id"] == call_id), None))
        self.assertEqual(record["malformed_packets"], 0, record)


if __name__ == "__main__":
    unittest.main(verbosity=2)
