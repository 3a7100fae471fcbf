"""Video control over a real tuttid: a room's video_mode, video_hold_ms and
presenters through the control API (what GET shows, the checks a PATCH gets,
what the room database keeps), a moderator taking the floor and presenting
content with keys (SIP INFO), the events each of these publishes, and the
video counters in /metrics. Callers are the harness's SIP callers (audio
only: the participant JSON has no "video" object for them)."""

import os
import re
import shutil
import sys
import tempfile
import unittest

# After this directory: its dial_in_test (the INFO-key caller), not e2e's.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from dial_in_test import DtmfCaller  # noqa: E402
from tutti_harness import CallersTestCase, EventStream, Tuttid, check_clean_exit  # noqa: E402

ROOMS = """
[[room]]
name = "1000"

[[room]]
name = "3000"
moderator_pin = "99"

[[room]]
name = "5000"
moderator_pin = "55"
video_mode = "audio_only"
video_hold_ms = 4000
"""

VIDEO_COUNTERS = ["tutti_video_packets_in_total", "tutti_video_packets_out_total",
                  "tutti_video_keyframe_requests_total", "tutti_video_switches_total",
                  "tutti_video_switch_wait_seconds_total", "tutti_video_nacks_answered_total",
                  "tutti_video_retransmissions_total"]


class VideoControlTest(CallersTestCase):

    caller_class = DtmfCaller

    def setUp(self):
        super().setUp()
        self.db_dir = tempfile.mkdtemp(prefix="tutti-video-")
        self.start(rooms=ROOMS, media_extra="workers = 2",
                   extra_config=f'[store]\npath = "{self.db_dir}/rooms.db"\n')

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.db_dir, ignore_errors=True)

    def room(self, name):
        status, body = self.server.api("GET", f"/v1/rooms/{name}")
        self.assertEqual(status, 200, body)
        return body

    def patch(self, name, body, expect=200):
        status, answer = self.server.api("PATCH", f"/v1/rooms/{name}", body)
        self.assertEqual(status, expect, (body, answer))
        return answer

    def restart(self):
        """tuttid stopped and started again on the same room database."""
        check_clean_exit(self, self.server)
        self.server = Tuttid(rooms=ROOMS, extra_config=f'[store]\npath = "{self.db_dir}/rooms.db"\n')

    @staticmethod
    def room_video_events(events, room):
        """The room's video_mode_changed and presenter_changed events, in order, as
        ("video_mode", mode, by) and ("presenter", id, slides, by); each checked
        to carry exactly those fields."""
        out = []
        for kind, data in events.events:
            if kind == "video_mode_changed":
                assert set(data) == {"room", "video_mode", "by"}, data
                out.append(("video_mode", data["video_mode"], data["by"]))
            elif kind == "presenter_changed":
                assert set(data) == {"room", "presenter", "slides", "by"}, data
                out.append(("presenter", data["presenter"], data["slides"], data["by"]))
            else:
                continue
            assert data["room"] == room, data
        return out

    def joined(self, room, user, keys=None):
        """A caller in `room` (through its PIN prompt with `keys`): its API id."""
        caller = self.dial(room, user)
        if keys:
            self.server.wait_for_log(rf'call_id="?{re.escape(caller.call_id)}"? prompt=enter_pin')
            caller.keys(keys)
        listed = self.server.wait_until(f"{user} in room {room}",
                                        lambda: self.server.participants(room).get(
                                            f"sip:{user}@127.0.0.1"))
        return caller, listed["id"]

    def test_room_video_fields_are_shown_checked_and_kept(self):
        room = self.room("1000")
        self.assertEqual((room["video_mode"], room["video_hold_ms"], room["presenter"],
                          room["slides_presenter"]), ("default", 0, None, None))
        room = self.room("5000")  # as the config file says
        self.assertEqual((room["video_mode"], room["video_hold_ms"]), ("audio_only", 4000))

        room = self.patch("1000", {"video_mode": "presenter", "video_hold_ms": 1500})
        self.assertEqual((room["video_mode"], room["video_hold_ms"]), ("presenter", 1500))
        self.assertEqual(self.room("1000")["video_mode"], "presenter")
        status, made = self.server.api("POST", "/v1/rooms", {"name": "sales",
                                                             "video_mode": "follow_talker"})
        self.assertEqual((status, made["video_mode"]), (201, "follow_talker"))

        bad = [({"video_mode": "gallery"}, 400, "video_mode must be one of follow_talker, "
                                                "presenter, audio_only or \"default\""),
               ({"video_mode": 2}, 400, "video_mode must be one of"),
               ({"video_hold_ms": 60001}, 400, "video_hold_ms must be an integer from 0"),
               ({"presenter": "alice"}, 400, "presenter must be a participant id or null"),
               ({"slides_presenter": -3}, 400, "slides_presenter must be a participant id"),
               ({"presenter": 424242}, 404, 'no participant 424242 in room "1000"'),
               ({"slides_presenter": 424242}, 404, 'no participant 424242 in room "1000"')]
        for body, code, message in bad:
            status, answer = self.server.api("PATCH", "/v1/rooms/1000", body)
            self.assertEqual(status, code, (body, answer))
            self.assertEqual(answer["error"]["code"], code)
            self.assertIn(message, answer["error"]["message"])
        # A presenter is per meeting: a new room has none to be made with.
        self.assertEqual(self.server.api("POST", "/v1/rooms", {"name": "x", "presenter": 1})[0],
                         400)
        self.assertEqual(self.room("1000")["video_hold_ms"], 1500)  # the refused left it so

        # The room database keeps the mode and hold, as the room's other fields.
        self.restart()
        room = self.room("1000")
        self.assertEqual((room["video_mode"], room["video_hold_ms"], room["presenter"]),
                         ("presenter", 1500, None))
        self.assertEqual(self.room("sales")["video_mode"], "follow_talker")

    def test_the_api_sets_a_presenter_who_is_cleared_when_leaving(self):
        events = EventStream(self.server)
        alice, alice_id = self.joined("1000", "alice")
        bob, bob_id = self.joined("1000", "bob")
        self.assertNotIn("video", self.server.participants("1000")["sip:alice@127.0.0.1"])

        # Follow-the-talker shows no presenter: 409, and nothing changed.
        status, answer = self.server.api("PATCH", "/v1/rooms/1000", {"presenter": alice_id})
        self.assertEqual(status, 409, answer)
        self.assertIn('a presenter needs video_mode "presenter"', answer["error"]["message"])
        self.assertIsNone(self.room("1000")["presenter"])
        # A participant of another room is none of this one's.
        _, carol_id = self.joined("3000", "carol", keys="#")
        self.assertEqual(self.server.api("PATCH", "/v1/rooms/1000",
                                         {"slides_presenter": carol_id})[0], 404)

        room = self.patch("1000", {"video_mode": "presenter", "presenter": alice_id,
                                   "slides_presenter": bob_id})
        self.assertEqual((room["video_mode"], room["presenter"], room["slides_presenter"]),
                         ("presenter", alice_id, bob_id))
        self.assertEqual(self.room("1000")["presenter"], alice_id)
        self.assertEqual(self.patch("1000", {"slides_presenter": None})["slides_presenter"], None)

        alice.bye()
        self.server.wait_until("alice's presenting to end with her call",
                               lambda: self.room("1000")["presenter"] is None)
        self.assertEqual(self.room("1000")["video_mode"], "presenter")  # the mode stays
        bob.bye()
        # Bob's own departure (carol's join from the PIN prompt may publish later).
        self.server.wait_until("bob's leaving published", lambda: any(
            kind == "participant_left" and data.get("participant") == bob_id
            for kind, data in list(events.events)))
        self.assertEqual(self.room_video_events(events, "1000"), [
            ("video_mode", "presenter", "api"), ("presenter", alice_id, False, "api"),
            ("presenter", bob_id, True, "api"), ("presenter", None, True, "api"),
            ("presenter", None, False, "left")])
        # Nothing of a meeting's presenters is stored.
        self.restart()
        self.assertEqual((self.room("1000")["video_mode"], self.room("1000")["presenter"]),
                         ("presenter", None))

    def test_a_moderator_takes_the_floor_and_presents_content_by_keys(self):
        events = EventStream(self.server)
        moderator, moderator_id = self.joined("3000", "mod", keys="99#")
        self.joined("3000", "guest", keys="#")
        moderator.keys("#3")
        room = self.server.wait_until("the moderator presenting",
                                      lambda: (lambda r: r if r["presenter"] else None)(
                                          self.room("3000")))
        self.assertEqual((room["video_mode"], room["presenter"]), ("presenter", moderator_id))
        moderator.keys("#4")
        self.server.wait_until("the moderator's content",
                               lambda: self.room("3000")["slides_presenter"] == moderator_id)
        moderator.keys("#3")  # the floor back to the talker
        self.server.wait_until("nobody presenting",
                               lambda: self.room("3000")["presenter"] is None)
        self.assertEqual(self.room("3000")["slides_presenter"], moderator_id)
        self.server.wait_for_log(r'msg="key control" .*action=toggle_presenter moderator=true')
        self.assertEqual(self.room_video_events(events, "3000"), [
            ("video_mode", "presenter", "key"), ("presenter", moderator_id, False, "key"),
            ("presenter", moderator_id, True, "key"), ("presenter", None, False, "key")])

        # In an audio-only room the key does nothing to the room.
        other, _ = self.joined("5000", "mod2", keys="55#")
        other.keys("#3")
        self.server.wait_for_log(r'msg="no presenter in an audio-only room" room=5000')
        room = self.room("5000")
        self.assertEqual((room["video_mode"], room["presenter"]), ("audio_only", None))

    def test_metrics_have_the_video_counters_per_worker(self):
        status, text = self.server.api("GET", "/metrics")
        self.assertEqual(status, 200)
        for name in VIDEO_COUNTERS:
            self.assertRegex(text, rf"(?m)^# HELP {name} \S.*$", name)
            self.assertRegex(text, rf"(?m)^# TYPE {name} counter$", name)
            samples = re.findall(rf'(?m)^{name}{{worker="(\d+)"}} (\S+)$', text)
            self.assertEqual(sorted(worker for worker, _ in samples), ["0", "1"], name)
            for _, value in samples:
                self.assertGreaterEqual(float(value), 0.0)
        promtool = shutil.which("promtool")
        if promtool:  # the whole exposition, as Prometheus would read it
            import subprocess
            result = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                                    capture_output=True)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
