"""Video signaling over real SIP against a real tuttid (issue 16): an INVITE
with audio, a camera and a content line gets every line answered on real
ports tuttid holds; a video line with no codec in common, or one in a room
whose codec is locked to another, is declined (port 0) while the audio is
answered; the room's codec lock goes with its last video caller; an
audio-only room answers no video.

Every wait is for a condition up to a generous deadline, never for a time.
"""

import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

import audio_harness  # noqa: E402,F401  (puts tests/integration on the path before e2e's)
from dial_in_test import DtmfCaller  # noqa: E402
from tutti_harness import DEFAULT_ROOMS, CallersTestCase, rtp_port_range  # noqa: E402

# The harness's rooms (1000 takes [media] video_codecs), one for H.264
# alone, and an audio-only one.
ROOMS = (DEFAULT_ROOMS + '[[room]]\nname = "h264"\nvideo_codecs = ["H264"]\n'
         '[[room]]\nname = "voice"\nvideo_mode = "audio_only"\n')


# As baresip 1.0 offers them (vp8, vp9, avcodec), and a content line.
VP8_VP9_H264 = ("RTP/AVP 96 97 99\r\na=rtpmap:96 VP8/90000\r\na=fmtp:96 max-fs=3600\r\n"
                "a=rtpmap:97 VP9/90000\r\na=rtpmap:99 H264/90000\r\n"
                "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"
                "a=rtcp-fb:* nack pli\r\n")
H264_ONLY = ("RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
             "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\na=rtcp-fb:* nack pli\r\n")
H263_ONLY = "RTP/AVP 34\r\na=rtpmap:34 H263/90000\r\n"


class VideoCaller(DtmfCaller):
    """The harness's SIP caller offering a camera (and a content) line on
    sockets of its own beside its PCMU audio."""

    def __init__(self, port, user, name, camera=VP8_VP9_H264, slides=None):
        super().__init__(port, user, name)
        self.camera, self.slides = camera, slides
        self.video_sockets = []
        for _ in range(2):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.video_sockets.append(sock)

    def _offer(self):
        offer = super()._offer()
        offer += f"m=video {self.video_sockets[0].getsockname()[1]} {self.camera}"
        if self.slides:
            offer += (f"m=video {self.video_sockets[1].getsockname()[1]} {self.slides}"
                      "a=content:slides\r\n")
        return offer

    def answered_video(self):
        """(port, payload types) of each m=video line of the answer."""
        return [(int(port), formats.split()) for port, formats in
                re.findall(r"^m=video (\d+) [A-Z/]+ ([\d ]+)", self.answer_sdp, re.MULTILINE)]

    def hang_up_and_close(self):
        super().hang_up_and_close()
        for sock in self.video_sockets:
            sock.close()


def held_by_tuttid(port):
    """Whether a UDP port on 127.0.0.1 is bound (by tuttid: the test's own
    sockets bind port 0, outside the RTP range)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        probe.close()


class VideoSignalingTest(CallersTestCase):
    caller_class = VideoCaller

    def setUp(self):
        super().setUp()
        self.start(rooms=ROOMS)

    def answered(self, caller):
        return self.server.wait_for_log(
            rf'msg="call answered" call_id={re.escape(caller.call_id)} .*')

    def test_audio_camera_and_content_are_answered_on_real_ports(self):
        caller = self.dial("1000", "camera", slides=VP8_VP9_H264)
        video = caller.answered_video()
        self.assertEqual(len(video), 2, caller.answer_sdp)
        (camera_port, camera_formats), (slides_port, slides_formats) = video
        self.assertEqual(camera_formats, ["96"])  # VP8: the room's first codec
        self.assertEqual(slides_formats, ["96"])
        self.assertIn("a=content:slides\r\n", caller.answer_sdp)
        self.assertIn("a=rtcp-fb:96 nack pli\r\n", caller.answer_sdp)
        audio_port = caller.remote_media[1]
        first, last = rtp_port_range()
        ports = {audio_port, camera_port, slides_port}
        self.assertEqual(len(ports), 3)
        for port in ports:
            self.assertTrue(first <= port <= last, port)
            self.assertTrue(held_by_tuttid(port), f"port {port} in the answer is not bound")
            self.assertTrue(held_by_tuttid(port + 1), f"RTCP port {port + 1} is not bound")
        answered = self.answered(caller)
        self.assertIn(f" video=VP8 video_port={camera_port} slides_port={slides_port}",
                      answered.group(0))
        # Hung up: the worker lets go of every pair.
        self.assertEqual(caller.bye(), 200)
        self.server.wait_for_log(rf'msg="call ended" call_id={re.escape(caller.call_id)} ')
        self.server.wait_until("the video ports are not given back",
                               lambda: not any(held_by_tuttid(p) for p in ports))

    def test_a_video_codec_mismatch_declines_the_video_and_keeps_the_audio(self):
        caller = self.dial("1000", "h263", camera=H263_ONLY)
        self.assertEqual(caller.answered_video(), [(0, ["34"])])
        self.assertEqual(caller.answer_payload_type, 0)  # the audio: PCMU on a real port
        self.assertTrue(held_by_tuttid(caller.remote_media[1]))
        self.server.wait_for_log(
            rf'msg="media stream declined" call_id={re.escape(caller.call_id)} room=1000 '
            r'media=video why="no common video codec \(offered: H263; accepted: VP8 H264 VP9\)"')
        # A room that takes H.264 only declines a VP8-only camera the same way.
        vp8 = self.dial("h264", "vp8", camera="RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n")
        self.assertEqual(vp8.answered_video(), [(0, ["96"])])
        h264 = self.dial("h264", "h264", camera=VP8_VP9_H264)
        self.assertEqual(h264.answered_video()[0][1], ["99"])

    def test_the_rooms_codec_is_its_first_video_callers_until_the_last_leaves(self):
        first = self.dial("1000", "first", camera=H264_ONLY)  # locks the room to H.264
        self.assertEqual(first.answered_video()[0][1], ["99"])
        vp8_only = self.dial("1000", "vp8-only", camera="RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n")
        self.assertEqual(vp8_only.answered_video()[0][0], 0)
        both = self.dial("1000", "both", camera=VP8_VP9_H264)
        self.assertEqual(both.answered_video()[0][1], ["99"])  # not VP8, the room's preference
        for caller in (first, both):
            self.assertEqual(caller.bye(), 200)
            self.server.wait_for_log(rf'msg="call ended" call_id={re.escape(caller.call_id)} ')
        # No video caller left: the next one's VP8 is taken.
        again = self.dial("1000", "again", camera=VP8_VP9_H264)
        self.assertEqual(again.answered_video()[0][1], ["96"])

    def test_an_audio_only_room_answers_no_video(self):
        caller = self.dial("voice", "voice", camera=VP8_VP9_H264)
        self.assertEqual(caller.answered_video()[0][0], 0)
        self.server.wait_for_log(
            rf'msg="media stream declined" call_id={re.escape(caller.call_id)} room=voice '
            r'media=video why="the room shows no video \(audio-only\)"')


if __name__ == "__main__":
    unittest.main(verbosity=2)
