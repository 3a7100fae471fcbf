"""tutti-load against a real tuttid, briefly: a handful of calls in each
codec, every call answered and ended with BYE, no missing frames, and every
participant hears the talkers in each turn and silence in each pause. Also
that its checks can fail: unknown rooms are counted as 404s, and a talker
muted through the API is not heard by the other member of its room."""

import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from tutti_harness import TuttidTestCase, require_tuttid  # noqa: E402

TUTTI_LOAD = os.environ.get("TUTTI_LOAD", "tutti-load")


class TuttiLoadSmokeTest(TuttidTestCase):
    def load(self, *args, expect_code=0):
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--json", "--progress_s=1", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, expect_code,
                         f"{' '.join(command)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        self.assertIn("tutti-load", result.stderr)  # progress lines
        report = json.loads(result.stdout)
        # Whatever fails below, the whole report and the progress come with it.
        self.context = f"report:\n{json.dumps(report, indent=1)}\nstderr:\n{result.stderr}"
        return report

    def check_clean(self, report, calls):
        self.assertIsNone(report["error"], msg=self.context)
        self.assertEqual(report["calls"]["answered"], calls, msg=self.context)
        self.assertEqual(report["calls"]["byes_answered"], calls, msg=self.context)
        self.assertEqual(report["calls"]["failed"], 0, msg=self.context)
        media = report["media"]
        self.assertEqual(media["participants"], calls, msg=self.context)
        self.assertEqual(media["frames_missing"], 0, msg=self.context)
        self.assertGreater(media["packets_received"], 0, msg=self.context)
        self.assertEqual(media["malformed_received"], 0, msg=self.context)
        hearing = report["hearing"]
        self.assertGreater(hearing["turns_judged"], 0, msg=self.context)
        self.assertEqual(hearing["turns_heard"], hearing["turns_judged"], msg=self.context)
        self.assertEqual(hearing["pauses_noisy"], 0, msg=self.context)
        self.assertEqual(hearing["participants_judged"], calls, msg=self.context)
        self.assertEqual(hearing["participants_hearing_all"], calls, msg=self.context)
        self.assertIsNotNone(report["server"], msg=self.context)
        self.assertGreater(report["server"]["ticks"], 0, msg=self.context)
        self.assertGreater(report["server"]["cpu_s_per_participant_minute"], 0, msg=self.context)

    def test_g711_rooms_every_call_completes_without_gaps(self):
        report = self.load("--calls=6", "--room_size=3", "--codec=pcmu", "--cps=20",
                           "--duration_s=7", "--turn_s=2", "--pause_s=1")
        self.check_clean(report, 6)
        # Rooms made for the run are gone after it.
        status, body = self.server.api("GET", "/v1/rooms")
        self.assertEqual(status, 200)
        self.assertFalse([room for room in body["rooms"] if room["name"].startswith("load-")])

    def test_opus_with_dtx_every_call_completes_without_gaps(self):
        report = self.load("--calls=4", "--room_size=4", "--codec=opus", "--cps=20",
                           "--duration_s=7", "--turn_s=2", "--pause_s=1")
        self.check_clean(report, 4)

    def test_video_follows_the_talker_without_a_broken_picture(self):
        """Three video callers in a room take turns talking: each gets one
        continuous stream, the picture moves with the talker (switches past
        the first picture), every switch begins with a key frame of the new
        camera, which the server asked for, and nobody is shown itself."""
        calls = 3
        report = self.load(f"--calls={calls}", f"--room_size={calls}", "--codec=pcmu",
                           "--cps=20", "--duration_s=12", "--turn_s=3", "--pause_s=1",
                           "--video=vp8", "--video_kbps=300", "--video_fps=15")
        self.check_clean(report, calls)
        video = report["video"]
        self.assertEqual(video["offered"], calls, msg=self.context)
        if video["accepted"] == 0:
            # Until the SDP side of issue 16 is in, tuttid declines every
            # video line (port 0) and the calls keep their audio (checked).
            self.skipTest("tuttid declined every video line")
        self.assertEqual(video["accepted"], calls, msg=self.context)
        self.assertEqual(video["receivers"], calls, msg=self.context)
        self.assertEqual(video["receivers_without_video"], 0, msg=self.context)
        self.assertEqual(video["ssrc_changes"], 0, msg=self.context)
        self.assertEqual(video["packets_missing"], 0, msg=self.context)
        self.assertEqual(video["picture_id_jumps"], 0, msg=self.context)
        self.assertEqual(video["timestamp_backwards"], 0, msg=self.context)
        self.assertEqual(video["own_camera"], 0, msg=self.context)
        self.assertEqual(video["unreadable"], 0, msg=self.context)
        self.assertEqual(video["broken_switches"], 0, msg=self.context)
        self.assertEqual(video["frames_skipped"], 0, msg=self.context)
        # The first picture of each receiver, and then the floor moving.
        self.assertGreater(video["switches"], calls, msg=self.context)
        self.assertGreater(video["plis_received"] + video["firs_received"], 0, msg=self.context)
        self.assertGreater(video["server"]["packets_out"], 0, msg=self.context)

    def test_unknown_rooms_are_counted_as_404(self):
        report = self.load("--calls=3", "--create_rooms=false", "--room_prefix=nosuchroom",
                           "--duration_s=1", expect_code=1)
        self.assertEqual(report["calls"]["failed"], 3, msg=self.context)
        self.assertEqual(report["calls"]["failures_by_status"], {"404": 3}, msg=self.context)

    def test_a_talker_muted_through_the_api_is_reported_unheard(self):
        """The hearing checks can fail, and API mute reaches the audio: in a
        room of two, both talk in every turn; member 1 (load1) is muted
        through the API as soon as it joins, so member 0 hears nobody from
        then on, while member 1 still hears member 0. (Top-N cannot show
        this with tutti-load: its talkers play the same speech at the same
        level, so a top-1 place changes hands at every pause between words;
        ConferenceTest.TopOneMixesTheLouderTalkerUntilItFallsSilent checks
        top-1 with tones instead.)"""
        status, _ = self.server.api("POST", "/v1/rooms", {"name": "muted-0"})
        self.assertEqual(status, 201)
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--json", "--progress_s=1", "--calls=2", "--room_size=2",
                   "--create_rooms=false", "--room_prefix=muted-", "--duration_s=10",
                   "--turn_s=2", "--pause_s=1"]
        load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            self.mute_when_joined("muted-0", "sip:load1@")
            stdout, stderr = load.communicate(timeout=120)
        finally:
            if load.poll() is None:
                load.kill()
                load.communicate()
        self.assertEqual(load.returncode, 0, f"stdout:\n{stdout}\nstderr:\n{stderr}")
        report = json.loads(stdout)
        context = f"report:\n{json.dumps(report, indent=1)}\nstderr:\n{stderr}"
        hearing = report["hearing"]
        self.assertEqual(report["media"]["frames_missing"], 0, msg=context)
        # 3 whole periods of 3 s, judged by both members; the mute lands in
        # the first at the latest, so member 0 hears at most that one.
        self.assertGreaterEqual(hearing["turns_judged"], 6, msg=context)
        self.assertEqual(hearing["participants_judged"], 2, msg=context)
        self.assertEqual(hearing["participants_hearing_all"], 1, msg=context)
        self.assertLessEqual(hearing["turns_heard"], hearing["turns_judged"] // 2 + 1,
                             msg=context)
        self.assertGreaterEqual(hearing["turns_heard"], hearing["turns_judged"] // 2,
                                msg=context)

    def mute_when_joined(self, room, from_prefix):
        """Mutes the participant whose From starts with from_prefix as soon
        as the API lists it."""
        def joined():
            return next((p for uri, p in self.server.participants(room).items()
                         if uri.startswith(from_prefix)), None)

        participant = self.server.wait_until(f"{from_prefix}... never joined {room}", joined,
                                             timeout=30)
        status, answer = self.server.api(
            "POST", f"/v1/rooms/{room}/participants/{participant['id']}/mute", raw=b"")
        self.assertEqual((status, answer["muted"]), (200, True), answer)

    def test_ctrl_c_ends_the_run_with_a_bye_for_every_call(self):
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--json", "--progress_s=0.2", "--calls=4", "--room_size=4", "--cps=50",
                   "--duration_s=60"]
        load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            # Interrupted once every call is up and talking.
            for line in load.stderr:
                if " talk " in line:
                    break
            load.send_signal(signal.SIGINT)
            stdout, _ = load.communicate(timeout=60)
        finally:
            if load.poll() is None:
                load.kill()
        self.assertEqual(load.returncode, 1, stdout)
        report = json.loads(stdout)
        self.assertTrue(report["interrupted"], stdout)
        self.assertEqual(report["calls"]["answered"], 4, stdout)
        self.assertEqual(report["calls"]["byes_answered"], 4, stdout)
        self.assertLess(report["media"]["measured_s"], 30, stdout)
        status, body = self.server.api("GET", "/v1/rooms")
        self.assertEqual(status, 200)
        self.assertEqual([room for room in body["rooms"] if room["name"].startswith("load-")], [])

    def test_help_documents_the_flags(self):
        result = subprocess.run([TUTTI_LOAD, "--help"], capture_output=True, text=True,
                                timeout=10)
        # Help is asked for, not an error: stdout and exit 0 (issue 19; absl's
        # own --help exited 1). tests/ops/command_line_manners_test.py checks
        # the rest of the manners.
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        for flag in ("--calls", "--room_size", "--codec", "--cps", "--duration_s", "--hold_s",
                     "--json", "--video", "--video_kbps", "--video_fps",
                     "--keyframe_interval_s"):
            self.assertIn(flag, result.stdout)


if __name__ == "__main__":
    require_tuttid()
    unittest.main(verbosity=2)
