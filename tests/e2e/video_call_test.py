"""End-to-end video: three baresip callers with fake cameras of three sizes
in room 1000 of a real tuttid take turns talking (alice, then bob, then
carol, each longer than the room's video hold). A capture of the loopback
(rtp_capture) shows, for every receiver:

- its video runs on one SSRC with no gap in the sequence numbers and no
  timestamp going back, across every change of source;
- each run of a source in it (the first included) begins a key frame, and
  the source was asked for one (PLI/FIR from tuttid) just before;
- while someone talks, everyone else sees the talker and the talker sees
  the one before (told apart by the picture size in the key frames and by
  the payload bytes, which tuttid forwards untouched).

Once with VP8, once with H.264 (baresip-ffmpeg's avcodec; the callers offer
everything and the room takes H.264 only). A caller with no video codec in
common (VP9 only, in a VP8 room) gets its video line declined (port 0) and
keeps its audio both ways.

The checks themselves are tested first on a modelled forwarder
(video_simulation): they pass on a good one and fail on each of its planted
faults (TurnChecksTest; no tuttid, baresip or root).

Needs TUTTID (ctest sets it), baresip with vp8, vp9, avcodec and fakevideo,
and root for the AF_PACKET capture on lo (skipped without it, saying so).
TUTTI_E2E_VERBOSE=1 prints every receiver's stream.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
import rtp_capture as rc  # noqa: E402
import video_harness as vh  # noqa: E402
import video_simulation  # noqa: E402

VERBOSE = os.environ.get("TUTTI_E2E_VERBOSE") == "1"
TEST_NAME = "e2e.video_call"

HOLD_MS = 500  # the room's video hold: a talk turn lasts many times that
VIDEO_CONFIG = f"""
[video]
hold_ms = {HOLD_MS}
"""


def rooms(video_codecs):
    return f"""
[[room]]
name = "1000"
codecs = ["PCMU"]
video_codecs = {video_codecs}
"""


class VideoCallTest(ah.TuttidCallTest):

    BARESIP_MODULE = "avcodec.so"
    WORKDIR_PREFIX = "tutti-video-"
    SIZES = {"alice": "320x240", "bob": "352x288", "carol": "640x360"}
    SLOW_SOURCE_SIZE = "176x144"
    JOIN_GAP_S = 0.8
    SETTLE_S = 1.0   # after the last join, before the first turn
    TALK_S = 2.4     # a turn ...
    # ... and the silence before the next: longer than tuttid's talk hangover
    # (400 ms) and the schedule's slack, so turns do not overlap on the wire.
    PAUSE_S = 1.0
    # From the start of a turn to when everyone must see the talker: tuttid
    # gives the floor after 500 ms of talk, then asks for a key frame.
    SHOWN_AFTER_S = 1.5
    REQUEST_BEFORE_S = 1.5  # a switch's key frame request comes at most this long before it

    @classmethod
    def setUpClass(cls):
        rc.require_root(TEST_NAME)
        for module in vh.VIDEO_MODULES:
            ah.require_baresip(module)
        super().setUpClass()

    # --- tests
    def test_vp8_follows_the_talker(self):
        self.start_tuttid(rooms=rooms('["VP8"]'), extra_config=VIDEO_CONFIG)
        self.take_turns("VP8", offer="VP8", slow_source=True)

    def test_h264_follows_the_talker(self):
        self.start_tuttid(rooms=rooms('["H264"]'), extra_config=VIDEO_CONFIG)
        self.take_turns("H264", offer=None)

    def test_no_common_video_codec_keeps_the_audio(self):
        """A VP9-only caller in a VP8 room: video declined, audio both ways."""
        self.start_tuttid(rooms=rooms('["VP8"]'), extra_config=VIDEO_CONFIG)
        capture = self.capture()
        vp8 = vh.VideoBaresipClient("alice", self.work.name, "320x240", video_codec="VP8",
                                    talk=[(1.0, 2.5)])
        vp9 = vh.VideoBaresipClient("vp9only", self.work.name, "352x288", video_codec="VP9",
                                    talk=[(2.5, 4.0)])
        self.join_one_by_one([vp8, vp9], gap_s=0.5, last_stay_s=5.0)
        capture.stop()
        self.assertNotEqual(vp8.media_ports()[1], 0, f"tuttid declined alice's VP8 video in a "
                                                     f"VP8 room: {vp8.video_lines()}")
        lines = vp9.video_lines()
        self.assertTrue(any(sent for sent, _ in lines), f"vp9only offered no video: {lines}")
        self.assertEqual(vp9.media_ports()[1], 0,
                         f"tuttid did not decline vp9only's VP9 video in a VP8 room (m=video 0): "
                         f"{lines}\n{vp9.log_tail()}")
        rtp = capture.rtp()
        for listener, talker in ((vp9, vp8), (vp8, vp9)):
            own, far = listener.media_ports("audio")
            heard = vh.talk_spans([p for p in rtp if p.src == far and p.dst == own])
            self.assertTrue(heard, f"{listener.name} got no talk from tuttid ({talker.name} "
                                   f"talked): audio {far} -> {own}\n{listener.log_tail()}"
                                   f"\n--- tuttid log:\n{self.server.log_text()[-3000:]}")
        # Its talk came after alice's: its call lasted. And no video went to it.
        own = vp9.media_ports()[0]
        to_vp9 = [p for p in rtp if p.dst == own and self.rtp_first <= p.src <= self.rtp_last]
        self.assertEqual(to_vp9, [], "tuttid sent RTP to the video port it declined")

    # --- the turns
    def capture(self):
        capture = rc.LoopbackCapture(self.rtp_first, self.rtp_last)
        self.addCleanup(capture.stop)
        return capture

    def take_turns(self, codec, offer, slow_source=False):
        """The callers of SIZES join and take turns talking; with
        slow_source, a SlowKeyframeCaller (dave) joins last and takes the
        last turn."""
        names = list(self.SIZES) + (["dave"] if slow_source else [])
        period = self.TALK_S + self.PAUSE_S
        first_turn = self.JOIN_GAP_S * (len(names) - 1) + self.SETTLE_S
        stay = first_turn + period * len(names) - self.JOIN_GAP_S * (len(names) - 1) + 0.5
        clients = []
        for i, name in enumerate(names):
            # Its microphone starts when its call does, about i join gaps in.
            turn = first_turn + i * period - i * self.JOIN_GAP_S
            talk = [(turn, turn + self.TALK_S)]
            if name == "dave":
                client = vh.SlowKeyframeCaller(self.server.port, name, self.SLOW_SOURCE_SIZE, talk)
            else:
                client = vh.VideoBaresipClient(name, self.work.name, self.SIZES[name],
                                               video_codec=offer, talk=talk)
            self.addCleanup(client.kill)
            clients.append(client)
        capture = self.capture()
        self.join_one_by_one(clients, self.JOIN_GAP_S, stay)
        capture.stop()
        for client in clients:
            if not isinstance(client, vh.VideoBaresipClient):
                continue
            answered = client.answered_video()
            self.assertEqual((answered or (None,))[0], codec,
                             f"{client.name}'s video was answered with {answered}, not {codec}: "
                             f"{client.video_lines()}\n{client.log_tail()}")
        self.check_turns(codec, clients, capture)

    def check_turns(self, codec, clients, capture):
        # A packet the capture lost would read as tuttid's gap: say so rather.
        self.assertEqual(capture.dropped, 0, f"the capture of lo fell behind and lost "
                                             f"{capture.dropped} packets: the test cannot judge "
                                             "the streams")
        rtp, rtcp = capture.rtp(), capture.rtcp()
        ports = {}
        for client in clients:
            own, far = client.media_ports()
            self.assertTrue(own and far, f"{client.name}'s video was not set up (its port "
                                         f"{own}, tuttid's {far}): {client.video_lines()}"
                                         f"\n{client.log_tail()}")
            ports[client.name] = (own, far)
        sent_by = {name: [p for p in rtp if p.src == own and p.dst == far]
                   for name, (own, far) in ports.items()}
        got = {name: [p for p in rtp if p.src == far and p.dst == own]
               for name, (own, far) in ports.items()}
        ssrc = {}
        for name, packets in sent_by.items():
            self.assertTrue(packets, f"{name} sent tuttid no video")
            ssrc[name] = packets[0].ssrc
        turns = self.turns(clients, rtp)
        streams = {name: vh.attribute(codec, packets, sent_by) for name, packets in got.items()}
        sizes = {c.name: c.video_size for c in clients}
        base = min((s[0].packet.time for s in streams.values() if s), default=0)
        context = self.context(streams, turns, rtcp, ports, ssrc, base)
        if VERBOSE:
            print(context)
        for name, stream in streams.items():
            faults = vh.stream_faults(codec, stream)
            self.assertEqual(faults, [], f"{name}'s video: {faults}{context}")
            self.assertNotIn(name, {f.source for f in stream},
                             f"{name} was sent its own video{context}")
            self.check_switches_were_asked_for(name, stream, rtcp, ports, ssrc, context)
        for k, (talker, start, end) in enumerate(turns):
            for name, stream in streams.items():
                if name != talker:
                    expected = talker
                elif k > 0:
                    expected = turns[k - 1][0]
                else:
                    continue  # the first talker sees whom it saw (not itself: checked above)
                shown = start + self.SHOWN_AFTER_S
                self.check_sees(name, stream, expected, sizes, shown, end,
                                f"while {talker} talks ({shown - base:.2f}-{end - base:.2f} s "
                                "from the first video packet)", context)

    def turns(self, clients, rtp):
        """[(name, start, end)] of each client's turn as it reached tuttid
        (its talk on the wire), in order; each ends when the next begins."""
        spans = []
        for client in clients:
            own, far = client.media_ports("audio")
            talk = vh.talk_spans([p for p in rtp if p.src == own and p.dst == far])
            self.assertEqual(len(talk), 1, f"{client.name} talked {len(talk)} times on the "
                                           f"wire ({talk}), not once\n{client.log_tail()}")
            spans.append((client.name, talk[0][0], talk[0][1]))
        spans.sort(key=lambda s: s[1])
        self.assertEqual([s[0] for s in spans], [c.name for c in clients],
                         f"the turns came in the wrong order: {spans}")
        return [(name, start, spans[i + 1][1] if i + 1 < len(spans) else end)
                for i, (name, start, end) in enumerate(spans)]

    def check_switches_were_asked_for(self, name, stream, rtcp, ports, ssrc, context):
        for source, run in vh.segments(stream):
            t = run[0].packet.time
            own, far = ports[source]
            asked = vh.keyframe_requests(rtcp, ssrc[source], {far, far + 1}, {own, own + 1})
            before = [a for a in asked if t - self.REQUEST_BEFORE_S <= a <= t]
            self.assertTrue(before, f"{name} was switched to {source} (seq "
                                    f"{run[0].packet.seq}) with no PLI/FIR to {source} (SSRC "
                                    f"{ssrc[source]:#x}) in the {self.REQUEST_BEFORE_S} s "
                                    f"before; requests to it at {asked}{context}")

    def check_sees(self, name, stream, expected, sizes, start, end, when, context):
        seen = vh.seen_in(stream, start, end)
        where = f"{name} {when}"
        self.assertTrue(seen, f"{where} got no video{context}")
        self.assertEqual(set(seen), {expected}, f"{where} sees {dict(seen)}, not only "
                                                f"{expected}{context}")
        size = vh.picture_size_at(stream, end)
        self.assertEqual(size, sizes[expected], f"{where}: the last key frame it got is "
                                                f"{size}, {expected}'s camera is "
                                                f"{sizes[expected]}{context}")

    def context(self, streams, turns, rtcp, ports, ssrc, base):
        lines = ["", "--- turns (s from the first video packet): " + ", ".join(
            f"{n} {a - base:.2f}-{b - base:.2f}" for n, a, b in turns)]
        for source, (own, far) in ports.items():
            # Every feedback message to its ports, whatever SSRC it names.
            sent = [f"{r.time - base:.3f} {rc.feedback_kind(r)} {r.media_ssrc:#x}" for r in rtcp
                    if r.src in (far, far + 1) and r.dst in (own, own + 1) and rc.feedback_kind(r)]
            lines.append(f"--- feedback to {source} (SSRC {ssrc[source]:#x}, port {own}): "
                         f"{sent}")
        for name, stream in streams.items():
            lines.append(f"--- {name} (port {ports[name][0]}) got:")
            lines.append(vh.describe_stream(stream, base) if stream else "    nothing")
        lines.append("--- tuttid log:\n" + self.server.log_text()[-3000:])
        return "\n".join(lines)


class TurnChecksTest(unittest.TestCase):
    """VideoCallTest's checks of a capture, run on a modelled forwarder
    (video_simulation): they pass on a good one and fail on each planted
    fault. No tuttid, baresip or root needed."""

    SIZES = {name: vh.parse_size(size) for name, size in VideoCallTest.SIZES.items()}
    TURNS = [("alice", 3.0, 5.4), ("bob", 6.0, 8.4), ("carol", 9.0, 11.4)]

    def check_turns(self, faults=()):
        clients, capture = video_simulation.simulate(self.SIZES, self.TURNS, 12.0, faults)
        test = VideoCallTest("test_vp8_follows_the_talker")
        test.server = type("NoServer", (), {"log_text": lambda self: "(simulated)"})()
        test.check_turns("VP8", clients, capture)

    def test_a_good_forwarder_passes(self):
        self.check_turns()

    def test_each_planted_fault_is_found(self):
        for fault, what in video_simulation.FAULTS.items():
            with self.subTest(fault=fault):
                with self.assertRaises(AssertionError, msg=f"a forwarder that {what} passed"):
                    self.check_turns({fault})


if __name__ == "__main__":
    unittest.main(verbosity=2)
