"""A model of a follow-the-talker video forwarder, as a capture on lo would
show it: callers sending PCMU (a tone in their turn, silence otherwise) and
VP8 (two packets a frame, a key frame when asked by PLI), and the forwarder
switching each receiver to the talker (the talker to the previous one) at
the new source's first key frame after a PLI, on one SSRC per receiver with
sequence numbers and timestamps running on.

It exists to test the tests: e2e.video_call's checks of a capture must pass
on it and fail on it with each fault of FAULTS planted, without tuttid or
baresip. Pure Python, about a second.
"""

import math
import struct

import audio_harness as ah
import rtp_capture as rc

FAULTS = {
    "no_pli": "switches without asking the new source for a key frame (waits for one)",
    "no_keyframe_gating": "switches at once, in the middle of the new source's frames",
    "ssrc_per_source": "forwards each source on an SSRC of its own",
    "seq_per_source": "forwards each source's sequence numbers unchanged",
    "talker_sees_self": "shows the talker its own camera",
    "late_switch": "switches the others to the talker only 2 s into its turn",
    "drops_a_packet": "loses one forwarded packet in the middle",
    "picture_id_per_source": "forwards each source's VP8 picture ids unchanged",
}

FPS = 15
KEYFRAME_DELAY_S = 0.07  # baresip answers a PLI in about this
TONE = ah.lin2ulaw([int(ah.AMPLITUDE * math.sin(2 * math.pi * 700 * i / 8000))
                    for i in range(160)])
SILENCE = b"\xff" * 160


class SimulatedClient:
    """What the checks read of a VideoBaresipClient."""

    def __init__(self, name, index, size):
        self.name, self.video_size = name, size
        self.ports = {"video": (11000 + 10 * index, 20000 + 10 * index),
                      "audio": (11002 + 10 * index, 20002 + 10 * index)}
        self.ssrc = 0x1000 + index

    def media_ports(self, kind="video"):
        return self.ports[kind]

    def video_lines(self):
        return []

    def log_tail(self, chars=0):
        return ""


class SimulatedCapture:
    def __init__(self):
        self.rtp_packets, self.rtcp_packets = [], []
        self.dropped = 0

    def rtp(self):
        return sorted(self.rtp_packets, key=lambda p: p.time)

    def rtcp(self):
        return sorted(self.rtcp_packets, key=lambda p: p.time)


class _Receiver:
    def __init__(self, client):
        self.client = client
        self.view = self.pending = None
        self.seq, self.ts, self.offsets = 1000, 5000, {}  # offsets: source -> (seq, ts, id)
        self.picture_id = 0  # the next frame's


def simulate(sizes, turns, seconds, faults=()):
    """(clients, capture): `sizes` maps names to (width, height), `turns` is
    [(name, start, end)] in seconds; the room lasts `seconds`."""
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown faults {unknown}")
    clients = [SimulatedClient(name, i, size) for i, (name, size) in enumerate(sizes.items())]
    by_name = {c.name: c for c in clients}
    capture = SimulatedCapture()
    receivers = {c.name: _Receiver(c) for c in clients}
    key_due = {c.name: 0.0 for c in clients}  # a key frame at the next frame from then on
    talker = previous = None
    for tick in range(int(seconds * 100)):
        t = tick / 100
        if tick % 2 == 0:
            for c in clients:
                own, far = c.media_ports("audio")
                loud = any(n == c.name and a <= t < b for n, a, b in turns)
                capture.rtp_packets.append(rc.Rtp(t, own, far, 0, False, tick // 2, tick * 80,
                                                  c.ssrc + 0x100, TONE if loud else SILENCE))
        now = next((n for n, a, b in turns if a <= t < b), talker)
        if now != talker:
            talker, previous = now, talker
        for name, r in receivers.items():
            wanted = _wanted(name, talker, previous, r.view, list(sizes), faults, turns, t)
            if wanted not in (r.view, r.pending):
                r.pending = wanted
                source = by_name[wanted]
                if "no_pli" not in faults:
                    own, far = source.media_ports()
                    capture.rtcp_packets.extend(rc.parse_rtcp(struct.pack(
                        "!BBHII", 0x81, rc.RTCP_PSFB, 2, 1, source.ssrc), t, far + 1, own + 1))
                    key_due[wanted] = key_due[wanted] or t + KEYFRAME_DELAY_S
                if "no_keyframe_gating" in faults:
                    r.view, r.pending = wanted, None
        if tick % (100 // FPS) == 0:
            for c in clients:
                _send_frame(c, t, tick, key_due, receivers, capture, faults)
    return clients, capture


def _wanted(name, talker, previous, view, names, faults, turns, t):
    if talker is None:
        return view or next(n for n in names if n != name)
    if name != talker:
        if "late_switch" in faults and any(n == talker and t < a + 2.0 for n, a, _ in turns):
            return view or talker
        return talker
    if "talker_sees_self" in faults:
        return name
    return previous or view or next(n for n in names if n != name)


def _send_frame(c, t, tick, key_due, receivers, capture, faults):
    frame = tick // (100 // FPS)
    # A key frame when asked, and one a second anyway (so that a forwarder
    # that never asks still switches, late).
    key = frame % FPS == 0 or (key_due[c.name] and t >= key_due[c.name])
    if key:
        key_due[c.name] = 0.0
    own, far = c.media_ports()
    body = f"{c.name}:{frame}".encode()
    picture_id = (c.ssrc * 31 + frame) & 0x7FFF  # 15 bits, as baresip sends
    payloads = (rc.build_vp8(key, picture_id=picture_id, width=c.video_size[0],
                             height=c.video_size[1], body=body),
                rc.build_vp8(False, start=False, picture_id=picture_id, body=body + b"+"))
    for i, payload in enumerate(payloads):
        # Each source's frames a little apart from the others', as on a wire.
        packet = rc.Rtp(t + 0.01 * (c.ssrc & 0xF) + i * 0.001, own, far, 96, i == 1,
                        (c.ssrc * 7919 + 2 * frame + i) & 0xFFFF,
                        6000 * frame, c.ssrc, payload)
        capture.rtp_packets.append(packet)
        for name, r in receivers.items():
            if r.pending == c.name and key and i == 0:
                r.view, r.pending = c.name, None
                r.offsets[c.name] = _offsets(r, packet, picture_id)
            if r.view != c.name or name == c.name and "talker_sees_self" not in faults:
                continue
            _forward(r, c, packet, picture_id, capture, faults)


def _offsets(r, packet, picture_id):
    """What a receiver adds to a source's sequence numbers, timestamps and
    picture ids to run on from its last packet."""
    return ((r.seq - packet.seq) & 0xFFFF, (r.ts + 6000 - packet.ts) & 0xFFFFFFFF,
            (r.picture_id - picture_id) & 0x7FFF)


def _forward(r, c, packet, picture_id, capture, faults):
    seq_offset, ts_offset, id_offset = r.offsets.setdefault(c.name,
                                                            _offsets(r, packet, picture_id))
    seq = packet.seq if "seq_per_source" in faults else (packet.seq + seq_offset) & 0xFFFF
    ts = (packet.ts + ts_offset) & 0xFFFFFFFF
    out_id = picture_id if "picture_id_per_source" in faults else (picture_id + id_offset) & 0x7FFF
    r.seq, r.ts, r.picture_id = (seq + 1) & 0xFFFF, ts, (out_id + 1) & 0x7FFF
    if "drops_a_packet" in faults and seq == 1100:
        return
    ssrc = 0x9000 + c.ssrc if "ssrc_per_source" in faults else 0x5EED
    own, far = r.client.media_ports()
    # The descriptor is 4 bytes: X, I with M and a 15-bit id.
    payload = packet.payload[:2] + struct.pack("!H", 0x8000 | out_id) + packet.payload[4:]
    capture.rtp_packets.append(packet._replace(time=packet.time + 0.002, src=far, dst=own,
                                               seq=seq, ts=ts, ssrc=ssrc, payload=payload))
