"""The control API over real HTTP against a real tuttid: every endpoint,
bad input with its documented errors, /metrics and the /v1/events stream."""

import os
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import LossyRtpCaller, dominant_tones, read_wav  # noqa: E402
from tutti_harness import (EventStream, TuttidTestCase, final_reply, invite_request,  # noqa: E402
                           sdp_offer)


class ControlApiTest(TuttidTestCase):
    def call(self, method, path, body=None, token=True, raw=None):
        return self.server.api(method, path, body, raw=raw, token=token)

    def wait_for_talking_participant(self, room="1000", timeout=10.0):
        """The room's only participant, once the API says it is talking."""
        seen = {}

        def talking():
            status, body = self.call("GET", f"/v1/rooms/{room}/participants")
            self.assertEqual(status, 200)
            seen["body"] = body
            return len(body["participants"]) == 1 and body["participants"][0]["talking"]

        self.server.wait_until(f"one talking participant in room {room}", talking, timeout)
        return seen["body"]["participants"][0]

    def test_missing_or_wrong_token_is_401(self):
        status, body = self.call("GET", "/v1/rooms", token=False)
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["code"], 401)
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.api_port}/metrics",
                                         headers={"Authorization": "Bearer wrong"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        self.assertEqual(caught.exception.code, 401)
        self.assertEqual(self.call("GET", "/v1/health", token=False)[0], 200)

    def test_room_lifecycle(self):
        status, body = self.call("GET", "/v1/rooms")
        self.assertEqual(status, 200)
        self.assertEqual([r["name"] for r in body["rooms"]], ["1000", "pcmu-only"])

        status, room = self.call("POST", "/v1/rooms", {"name": "sales", "codecs": ["PCMA"],
                                                       "max_participants": 5})
        self.assertEqual(status, 201)
        # This tuttid has no [store] path: the answer says the room is not kept.
        self.assertIn("lost when tuttid stops", room.pop("warning"))
        self.assertEqual(room, {"name": "sales", "codecs": ["PCMA"], "max_participants": 5,
                                "locked": False, "announce_joins": False, "record": False,
                                "announce_count": False, "music_when_alone": False,
                                "wait_for_moderator": False, "end_when_moderator_leaves": False,
                                "max_talkers": 0, "has_pin": False, "has_moderator_pin": False,
                                "video_mode": "default", "video_hold_ms": 0, "presenter": None,
                                "slides_presenter": None, "participants": 0, "stored": False,
                                "noise_suppression": False, "agc": False,
                                "noise_suppression_db": 30})
        self.assertEqual(self.call("POST", "/v1/rooms", {"name": "sales"})[0], 409)
        # The IVR's number is not a room name to take.
        self.assertEqual(self.call("POST", "/v1/rooms", {"name": "conference"})[0], 409)

        # PINs are set but never shown; bad ones are refused with the reason.
        status, room = self.call("PATCH", "/v1/rooms/sales", {"pin": "1234",
                                                              "moderator_pin": "98765",
                                                              "wait_for_moderator": True,
                                                              "max_talkers": 2,
                                                              "noise_suppression": True,
                                                              "agc": True,
                                                              "noise_suppression_db": 20})
        self.assertEqual(status, 200, room)
        self.assertEqual((room["has_pin"], room["has_moderator_pin"], room["wait_for_moderator"],
                          room["max_talkers"]), (True, True, True, 2))
        self.assertEqual((room["noise_suppression"], room["agc"], room["noise_suppression_db"]),
                         (True, True, 20))
        self.assertEqual(self.call("GET", "/v1/rooms/sales")[1]["noise_suppression_db"], 20)
        self.assertNotIn("pin", room)
        for bad in ({"pin": "12ab"}, {"pin": 1234}, {"moderator_pin": "1234"},
                    {"max_talkers": 17}, {"announce_count": "yes"}, {"agc": 1},
                    {"noise_suppression": "on"}, {"noise_suppression_db": 5},
                    {"noise_suppression_db": 61}):
            status, body = self.call("PATCH", "/v1/rooms/sales", bad)
            self.assertEqual(status, 400, (bad, body))
            self.assertIn("message", body["error"])
        status, room = self.call("PATCH", "/v1/rooms/sales", {"pin": "", "moderator_pin": ""})
        self.assertEqual((room["has_pin"], room["has_moderator_pin"]), (False, False))

        status, room = self.call("PATCH", "/v1/rooms/sales", {"locked": True})
        self.assertEqual((status, room["locked"]), (200, True))
        status, room = self.call("GET", "/v1/rooms/sales")
        self.assertEqual((status, room["participant_list"]), (200, []))

        # A locked room refuses callers.
        reply = final_reply(self.server.port, invite_request(
            self.server.port, "sales", sdp_offer("m=audio 40000 RTP/AVP 8\r\n"), "locked-1",
            "z9hG4bKlock"))
        self.assertTrue(reply.startswith("SIP/2.0 403 Room Locked\r\n"), reply)

        self.assertEqual(self.call("DELETE", "/v1/rooms/sales")[0], 204)
        self.assertEqual(self.call("GET", "/v1/rooms/sales")[0], 404)
        self.assertEqual(self.call("DELETE", "/v1/rooms/sales")[0], 404)

    def test_room_with_record_is_recorded_while_occupied(self):
        status, room = self.call("POST", "/v1/rooms", {"name": "rec", "record": True})
        self.assertEqual((status, room["record"]), (201, True))
        caller = LossyRtpCaller(self.server.port, user="rec", tone_hz=600, loss=0.0)
        caller.invite()
        caller.stream(1.5)
        self.assertEqual(caller.bye(), 200)
        self.server.wait_for_log(r'msg="recording stopped" room=rec')
        files = os.listdir(os.path.join(self.server.dir, "recordings"))
        self.assertEqual(len(files), 1, files)
        self.assertTrue(files[0].startswith("rec-") and files[0].endswith(".ogg"), files)
        with open(os.path.join(self.server.dir, "recordings", files[0]), "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"OggS"))
        self.assertIn(b"OpusHead", data)
        self.assertGreater(len(data), 3000)

    def test_a_rooms_max_talkers_set_and_changed_through_the_api_takes_effect(self):
        # Top-1 from the room's creation, before its conference exists on a
        # worker; then back to the server's default (3) while they talk.
        status, room = self.call("POST", "/v1/rooms", {"name": "topn", "max_talkers": 1})
        self.assertEqual((status, room["max_talkers"]), (201, 1))
        # A talker clearly louder than the other (12 dB), and a listener who
        # sends silence (tutti sends only to a peer it has heard from).
        callers = [LossyRtpCaller(self.server.port, user="topn", tone_hz=hz, loss=0.0,
                                  amplitude=amplitude, name=name, seed=seed)
                   for name, hz, amplitude, seed in (("loud", 500, 8000, 1),
                                                     ("quiet", 1100, 2000, 2),
                                                     ("listener", 700, 0, 3))]
        listener = callers[2]
        try:
            for caller in callers:
                caller.invite()

            def heard():
                """Both talkers' shares of what the listener hears in the middle
                of 1.5 s of all three streaming."""
                before = len(listener.received_audio())
                streams = [threading.Thread(target=c.stream, args=(1.5,)) for c in callers]
                for stream in streams:
                    stream.start()
                for stream in streams:
                    stream.join()
                window = listener.received_audio()[before + 4000:before + 10400]
                self.assertGreater(len(window), 4000, "the listener heard nothing")
                return dominant_tones(window, 8000, [500, 1100])

            shares = heard()
            self.assertGreater(shares[500], 0.5, shares)
            self.assertLess(shares[1100], 0.005, f"top-1 mixed the quiet talker too: {shares}")

            status, room = self.call("PATCH", "/v1/rooms/topn", {"max_talkers": 0})
            self.assertEqual((status, room["max_talkers"]), (200, 0))
            shares = heard()
            self.assertGreater(shares[500], 0.5, shares)
            self.assertGreater(shares[1100], 0.02, f"the quiet talker is not mixed: {shares}")
            for caller in callers:
                self.assertEqual(caller.bye(), 200)
        finally:
            for caller in callers:
                caller.close()

    def test_bad_input_gets_clear_errors(self):
        cases = [
            ("POST", "/v1/rooms", None, b"{not json", 400, "JSON object"),
            ("POST", "/v1/rooms", {"codecs": ["PCMU"]}, None, 400, "name"),
            ("POST", "/v1/rooms", {"name": "a b"}, None, 400, "name"),
            ("POST", "/v1/rooms", {"name": "x", "codecs": ["G723"]}, None, 400, "codecs"),
            ("POST", "/v1/rooms", {"name": "x", "max_participants": -1}, None, 400,
             "max_participants"),
            ("POST", "/v1/rooms", {"name": "x", "colour": "red"}, None, 400, "unknown field"),
            ("PATCH", "/v1/rooms/1000", {"locked": "yes"}, None, 400, "locked"),
            ("PATCH", "/v1/rooms/nope", {"locked": True}, None, 404, "nope"),
            ("GET", "/v1/rooms/nope/participants", None, None, 404, "nope"),
            ("POST", "/v1/rooms/1000/participants/99/mute", None, b"", 404, "participant 99"),
            ("DELETE", "/v1/rooms/1000/participants/abc", None, None, 404, "participant abc"),
        ]
        for method, path, body, raw, status, words in cases:
            got, answer = self.call(method, path, body, raw=raw)
            self.assertEqual(got, status, (method, path, answer))
            self.assertIn(words, answer["error"]["message"], (method, path, answer))
            self.assertEqual(answer["error"]["code"], status)

    def test_participants_mute_kick_events_and_metrics(self):
        stream = EventStream(self.server, until="participant_left", timeout=20)

        status, room = self.call("PATCH", "/v1/rooms/1000", {"announce_joins": True})
        self.assertEqual((status, room["announce_joins"]), (200, True))
        caller = LossyRtpCaller(self.server.port, tone_hz=500, loss=0.0)
        caller.invite()
        streaming = threading.Thread(target=caller.stream, args=(3.0,))
        streaming.start()
        participant = self.wait_for_talking_participant()
        self.assertEqual(participant["codec"], "PCMU")
        self.assertEqual(participant["from"], "sip:lossy@127.0.0.1")
        self.assertTrue(participant["talking"], participant)
        pid = participant["id"]

        # Record the room while the caller's tone plays.
        status, started = self.call("POST", "/v1/rooms/1000/recording", {"format": "wav"})
        self.assertEqual(status, 201, started)
        path = started["recording"]
        self.assertEqual(self.call("POST", "/v1/rooms/1000/recording", {"format": "wav"})[0], 409)
        self.assertEqual(self.call("GET", "/v1/rooms/1000")[1]["recording"], path)
        self.assertEqual(self.call("POST", "/v1/rooms/nope/recording", {})[0], 404)
        self.assertEqual(self.call("POST", "/v1/rooms/1000/recording", {"format": "mp3"})[0], 400)
        # At least a second of the mix in the file (its header is rewritten
        # every second) before the recording stops.
        self.server.wait_until(
            f"a second of audio in {path}",
            lambda: os.path.exists(path) and os.path.getsize(path) >= 44 + 48000 * 2)
        self.assertEqual(self.call("DELETE", "/v1/rooms/1000/recording")[0], 202)
        self.server.wait_for_log(r'msg="recording stopped"')
        self.assertEqual(self.call("DELETE", "/v1/rooms/1000/recording")[0], 409)
        rate, samples = read_wav(path)
        self.assertEqual(rate, 48000)
        self.assertGreater(len(samples), 48000 * 0.8)
        self.assertGreater(dominant_tones(samples[4800:4800 + 24000], rate, [500])[500], 0.5)

        status, muted = self.call("POST", f"/v1/rooms/1000/participants/{pid}/mute", raw=b"")
        self.assertEqual((status, muted["muted"]), (200, True))
        status, unmuted = self.call("POST", f"/v1/rooms/1000/participants/{pid}/unmute", raw=b"")
        self.assertEqual((status, unmuted["muted"]), (200, False))

        status, loud = self.call("PUT", f"/v1/rooms/1000/participants/{pid}/volume",
                                 {"listen_db": -6, "talk_db": 3})
        self.assertEqual((status, loud["listen_db"], loud["talk_db"]), (200, -6, 3))
        status, error = self.call("PUT", f"/v1/rooms/1000/participants/{pid}/volume",
                                  {"listen_db": 40})
        self.assertEqual(status, 400)
        self.assertIn("listen_db", error["error"]["message"])

        status, prompts = self.call("GET", "/v1/prompts")
        self.assertEqual(status, 200)
        self.assertIn("join_tone", prompts["prompts"])
        self.assertIn("welcome", prompts["prompts"])
        status, played = self.call("POST", f"/v1/rooms/1000/participants/{pid}/play",
                                   {"prompt": "join_tone"})
        self.assertEqual((status, played), (202, {"playing": "join_tone", "to": 1}))
        status, played = self.call("POST", "/v1/rooms/1000/play", {"prompt": "leave_tone"})
        self.assertEqual((status, played["to"]), (202, 1))
        status, error = self.call("POST", "/v1/rooms/1000/play", {"prompt": "no-such"})
        self.assertEqual(status, 404)
        self.assertIn("no prompt", error["error"]["message"])
        self.assertEqual(self.call("POST", "/v1/rooms/1000/play", raw=b"[]")[0], 400)

        status, metrics = self.call("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("tutti_participants 1\n", metrics)
        self.assertRegex(metrics, r"process_cpu_seconds_total [0-9.e+-]+\n")
        self.assertRegex(metrics, r"process_resident_memory_bytes [1-9][0-9.e+]*\n")
        self.assertRegex(metrics, r'tutti_sip_requests_total\{method="INVITE"\} 1\n')
        self.assertRegex(metrics, r'tutti_sip_responses_total\{code="200"\} \d+\n')
        self.assertRegex(metrics, r'tutti_worker_tick_seconds_count\{worker="0"\} \d+\n')
        self.assertRegex(metrics, r'tutti_media_packets_in_total\{worker="0"\} [1-9]\d*\n')
        self.assertRegex(metrics, r'tutti_jitter_buffer_lost_total\{worker="0"\} \d+\n')
        # Issue 20: each room's mix lateness, the worker's measured load, shedding.
        self.assertRegex(metrics, r'tutti_worker_tick_lateness_seconds_bucket'
                                  r'\{worker="0",le="\+Inf"\} [1-9]\d*\n')
        self.assertRegex(metrics, r'tutti_worker_load_ratio\{worker="0"\} [0-9.e+-]+\n')
        self.assertRegex(metrics, r'tutti_worker_shed_level\{worker="0"\} 0\n')
        self.assertRegex(metrics, r'tutti_worker_shed_steps_total\{worker="0",direction="up"\} 0\n')
        self.assertRegex(metrics,
                         r'tutti_worker_shed_steps_total\{worker="0",direction="down"\} 0\n')
        # What admission reckons a participant costs (0 on a worker never 30%
        # busy), and the packet plane's own receive counters.
        self.assertRegex(metrics, r'tutti_worker_participant_cost_ratio\{worker="0"\} 0\n')
        self.assertRegex(metrics, r'tutti_media_receive_errors_total\{worker="0"\} 0\n')
        self.assertRegex(metrics, r'tutti_media_receive_stalls_total\{worker="0"\} \d+\n')

        streaming.join()
        self.assertEqual(self.call("DELETE", f"/v1/rooms/1000/participants/{pid}")[0], 204)
        stream.join(timeout=10)
        events = stream.events
        kinds = stream.kinds()
        for expected in ("participant_joined", "talking_started", "recording_started",
                         "recording_stopped", "muted", "unmuted", "volume", "playback_started",
                         "playback_done", "participant_left"):
            self.assertIn(expected, kinds, events)
        # Alone in the room, the caller was told so.
        self.assertIn("alone", [data.get("prompt") for kind, data in events
                                if kind == "playback_started"])
        left = [data for kind, data in events if kind == "participant_left"][0]
        self.assertEqual(left["participant"], pid)
        self.assertEqual(left["why"], "removed by operator")
        self.assertEqual(self.call("GET", "/v1/rooms/1000")[1]["participants"], 0)
        caller.close()

        # The leg's call record, with the worker's final media counters.
        self.server.wait_until("a call record", self.server.call_records)
        records = self.server.call_records()
        self.assertEqual(len(records), 1, records)
        record = records[0]
        self.assertEqual(record["room"], "1000")
        self.assertEqual(record["from"], "sip:lossy@127.0.0.1")
        self.assertEqual(record["codec"], "PCMU")
        self.assertEqual(record["why"], "removed by operator")
        self.assertGreater(record["packets_in"], 100)
        self.assertGreater(record["packets_out"], 100)
        self.assertEqual(record["lost"], 0)
        self.assertIsNotNone(record["answered"])
        self.assertGreater(record["seconds"], 2.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
