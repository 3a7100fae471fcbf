"""Pieces for the end-to-end video tests: baresip clients with a fake camera
(fakevideo: colour bars of a size of their own, so that sources are told
apart by the picture size in their key frames), microphones that talk on a
schedule, and checks of the video each receiver got, read off a capture of
the loopback (rtp_capture):

- whose packet each forwarded one is: the payload bytes a forwarder leaves
  alone (after the VP8 descriptor; all of an H.264 payload) are those of a
  packet the source sent just before;
- one SSRC per receiver, no sequence gap, timestamps that never go back,
  marker bits kept;
- every switch of source (and the first packet) begins a key frame;
- each source a receiver is switched to was asked for a key frame (PLI/FIR).

    python3 tests/e2e/video_harness.py --self-test

proves the pieces without tuttid: the checks on streams built here (each must
find its planted fault), then baresip calls baresip with VP8 and with H.264
(baresip-ffmpeg's avcodec), each at its own size: each must receive the
other's picture size on one SSRC without a gap, and a PLI the test sends
must bring a key frame back. Needs root for the capture.
"""

import collections
import os
import re
import socket
import struct
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import audio_harness as ah  # noqa: E402
import rtp_capture as rc  # noqa: E402

# Loaded before account.so: an account's video_codecs names codecs that must
# be registered by then.
VIDEO_MODULES = ["vp8.so", "vp9.so", "avcodec.so", "fakevideo.so"]
# What an account's ;video_codecs= takes. baresip finds the first codec of a
# name: "h264" is avcodec's packetization-mode 0 one; with no list it offers
# all (VP8, VP9, H.264 mode 0 and 1, H.263, MPEG-4, H.265).
VIDEO_CODEC_PARAM = {"VP8": "vp8", "VP9": "vp9", "H264": "h264"}
RTP_CODEC_NAME = {"VP8": "VP8", "VP9": "VP9", "H264": "H264"}
TALK_HZ = 700
TALK_DBFS = -30.0  # a PCMU packet louder than this is talk (the tone is about -15)


def parse_size(text):
    """(width, height) of "WxH"."""
    width, height = text.split("x")
    return int(width), int(height)


class VideoBaresipClient(ah.BaresipClient):
    """A BaresipClient (PCMU) with a fake camera of `video_size` ("WxH") that
    offers `video_codec` ("VP8", "VP9", "H264", or None for every codec it
    has). Its microphone is silent but for the (start, end) seconds of
    `talk`, counted from when its audio starts."""

    def __init__(self, name, workdir, video_size, video_codec="VP8", talk=(), fps=15, **kwargs):
        os.makedirs(workdir, exist_ok=True)
        # Silent but for the turns; 60 s, as baresip hangs up at its end.
        wav = ah.write_tone_wav(os.path.join(workdir, f"{name}-talk.wav"),
                                TALK_HZ if talk else 0, 60, 8000, spans=list(talk) or None)
        self.video_size = parse_size(video_size)
        self.video_codec = video_codec
        extra = "\n".join([
            # A still picture of colour bars; its "display" is fakevideo's
            # own, which shows nothing.
            "video_source fakevideo,nil",
            "video_display fakevideo,nil",
            f"video_size {video_size}",
            f"video_fps {fps}",
            kwargs.pop("extra_config", ""),
        ])
        params = kwargs.pop("account_params", "")
        if video_codec:
            params += f";video_codecs={VIDEO_CODEC_PARAM[video_codec]}"
        super().__init__(name, workdir, codec="PCMU", source_wav=wav, extra_config=extra,
                         account_params=params, **kwargs)
        for module in VIDEO_MODULES:
            ah.load_module_first(self, module)

    def sip_messages(self):
        """[(sent, start line, SDP body or "")] of the SIP trace (-s), in
        order; `sent` is True for what this client sent."""
        out = []
        text = self.log_text()
        for m in re.finditer(r"^UDP (\S+) -> (\S+)\r?\n(.*?)(?=^UDP \S+ -> |\Z)", text,
                             re.MULTILINE | re.DOTALL):
            message = m.group(3)
            start = message.split("\n", 1)[0].strip()
            body = message.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in message else ""
            if not body and "\n\n" in message:
                body = message.split("\n\n", 1)[1]
            sent = m.group(1).endswith(f":{self.sip_port}")
            out.append((sent, start, body))
        return out

    def video_lines(self):
        """[(sent, m=video line)] of every SDP in the trace."""
        return [(sent, line) for sent, _, body in self.sip_messages()
                for line in re.findall(r"^m=video [^\r\n]*", body, re.MULTILINE)]

    def answered_video(self):
        """(codec name, fmtp) of the first payload type of the last m=video
        line this client received (an offer's or an answer's), or None."""
        found = None
        for sent, _, body in self.sip_messages():
            m = re.search(r"^m=video [1-9]\d* \S+ (\d+)", body, re.MULTILINE)
            if m and not sent:
                pt = m.group(1)
                rtpmap = re.search(rf"^a=rtpmap:{pt} ([^/\s]+)", body, re.MULTILINE)
                fmtp = re.search(rf"^a=fmtp:{pt} ([^\r\n]*)", body, re.MULTILINE)
                found = (rtpmap.group(1).upper() if rtpmap else None,
                         fmtp.group(1) if fmtp else "")
        return found

    def media_ports(self, kind="video"):
        """(own RTP port, far end's RTP port) of the last m=<kind> line
        each way; 0 for a side that declined it or never had one."""
        own = far = 0
        for sent, _, body in self.sip_messages():
            m = re.search(rf"^m={kind} (\d+) ", body, re.MULTILINE)
            if m:
                if sent:
                    own = int(m.group(1))
                else:
                    far = int(m.group(1))
        return own, far


class SlowKeyframeCaller(ah.LossyRtpCaller):
    """A Python caller with a VP8 camera that answers a PLI only `pli_delay_s`
    later (a busy encoder, a room system), sending delta frames meanwhile:
    with baresip, whose next frame after a PLI is the key frame, a forwarder
    that switched at any packet would still look right. Its frames are
    built (rtp_capture.build_vp8; not decodable), two packets each, with a
    key frame of `video_size` first and then only when asked. It talks
    (a tone) in each (start, end) of `talk`, seconds after its call began;
    it reads as a VideoBaresipClient does for the checks."""

    def __init__(self, port, name, video_size, talk, pli_delay_s=0.4, fps=15):
        super().__init__(port, user="1000", tone_hz=TALK_HZ, loss=0.0, name=name)
        self.video_size = parse_size(video_size)
        self.talk, self.pli_delay_s, self.fps = list(talk), pli_delay_s, fps
        self.video_port = ah.free_port(pair=True)
        self.video = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.video.bind(("127.0.0.1", self.video_port))
        self.video_rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.video_rtcp.bind(("127.0.0.1", self.video_port + 1))
        self.video_rtcp.settimeout(0.1)
        self.video_ssrc = self.random.getrandbits(32)
        self.key_due = 0.0  # time.monotonic() from which the next frame is a key frame
        self.plis = []  # arrival times of the PLIs for its video
        self.far_video = 0
        self.established_at = None
        self._threads = []

    def _offer(self):
        return super()._offer() + (f"m=video {self.video_port} RTP/AVP 96\r\n"
                                   "a=rtpmap:96 VP8/90000\r\n"
                                   "a=rtcp-fb:96 nack pli\r\n"
                                   "a=sendrecv\r\n")

    # --- started and waited for as a BaresipClient is (MixChecks.join_one_by_one)
    def start(self, dial_uri, hold_seconds):
        """Calls room 1000 (dial_uri is that room's: the port was given
        before), then for hold_seconds sends its camera and its microphone
        (silent but for its turns) in threads; wait() hangs up."""
        del dial_uri
        seconds = hold_seconds
        self.invite()
        self.established_at = time.monotonic()
        m = re.search(r"^m=video (\d+) ", self.answer_sdp, re.MULTILINE)
        self.far_video = int(m.group(1)) if m else 0
        began = time.monotonic()
        for target in (self._read_rtcp, lambda: self._send_video(began, seconds),
                       lambda: self._talk(seconds)):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_event(self, kind, timeout=10):
        if kind != "CALL_ESTABLISHED" or self.established_at is None:
            raise AssertionError(f"{self.name}: no {kind}")
        return self.established_at

    def wait(self, timeout):
        """Waits for its streams to end and hangs up: the BYE's answer."""
        for thread in self._threads[1:]:
            thread.join(timeout=timeout)
        code = self.bye()
        self.kill()
        return code

    def kill(self):
        self._stop.set()
        self.close()
        self.video.close()
        self.video_rtcp.close()

    def _talk(self, seconds):
        done = 0.0
        for start, end in self.talk:
            self.stream(start - done, tone_hz=0)
            self.stream(end - start)
            done = end
        self.stream(max(0.0, seconds - done), tone_hz=0)

    def _read_rtcp(self):
        while not self._stop.is_set():
            try:
                data = self.video_rtcp.recv(2048)
            except (socket.timeout, OSError):
                continue
            for packet in rc.parse_rtcp(data, time.monotonic()):
                if self.video_ssrc in rc.keyframe_request_targets(packet):
                    self.plis.append(packet.time)
                    if not self.key_due:
                        self.key_due = packet.time + self.pli_delay_s

    def _send_video(self, began, seconds):
        sequence, width, height = self.random.getrandbits(16), *self.video_size
        for frame in range(int(seconds * self.fps)):
            delay = began + frame / self.fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            key = frame == 0 or (self.key_due and time.monotonic() >= self.key_due)
            if key:
                self.key_due = 0.0
            picture_id = (self.video_ssrc + frame) & 0x7FFF
            body = struct.pack("!I", frame) + bytes(96)
            for part, payload in enumerate((
                    rc.build_vp8(key, picture_id=picture_id, width=width, height=height,
                                 body=body),
                    rc.build_vp8(False, start=False, picture_id=picture_id, body=body + b"+"))):
                header = struct.pack("!BBHII", 0x80, 96 | (0x80 if part else 0), sequence,
                                     (frame * 90000 // self.fps) & 0xFFFFFFFF, self.video_ssrc)
                self.video.sendto(header + payload, ("127.0.0.1", self.far_video))
                sequence = (sequence + 1) & 0xFFFF

    # --- read as a VideoBaresipClient is
    def media_ports(self, kind="video"):
        if kind == "video":
            return self.video_port, self.far_video
        return self.rtp_port, self.remote_media[1] if self.remote_media else 0

    def video_lines(self):
        return re.findall(r"^m=video [^\r\n]*", self._offer() + (self.answer_sdp or ""),
                          re.MULTILINE)

    def log_tail(self, chars=3000):
        return self.trace_text(chars)


# ---------------------------------------------------------------------------
# Reading the capture


def talk_spans(packets, min_gap_s=0.3):
    """[(start, end)] monotonic times of the talk in a list of PCMU Rtp
    packets: runs of packets louder than TALK_DBFS, runs less than min_gap_s
    apart merged."""
    spans = []
    for p in packets:
        if p.pt != 0 or ah.level_dbfs(ah.ulaw2lin(p.payload)) < TALK_DBFS:
            continue
        if spans and p.time - spans[-1][1] < min_gap_s:
            spans[-1][1] = p.time
        else:
            spans.append([p.time, p.time])
    return [tuple(s) for s in spans]


Forwarded = collections.namedtuple("Forwarded", "packet video source origin")
# packet: the Rtp a receiver got; video: its rtp_capture.Video; source: the
# name of the participant whose packet it is (None: nobody's); origin: that
# source's Rtp.


def attribute(codec, received, sent_by, window_s=1.0):
    """[Forwarded] for each Rtp of `received`: `sent_by` maps a source's name
    to the Rtp packets it sent. A forwarded packet is the source packet with
    the same untouched bytes (rtp_capture.Video.content) captured last before
    it, at most window_s earlier (a NACK's retransmission may be older).
    Where two sources sent the same bytes (a still picture's small packets
    can be alike), the source of the packet before wins: a stream changes
    source only at a packet that only the new source sent."""
    index = collections.defaultdict(list)  # content -> [(time, name, Rtp)]
    for name, packets in sent_by.items():
        for p in packets:
            video = rc.inspect_video(codec, p.payload)
            if video is not None:
                index[video.content].append((p.time, name, p))
    out = []
    for p in received:
        video = rc.inspect_video(codec, p.payload)
        latest = {}  # name -> (time, Rtp) of its last such packet in the window
        for t, name, q in index.get(video.content, ()) if video else ():
            if p.time - window_s <= t <= p.time and t >= latest.get(name, (-1, None))[0]:
                latest[name] = (t, q)
        previous = out[-1].source if out else None
        if previous in latest:
            source = previous
        else:
            source = max(latest, key=lambda n: latest[n][0]) if latest else None
        out.append(Forwarded(p, video, source, latest[source][1] if source else None))
    return out


def segments(forwarded):
    """[(source, [Forwarded])]: the runs of one source in a receiver's
    stream, in order."""
    out = []
    for f in forwarded:
        if out and out[-1][0] == f.source:
            out[-1][1].append(f)
        else:
            out.append((f.source, [f]))
    return out


def describe_stream(forwarded, base, limit=60):
    """The runs of a receiver's stream, one line each, for failure messages;
    times in seconds from `base`."""
    lines = []
    for source, run in segments(forwarded)[:limit]:
        first, last = run[0], run[-1]
        sizes = sorted({(f.video.width, f.video.height) for f in run
                        if f.video and f.video.width})
        keys = sum(1 for f in run if f.video and f.video.keyframe)
        kind = "key" if first.video and first.video.keyframe else "delta"
        if first.video and first.video.frame_start:
            kind += " frame start"
        lines.append(f"    {first.packet.time - base:7.3f}-{last.packet.time - base:7.3f}s "
                     f"{source or '(nobody)':>8}: {len(run):4} packets seq {first.packet.seq}-"
                     f"{last.packet.seq}, first {kind}, {keys} key packets, sizes {sizes}")
    return "\n".join(lines)


def stream_faults(codec, forwarded):
    """What is wrong with one receiver's stream ([Forwarded] in arrival
    order), as messages: not one SSRC, a gap in the sequence numbers, a
    timestamp going back, a packet from nobody, a marker bit changed, VP8
    picture ids that do not run on, a run of a source (the first included)
    that does not begin a key frame."""
    faults = []
    if not forwarded:
        return ["no video at all"]
    ssrcs = sorted({f.packet.ssrc for f in forwarded})
    if len(ssrcs) != 1:
        faults.append(f"{len(ssrcs)} SSRCs: {[hex(s) for s in ssrcs]}")
    seqs = [f.packet.seq for f in forwarded]
    gaps = ah.sequence_gaps(seqs)
    if gaps:
        faults.append(f"{gaps} sequence numbers missing between {seqs[0]} and {seqs[-1]}")
    for a, b in zip(forwarded, forwarded[1:]):
        step = (b.packet.ts - a.packet.ts) & 0xFFFFFFFF
        if step >= 0x80000000:
            faults.append(f"the timestamp goes back from {a.packet.ts} (seq {a.packet.seq}) to "
                          f"{b.packet.ts} (seq {b.packet.seq})")
            break
    strangers = [f.packet.seq for f in forwarded if f.source is None]
    if strangers:
        faults.append(f"{len(strangers)} packets match no source's packet (seq "
                      f"{strangers[:8]}...)")
    markers = [f.packet.seq for f in forwarded if f.origin and f.packet.marker != f.origin.marker]
    if markers:
        faults.append(f"marker bit changed on seq {markers[:8]}")
    if codec == "VP8":
        faults.extend(picture_id_faults(forwarded))
    for source, run in segments(forwarded):
        if source is None:
            continue
        if not keyframe_start(codec, [f.video for f in run]):
            first = run[0]
            faults.append(f"the run of {source}'s video from seq {first.packet.seq} does not "
                          f"begin a key frame (first packet {first.packet.payload[:6].hex()})")
    return faults


def picture_id_faults(forwarded):
    """VP8 picture ids must run on as the frames do, across switches: the
    same within a frame (one timestamp), one more at the next. Compared mod
    128, which holds for 7- and 15-bit ids alike."""
    last = None  # (timestamp, picture id, seq)
    for f in forwarded:
        if f.video is None or f.video.picture_id < 0:
            continue
        ts, pid = f.packet.ts, f.video.picture_id
        if last is not None:
            step = (pid - last[1]) % 128
            if step != (0 if ts == last[0] else 1):
                return [f"the picture id goes from {last[1]} (seq {last[2]}) to {pid} (seq "
                        f"{f.packet.seq})"]
        last = (ts, pid, f.packet.seq)
    return []


def keyframe_start(codec, videos):
    """Whether a run of packets (rtp_capture.Video) begins a key frame: its
    first packet starts a key frame (VP8); for H.264 it starts an access
    unit, and the first slice in the run is an IDR's first."""
    if not videos or videos[0] is None or not videos[0].frame_start:
        return False
    if codec != "H264":
        return videos[0].keyframe
    for v in videos:
        units = rc.h264_nal_units(v.content) or []
        for kind, nal in units:
            if kind == rc.H264_IDR:
                return nal is not None and v.keyframe
            if kind == 1:
                return False
    return False


def keyframe_requests(rtcp, ssrc, from_ports, to_ports):
    """The times of the PLIs and FIRs for `ssrc` sent from one of from_ports to
    one of to_ports."""
    return [r.time for r in rtcp if r.src in from_ports and r.dst in to_ports
            and ssrc in rc.keyframe_request_targets(r)]


def seen_in(forwarded, start, end):
    """{source: packets} a receiver got between two times."""
    out = collections.Counter()
    for f in forwarded:
        if start <= f.packet.time <= end:
            out[f.source] += 1
    return out


def picture_size_at(forwarded, t):
    """The size in the last key frame a receiver got before t, or None."""
    size = None
    for f in forwarded:
        if f.packet.time > t:
            break
        if f.video and f.video.width:
            size = (f.video.width, f.video.height)
    return size


# ---------------------------------------------------------------------------
# Self-test


def _vp8_packets(name, ssrc, size, frames, start_seq, start_time, key_every=4):
    """Rtp packets of a fake VP8 source: two packets a frame, a key frame
    every key_every frames, content that names the source and frame."""
    out = []
    seq = start_seq
    for n in range(frames):
        key = n % key_every == 0
        t = start_time + n / 15
        body = f"{name}:{n}".encode()
        first = rc.build_vp8(key, picture_id=n, width=size[0], height=size[1], body=body)
        second = rc.build_vp8(False, start=False, picture_id=n, body=body + b"+")
        for i, payload in enumerate((first, second)):
            out.append(rc.Rtp(t + i * 0.001, 0, 0, 96, i == 1, seq & 0xFFFF, 3000 * n, ssrc,
                              payload))
            seq += 1
    return out


def _forward(packets, ssrc=0x5EED, seq=100, delay=0.002):
    """What a perfect forwarder would send a receiver for these source packets
    (two a frame)."""
    # The descriptors are 3 bytes (a 7-bit picture id): the id is rewritten.
    return [rc.Rtp(p.time + delay, 0, 0, 96, p.marker, (seq + i) & 0xFFFF, 9000 + 3000 * (i // 2),
                   ssrc,
                   p.payload[:2] + bytes([(p.payload[2] + 50) & 0x7F]) + p.payload[3:])
            for i, p in enumerate(packets)]


def _self_test_checks(check):
    a = _vp8_packets("alice", 1, (320, 240), 12, 65530, 0.0)
    b = _vp8_packets("bob", 2, (640, 360), 12, 10, 0.0)
    sent_by = {"alice": a, "bob": b}
    # A good stream: alice's frames 0-3, then bob's from his key frame 4 on.
    # bob's second packet of each frame is byte for byte alice's (the same
    # small partition of a still picture), and sent after hers.
    b = [q._replace(payload=a[i].payload, time=a[i].time + 0.0005) if i % 2 else q
         for i, q in enumerate(b)]
    sent_by = {"alice": a, "bob": b}
    good = _forward(a[:8] + b[8:])
    fwd = attribute("VP8", good, sent_by)
    check([s for s, _ in segments(fwd)] == ["alice", "bob"],
          f"attribution: {[s for s, _ in segments(fwd)]}")
    check(stream_faults("VP8", fwd) == [], f"a good stream has no fault: "
          f"{stream_faults('VP8', fwd)}")
    check(picture_size_at(fwd, 0.9) == (640, 360) and picture_size_at(fwd, 0.1) == (320, 240),
          "picture_size_at reads the last key frame's size")
    planted = {
        "a switch to a delta frame": _forward(a[:8] + b[10:]),
        "a sequence gap": _forward(a[:8] + b[8:])[:5] + _forward(a[:8] + b[8:])[6:],
        "two SSRCs": _forward(a[:8]) + _forward(b[8:], ssrc=7, seq=108),
        "a marker bit lost": [p._replace(marker=False) for p in good],
        "a packet from nobody": good[:3] + [good[3]._replace(payload=b"\x10\x00\x01garbage")]
        + good[4:],
        "a timestamp going back": good[:9] + [good[9]._replace(ts=0)] + good[10:],
        "a stream starting mid-frame": _forward(a[1:8]),
        "picture ids not rewritten": good[:8] + [
            p._replace(payload=p.payload[:2] + bytes([90]) + p.payload[3:]) for p in good[8:]],
    }
    for fault, stream in planted.items():
        faults = stream_faults("VP8", attribute("VP8", stream, sent_by))
        check(len(faults) >= 1, f"{fault} is found: {faults}")
    rtcp = rc.parse_rtcp(struct.pack("!BBHII", 0x81, rc.RTCP_PSFB, 2, 9, 2), 0.5, 40, 41)
    check(keyframe_requests(rtcp, 2, {40}, {41}) == [0.5]
          and keyframe_requests(rtcp, 1, {40}, {41}) == [],
          "keyframe_requests finds a PLI for bob's SSRC and none for alice's")
    idr = bytes([0x65, 0x88, 0x80])
    p_slice = bytes([0x41, 0x9A, 0x00])
    sps = rc.build_sps(320, 240)
    videos = [rc.inspect_h264(x) for x in (sps, idr, p_slice)]
    check(keyframe_start("H264", videos) and not keyframe_start("H264", videos[2:])
          and not keyframe_start("H264", [videos[0], videos[2]]),
          "H.264: SPS then IDR is a key frame start; a P slice, or SPS then a P slice, is not")


def _self_test_call(workdir, codec, check):
    """baresip calls baresip with `codec`; a PLI from the test must bring a
    key frame from the callee."""
    sizes = {"callee": "352x288", "caller": "320x240" if codec == "VP8" else "640x360"}
    ports = {"callee": "11000-11099", "caller": "11100-11199"}
    capture = rc.LoopbackCapture(11000, 11199)
    clients = {}
    try:
        for name in ("callee", "caller"):
            clients[name] = VideoBaresipClient(f"{codec}-{name}", workdir, sizes[name],
                                               video_codec=codec, rtp_ports=ports[name],
                                               answer=name == "callee",
                                               talk=[(0.5, 2.0)] if name == "caller" else ())
        callee, caller = clients["callee"], clients["caller"]
        callee.start(hold_seconds=7)
        caller.start(dial_uri=callee.uri, hold_seconds=6)
        caller.wait_event("CALL_ESTABLISHED", timeout=10)
        # The PLI goes once the callee has sent two seconds of video and more,
        # so the key frame it answers with is the PLI's, not the call's first.
        callee_port = callee.media_ports()[0]
        deadline = time.monotonic() + 10
        while True:
            sent = [p for p in capture.rtp() if p.src == callee_port]
            if (sent and sent[-1].time - sent[0].time >= 2.5) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        callee_ssrc = sent[0].ssrc if sent else None
        check(callee_ssrc is not None, f"{codec}: the callee sends video from port {callee_port}")
        pli_at = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(struct.pack("!BBHII", 0x81, rc.RTCP_PSFB, 2, 0x7E57, callee_ssrc or 0),
                     ("127.0.0.1", callee_port + 1))
        for client in (caller, callee):
            client.wait(timeout=20)
    finally:
        capture.stop()
        for client in clients.values():
            client.kill()
    rtp = capture.rtp()
    for name, client in clients.items():
        other = clients["caller" if name == "callee" else "callee"]
        own, far = client.media_ports()
        check(own and far and other.media_ports() == (far, own),
              f"{codec}: {name}'s SDP names video ports {own} and {far}")
        answered = client.answered_video()
        check(answered and answered[0] == codec, f"{codec}: {name} was offered or answered "
                                                 f"{answered}")
        got = [p for p in rtp if p.dst == own and p.src == far]
        videos = [rc.inspect_video(codec, p.payload) for p in got]
        sizes_seen = {(v.width, v.height) for v in videos if v and v.width}
        check(len(got) > 30 and None not in videos,
              f"{codec}: {name} received {len(got)} video packets, every one parses")
        check(sizes_seen == {other.video_size},
              f"{codec}: {name} sees {other.name}'s {other.video_size}: key frame sizes "
              f"{sizes_seen}")
        check(len({p.ssrc for p in got}) == 1 and ah.sequence_gaps([p.seq for p in got]) == 0,
              f"{codec}: {name}'s video is one SSRC without a gap")
        check(keyframe_start(codec, videos), f"{codec}: {name}'s video begins a key frame")
    from_callee = [p for p in rtp if p.src == clients["callee"].media_ports()[0]]
    keys = [p.time - pli_at for p in from_callee
            if keyframe_start(codec, [rc.inspect_video(codec, p.payload)])]
    after = [k for k in keys if k >= 0]
    before = [k for k in keys if -1.5 <= k < 0]
    # Not a periodic key frame by chance: none in the 1.5 s before the PLI.
    check(bool(after) and after[0] < 0.5 and not before,
          f"{codec}: the callee answers a PLI with a key frame "
          f"({after[0] * 1000 if after else float('nan'):.0f} ms later; "
          f"{len(before)} in the 1.5 s before)")
    spans = talk_spans([p for p in rtp if p.src == clients["caller"].media_ports("audio")[0]])
    check(len(spans) == 1 and 1.2 < spans[0][1] - spans[0][0] < 1.8,
          f"{codec}: the caller's 1.5 s of talk is found on the wire: {spans}")


def self_test():
    failures, began = [], time.monotonic()
    check = rc.checker(failures)
    print("checks on built streams:", flush=True)
    _self_test_checks(check)
    if os.geteuid() != 0:
        print("baresip calls skipped: capturing the loopback needs root")
    else:
        ah.require_baresip("avcodec.so")
        with tempfile.TemporaryDirectory(prefix="tutti-video-selftest-") as workdir:
            for codec in ("VP8", "H264"):
                print(f"baresip -> baresip, {codec}:", flush=True)
                _self_test_call(workdir, codec, check)
    return rc.verdict(failures, began)


if __name__ == "__main__":
    rc.main(self_test, __doc__)
