"""The wire, read back: UDP on the loopback captured with an AF_PACKET socket
(root only), and parsers for what the e2e video tests look at in it: RTP
headers, RTCP (compound; PLI, FIR, generic NACK, REMB, TMMBR), the VP8
payload descriptor and key frame header, H.264 NAL units (single, STAP-A,
FU-A) and the picture size in an SPS.

    python3 tests/e2e/rtp_capture.py --self-test

checks every parser on packets built here, byte by byte from the RFCs, and
that each says no to a truncated or foreign packet. Pure Python, no tuttid,
no root, well under a second.
"""

import collections
import os
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33
SO_ATTACH_FILTER = 26

# ---------------------------------------------------------------------------
# Capture


def require_root(test_name):
    """Skips (unittest.SkipTest, with "<test_name> skipped: ..." for ctest's
    SKIP_REGULAR_EXPRESSION) where an AF_PACKET socket cannot be opened."""
    import unittest
    if os.geteuid() != 0:
        raise unittest.SkipTest(f"{test_name} skipped: capturing the loopback needs root "
                                "(an AF_PACKET socket)")


class LoopbackCapture:
    """UDP datagrams on lo with one end in [first, last], captured with an
    AF_PACKET socket (needs root; each packet once: the outgoing copy is
    skipped). Collected as (source port, destination port, UDP payload) in
    `packets`, and the time.monotonic() each arrived at in `times` (same
    index). After stop(), `dropped` says how many the kernel dropped (of
    all on lo) because this thread fell behind: what is missing from
    `packets` may then be missing from the capture only."""

    def __init__(self, first, last):
        self.first, self.last = first, last
        self.packets = []
        self.times = []
        self.dropped = None  # what the kernel dropped for want of room, once stopped
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # Room for a few seconds of a busy loopback while this thread waits
        # for a core (root may pass rmem_max).
        self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        # The kernel passes up only our ports' UDP, once: the rest of lo
        # (other tests, a benchmark) neither costs this thread nor fills
        # the buffer.
        self._filter = _port_filter(first, last)
        self._sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, self._filter[0])
        self._sock.bind(("lo", 0))
        self._drops()  # counted from here
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            if address[2] == PACKET_OUTGOING or len(frame) < 14 + 20 + 8:
                continue
            ip = frame[14:]
            if ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            header = (ip[0] & 0x0F) * 4
            source, destination, length = struct.unpack("!HHH", ip[header:header + 6])
            if not (self.first <= source <= self.last or self.first <= destination <= self.last):
                continue
            self.times.append(time.monotonic())
            self.packets.append((source, destination, bytes(ip[header + 8:header + length])))

    def _drops(self):
        """Packets the kernel dropped since the last call (PACKET_STATISTICS,
        which resets as it is read)."""
        stats = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        return struct.unpack("II", stats)[1]

    def stop(self):
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=2)
        self.dropped = self._drops()
        self._sock.close()

    def rtp(self):
        """Every RTP packet captured, as Rtp records in arrival order."""
        out = []
        for t, (source, destination, data) in zip(self.times, self.packets):
            packet = parse_rtp(data, t, source, destination)
            if packet is not None:
                out.append(packet)
        return out

    def rtcp(self):
        """Every RTCP packet captured (compounds split), as Rtcp records."""
        out = []
        for t, (source, destination, data) in zip(self.times, self.packets):
            out.extend(parse_rtcp(data, t, source, destination))
        return out


def _port_filter(first, last):
    """(struct sock_fprog bytes, the instructions' buffer, which must live as
    long as the socket): a classic BPF program taking the incoming copy of
    unfragmented IPv4 UDP with either port in [first, last]."""
    import ctypes
    drop, dst = 17, 13  # the places of `ret 0` and of the destination port's check
    program = [
        (0x20, 0, 0, 0xFFFFF004),         # 0 ld pkttype (SKF_AD_PKTTYPE)
        (0x15, drop - 2, 0, PACKET_OUTGOING),  # 1
        (0x28, 0, 0, 12),                 # 2 ldh ethertype
        (0x15, 0, drop - 4, 0x0800),      # 3
        (0x30, 0, 0, 23),                 # 4 ldb ip protocol
        (0x15, 0, drop - 6, 17),          # 5 UDP
        (0x28, 0, 0, 20),                 # 6 ldh flags and fragment offset
        (0x45, drop - 8, 0, 0x1FFF),      # 7 a later fragment: no ports
        (0xB1, 0, 0, 14),                 # 8 x = IP header length
        (0x48, 0, 0, 14),                 # 9 ldh source port
        (0x35, 0, dst - 11, first),       # 10
        (0x25, dst - 12, 0, last),        # 11
        (0x06, 0, 0, 0x40000),            # 12 take it
        (0x48, 0, 0, 16),                 # 13 ldh destination port
        (0x35, 0, drop - 15, first),      # 14
        (0x25, drop - 16, 0, last),       # 15
        (0x06, 0, 0, 0x40000),            # 16 take it
        (0x06, 0, 0, 0),                  # 17 drop
    ]
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(code)
    return struct.pack("HxxxxxxQ", len(program), ctypes.addressof(buffer)), buffer


# ---------------------------------------------------------------------------
# RTP and RTCP

Rtp = collections.namedtuple("Rtp", "time src dst pt marker seq ts ssrc payload")
Rtcp = collections.namedtuple("Rtcp", "time src dst pt fmt sender_ssrc media_ssrc body")

RTCP_SR, RTCP_RR, RTCP_RTPFB, RTCP_PSFB = 200, 201, 205, 206


def is_rtcp(data):
    """RFC 5761 section 4: with RTP and RTCP on one port, a second byte of 192
    to 223 is RTCP (the packet types 200-207 that are in use, and then some)."""
    return len(data) >= 8 and data[0] >> 6 == 2 and 192 <= data[1] <= 223


def parse_rtp(data, t=0.0, src=0, dst=0):
    """An Rtp record, or None for what is not RTP (RTCP, STUN, DTLS, short)."""
    if len(data) < 12 or data[0] >> 6 != 2 or is_rtcp(data):
        return None
    csrc = (data[0] & 0x0F) * 4
    offset = 12 + csrc
    if data[0] & 0x10:  # header extension
        if len(data) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack("!H", data[offset + 2:offset + 4])[0]
    end = len(data)
    if data[0] & 0x20:  # padding
        if not data[-1] or data[-1] > end - offset:
            return None
        end -= data[-1]
    if offset > end:
        return None
    seq, ts, ssrc = struct.unpack("!HII", data[2:12])
    return Rtp(t, src, dst, data[1] & 0x7F, bool(data[1] & 0x80), seq, ts, ssrc,
               bytes(data[offset:end]))


def parse_rtcp(data, t=0.0, src=0, dst=0):
    """The packets of an RTCP compound as Rtcp records (fmt is the count
    field: the feedback message type for RTPFB/PSFB; media_ssrc is 0 for
    packets without one); [] for what is not RTCP. Stops at the first
    malformed packet."""
    out = []
    offset = 0
    while is_rtcp(data[offset:]):
        fmt, pt, words = data[offset] & 0x1F, data[offset + 1], struct.unpack(
            "!H", data[offset + 2:offset + 4])[0]
        end = offset + 4 * (words + 1)
        if end > len(data):
            break
        sender = struct.unpack("!I", data[offset + 4:offset + 8])[0]
        media = 0
        body = bytes(data[offset + 8:end])
        if pt in (RTCP_RTPFB, RTCP_PSFB) and len(body) >= 4:
            media = struct.unpack("!I", body[:4])[0]
            body = body[4:]
        out.append(Rtcp(t, src, dst, pt, fmt, sender, media, body))
        offset = end
    return out


def feedback_kind(rtcp):
    """'PLI', 'FIR', 'REMB', 'NACK', 'TMMBR' or None for an Rtcp record."""
    if rtcp.pt == RTCP_PSFB:
        if rtcp.fmt == 1:
            return "PLI"
        if rtcp.fmt == 4:
            return "FIR"
        if rtcp.fmt == 15 and rtcp.body[:4] == b"REMB":
            return "REMB"
    if rtcp.pt == RTCP_RTPFB:
        return {1: "NACK", 3: "TMMBR"}.get(rtcp.fmt)
    return None


def fir_entries(rtcp):
    """[(ssrc, command sequence number)] of a FIR (RFC 5104 section 4.3.1):
    whom it asks is in its FCI, not in the media SSRC (which is 0)."""
    return [(struct.unpack("!I", rtcp.body[i:i + 4])[0], rtcp.body[i + 4])
            for i in range(0, len(rtcp.body) - 7, 8)]


def nack_sequences(rtcp):
    """The sequence numbers a generic NACK (RFC 4585 section 6.2.1) asks for."""
    out = []
    for i in range(0, len(rtcp.body) - 3, 4):
        pid, blp = struct.unpack("!HH", rtcp.body[i:i + 4])
        out.append(pid)
        out.extend((pid + 1 + bit) & 0xFFFF for bit in range(16) if blp >> bit & 1)
    return out


def keyframe_request_targets(rtcp):
    """The SSRCs a PLI or FIR asks for a keyframe ([] for other packets)."""
    kind = feedback_kind(rtcp)
    if kind == "PLI":
        return [rtcp.media_ssrc]
    if kind == "FIR":
        return [ssrc for ssrc, _ in fir_entries(rtcp)]
    return []


# ---------------------------------------------------------------------------
# Video payloads

Video = collections.namedtuple("Video", "frame_start keyframe width height picture_id "
                                        "tl0picidx content")
# content: the bytes a forwarder does not touch (after the VP8 descriptor,
# whose picture id it rewrites; the whole H.264 payload), to tell whose
# packet a forwarded one is.


def inspect_video(codec, payload):
    """A Video record for an RTP payload of `codec` ("VP8" or "H264"), or
    None where the payload is not valid for it."""
    if codec == "VP8":
        return inspect_vp8(payload)
    if codec == "H264":
        return inspect_h264(payload)
    raise ValueError(f"codec {codec!r}: VP8 or H264")


def inspect_vp8(payload):
    """RFC 7741 section 4.2 descriptor, then (at a partition 0 start) the VP8
    payload header and, for a key frame, its start code and size (RFC 6386
    section 9.1). width/height are 0 where the packet does not carry them."""
    if not payload:
        return None
    first = payload[0]
    start, partition = bool(first & 0x10), first & 0x07
    offset = 1
    picture_id = tl0picidx = -1
    if first & 0x80:  # X
        if len(payload) < 2:
            return None
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I
            if len(payload) < offset + 1:
                return None
            if payload[offset] & 0x80:  # M: 15 bits
                if len(payload) < offset + 2:
                    return None
                picture_id = struct.unpack("!H", payload[offset:offset + 2])[0] & 0x7FFF
                offset += 2
            else:
                picture_id = payload[offset]
                offset += 1
        if ext & 0x40:  # L
            if len(payload) < offset + 1:
                return None
            tl0picidx = payload[offset]
            offset += 1
        if ext & 0x30:  # T or K
            offset += 1
    if offset >= len(payload):
        return None
    body = payload[offset:]
    frame_start = start and partition == 0
    keyframe = frame_start and not body[0] & 0x01
    width = height = 0
    if keyframe:
        if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
            return None
        width = struct.unpack("<H", body[6:8])[0] & 0x3FFF
        height = struct.unpack("<H", body[8:10])[0] & 0x3FFF
    return Video(frame_start, keyframe, width, height, picture_id, tl0picidx, bytes(body))


H264_IDR, H264_SEI, H264_SPS, H264_PPS, H264_AUD = 5, 6, 7, 8, 9
H264_STAP_A, H264_FU_A = 24, 28


def h264_nal_units(payload):
    """[(nal type, NAL unit bytes or, for an FU-A that does not start one,
    None)] in an RTP payload (RFC 6184: single NAL unit, STAP-A, FU-A);
    None where the payload is malformed."""
    if not payload or payload[0] & 0x80:
        return None
    kind = payload[0] & 0x1F
    if 1 <= kind <= 23:
        return [(kind, payload)]
    if kind == H264_STAP_A:
        units, offset = [], 1
        while offset < len(payload):
            if offset + 2 > len(payload):
                return None
            size = struct.unpack("!H", payload[offset:offset + 2])[0]
            offset += 2
            if size == 0 or offset + size > len(payload):
                return None
            units.append((payload[offset] & 0x1F, payload[offset:offset + size]))
            offset += size
        return units or None
    if kind == H264_FU_A:
        if len(payload) < 3:
            return None
        fu = payload[1]
        nal = bytes([(payload[0] & 0xE0) | (fu & 0x1F)]) + payload[2:]
        return [(fu & 0x1F, nal if fu & 0x80 else None)]
    return None


def inspect_h264(payload):
    """frame_start: the packet begins an access unit (AUD, SEI, SPS, PPS, or
    the first slice of a picture: first_mb_in_slice 0); keyframe: it holds
    an SPS or begins an IDR picture; width/height from an SPS in it."""
    units = h264_nal_units(payload)
    if units is None:
        return None
    frame_start = keyframe = False
    width = height = 0
    for index, (kind, nal) in enumerate(units):
        begins = nal is not None
        if kind in (1, H264_IDR) and begins:
            first_mb = BitReader(unescape_rbsp(nal[1:9])).ue() if len(nal) > 1 else None
            begins = first_mb == 0
        if index == 0 and begins and kind in (1, H264_IDR, H264_SEI, H264_SPS, H264_PPS,
                                               H264_AUD):
            frame_start = True
        if begins and kind in (H264_IDR, H264_SPS):
            keyframe = True
        if kind == H264_SPS and nal is not None:
            size = sps_picture_size(nal)
            if size is None:
                return None
            width, height = size
    return Video(frame_start, keyframe, width, height, -1, -1, bytes(payload))


def unescape_rbsp(data):
    """Drops the emulation prevention bytes (00 00 03 -> 00 00)."""
    out, zeros = bytearray(), 0
    for byte in data:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class BitReader:
    """MSB-first bits with Exp-Golomb codes (H.264 section 9.1); reading past
    the end raises ValueError."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def u(self, bits):
        value = 0
        for _ in range(bits):
            if self.pos >= 8 * len(self.data):
                raise ValueError("read past the end")
            value = value << 1 | (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
            self.pos += 1
        return value

    def ue(self):
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self):
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


_HIGH_PROFILES = (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135)


def sps_picture_size(nal):
    """(width, height) an SPS NAL unit (header byte included) gives, after
    cropping (H.264 section 7.3.2.1.1 and 7.4.2.1.1), or None when it is
    truncated."""
    try:
        bits = BitReader(unescape_rbsp(nal[1:]))
        profile = bits.u(8)
        bits.u(16)  # constraint flags, level_idc
        bits.ue()  # seq_parameter_set_id
        chroma_format, separate_planes = 1, 0
        if profile in _HIGH_PROFILES:
            chroma_format = bits.ue()
            if chroma_format == 3:
                separate_planes = bits.u(1)
            bits.ue()  # bit_depth_luma_minus8
            bits.ue()  # bit_depth_chroma_minus8
            bits.u(1)  # qpprime_y_zero_transform_bypass_flag
            if bits.u(1):  # seq_scaling_matrix_present_flag
                for i in range(8 if chroma_format != 3 else 12):
                    if bits.u(1):
                        _skip_scaling_list(bits, 16 if i < 6 else 64)
        bits.ue()  # log2_max_frame_num_minus4
        poc_type = bits.ue()
        if poc_type == 0:
            bits.ue()
        elif poc_type == 1:
            bits.u(1)
            bits.se()
            bits.se()
            for _ in range(bits.ue()):
                bits.se()
        bits.ue()  # max_num_ref_frames
        bits.u(1)  # gaps_in_frame_num_value_allowed_flag
        width_mbs = bits.ue() + 1
        height_units = bits.ue() + 1
        frame_mbs_only = bits.u(1)
        if not frame_mbs_only:
            bits.u(1)  # mb_adaptive_frame_field_flag
        bits.u(1)  # direct_8x8_inference_flag
        crop = [0, 0, 0, 0]
        if bits.u(1):
            crop = [bits.ue() for _ in range(4)]  # left, right, top, bottom
    except ValueError:
        return None
    if chroma_format == 0 or separate_planes:
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        unit_x = 1 if chroma_format == 3 else 2
        unit_y = (2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - unit_y * (crop[2] + crop[3])
    return width, height


def _skip_scaling_list(bits, size):
    last = next_scale = 8
    for _ in range(size):
        if next_scale:
            next_scale = (last + bits.se() + 256) % 256
        last = next_scale or last


# ---------------------------------------------------------------------------
# Self-test on packets built here


class BitWriter:
    """The inverse of BitReader, to build SPS NAL units for the self-test."""

    def __init__(self):
        self.bits = []

    def u(self, bits, value):
        self.bits.extend((value >> (bits - 1 - i)) & 1 for i in range(bits))

    def ue(self, value):
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value):
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def rbsp(self):
        bits = self.bits + [1] + [0] * (-(len(self.bits) + 1) % 8)  # rbsp_trailing_bits
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def escape_rbsp(data):
    """Adds emulation prevention bytes (the inverse of unescape_rbsp)."""
    out, zeros = bytearray(), 0
    for byte in data:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def build_sps(width, height, profile=66, scaling=False, poc_type=2):
    """An SPS NAL unit for a width x height 4:2:0 progressive picture
    (cropped when not a multiple of 16)."""
    w = BitWriter()
    w.u(8, profile)
    w.u(8, 0xC0)
    w.u(8, 31)
    w.ue(0)
    if profile in _HIGH_PROFILES:
        w.ue(1)  # 4:2:0
        w.ue(0)
        w.ue(0)
        w.u(1, 0)
        w.u(1, 1 if scaling else 0)
        if scaling:  # the first 4x4 list present (16 deltas), the 7 others not
            w.u(1, 1)
            for _ in range(16):
                w.se(1)
            for _ in range(7):
                w.u(1, 0)
    w.ue(0)
    w.ue(poc_type)
    if poc_type == 0:
        w.ue(2)
    elif poc_type == 1:
        w.u(1, 0)
        w.se(-1)
        w.se(2)
        w.ue(1)
        w.se(0)
    w.ue(1)
    w.u(1, 0)
    mbs_w, mbs_h = (width + 15) // 16, (height + 15) // 16
    w.ue(mbs_w - 1)
    w.ue(mbs_h - 1)
    w.u(1, 1)  # frame_mbs_only
    w.u(1, 1)
    crop_right, crop_bottom = (mbs_w * 16 - width) // 2, (mbs_h * 16 - height) // 2
    if crop_right or crop_bottom:
        w.u(1, 1)
        for value in (0, crop_right, 0, crop_bottom):
            w.ue(value)
    else:
        w.u(1, 0)
    w.u(1, 0)  # vui_parameters_present_flag
    return bytes([0x67]) + escape_rbsp(w.rbsp())


def build_vp8(keyframe, start=True, partition=0, picture_id=None, tl0picidx=None, width=0,
              height=0, body=b"\x00" * 8):
    """A VP8 RTP payload: descriptor (X/I/M/L as asked), then a payload header
    (key frame: frame tag, start code, width, height with scale bits set, to
    be masked off) where the packet starts partition 0."""
    ext = (0x80 if picture_id is not None else 0) | (0x40 if tl0picidx is not None else 0)
    out = bytearray([(0x80 if ext else 0) | (0x10 if start else 0) | partition])
    if ext:
        out.append(ext)
    if picture_id is not None:
        out += struct.pack("!H", 0x8000 | picture_id) if picture_id > 127 else bytes([picture_id])
    if tl0picidx is not None:
        out.append(tl0picidx)
    if start and partition == 0:
        tag = 0x10 | (0 if keyframe else 1)  # show_frame, P bit
        out += bytes([tag, 0x02, 0x00])
        if keyframe:
            out += b"\x9d\x01\x2a" + struct.pack("<HH", 0x4000 | width, 0x8000 | height)
    return bytes(out) + body


def _self_test_rtp(check):
    header = struct.pack("!BBHII", 0x80, 0x80 | 100, 65535, 123456, 0xCAFEBABE)
    p = parse_rtp(header + b"abc", 1.5, 10, 20)
    check(p == Rtp(1.5, 10, 20, 100, True, 65535, 123456, 0xCAFEBABE, b"abc"),
          f"RTP header: {p}")
    # P, X and one CSRC; an extension of one word; two bytes of payload, three of padding.
    padded = (struct.pack("!BBHII", 0xB1, 96, 7, 8, 9) + b"\0\0\0\1" + b"\xbe\xde\0\1"
              + b"\0\0\0\0" + b"xy" + b"\0\0\3")
    p = parse_rtp(padded)
    check(p is not None and p.payload == b"xy" and p.pt == 96 and not p.marker,
          f"RTP with a CSRC, a header extension and padding: {p}")
    check(parse_rtp(header[:11]) is None, "a truncated RTP header is not RTP")
    check(parse_rtp(bytes([0x40]) + header[1:]) is None, "version 1 is not RTP")


def _self_test_rtcp(check):
    rr = struct.pack("!BBHI", 0x80, RTCP_RR, 1, 0x11111111)
    pli = struct.pack("!BBHII", 0x81, RTCP_PSFB, 2, 0x22222222, 0x33333333)
    fir = struct.pack("!BBHIIIB3x", 0x84, RTCP_PSFB, 4, 0x22222222, 0, 0x44444444, 7)
    nack = struct.pack("!BBHIIHH", 0x81, RTCP_RTPFB, 3, 0x22222222, 0x33333333, 65534, 0b101)
    remb = struct.pack("!BBHII4sBBHI", 0x8F, RTCP_PSFB, 5, 0x22222222, 0, b"REMB", 1, 0x0A,
                       0x1234, 0x33333333)
    packets = parse_rtcp(rr + pli + fir + nack + remb, 2.0, 1, 2)
    kinds = [feedback_kind(p) for p in packets]
    check(kinds == [None, "PLI", "FIR", "NACK", "REMB"], f"RTCP compound kinds {kinds}")
    check(keyframe_request_targets(packets[1]) == [0x33333333]
          and keyframe_request_targets(packets[2]) == [0x44444444]
          and keyframe_request_targets(packets[3]) == [],
          "a PLI asks its media SSRC, a FIR the SSRC in its FCI, a NACK no keyframe")
    check(fir_entries(packets[2]) == [(0x44444444, 7)], f"FIR FCI {fir_entries(packets[2])}")
    check(nack_sequences(packets[3]) == [65534, 65535, 1], "NACK pid 65534 with bits 0 and 2 "
          f"asks 65534, 65535, 1 (wraps): {nack_sequences(packets[3])}")
    check(packets[1].sender_ssrc == 0x22222222 and packets[1].time == 2.0,
          "the sender SSRC and capture time are kept")
    check(parse_rtcp(rr + pli[:10]) == parse_rtcp(rr), "a truncated packet ends the compound")
    check(parse_rtp(pli) is None and parse_rtcp(struct.pack("!BBHII", 0x80, 96, 1, 2, 3)) == [],
          "RTCP is not RTP and RTP is not RTCP (RFC 5761 demultiplexing)")


def _self_test_vp8(check):
    key = build_vp8(True, picture_id=300, tl0picidx=9, width=352, height=288)
    v = inspect_vp8(key)
    check(v is not None and v.frame_start and v.keyframe and (v.width, v.height) == (352, 288)
          and v.picture_id == 300 and v.tl0picidx == 9,
          f"VP8 key frame, 15-bit picture id, TL0PICIDX: {v}")
    v = inspect_vp8(build_vp8(False, picture_id=5))
    check(v is not None and v.frame_start and not v.keyframe and v.picture_id == 5
          and v.width == 0, f"VP8 inter frame, 7-bit picture id: {v}")
    v = inspect_vp8(build_vp8(True, start=False))
    check(v is not None and not v.frame_start and not v.keyframe,
          f"a VP8 continuation packet begins no frame: {v}")
    v = inspect_vp8(build_vp8(True, partition=1))
    check(v is not None and not v.frame_start, f"partition 1 begins no frame: {v}")
    same = inspect_vp8(build_vp8(True, picture_id=1, width=352, height=288))
    check(same.content == inspect_vp8(key).content,
          "rewriting the picture id leaves the content the same")
    check(inspect_vp8(key[:12]) is None, "a key frame cut before its size is refused")
    check(inspect_vp8(b"\x90\x80") is None, "a descriptor cut in its extension is refused")
    check(inspect_vp8(b"") is None, "an empty payload is refused")


def _self_test_h264(check):
    for size, profile, extra in (((640, 480), 66, {}), ((640, 360), 66, {}),
                                 ((1280, 720), 100, {"scaling": True}),
                                 ((176, 144), 77, {"poc_type": 1}),
                                 ((1920, 1080), 100, {"poc_type": 0})):
        sps = build_sps(*size, profile=profile, **extra)
        got = sps_picture_size(sps)
        check(got == size, f"SPS (profile {profile}, {extra}) for {size} reads {got}")
    sps, pps = build_sps(640, 360), b"\x68\xce\x38\x80"
    idr = bytes([0x65, 0x88]) + b"\x84" * 20  # first_mb_in_slice 0 (ue '1')
    slice_p = bytes([0x41, 0x9A]) + b"\x00" * 10
    slice_p_later = bytes([0x41, 0x40]) + b"\x00" * 10  # first_mb_in_slice 1 (ue '010')
    stap = bytes([0x78]) + struct.pack("!H", len(sps)) + sps + struct.pack("!H", len(pps)) + pps
    v = inspect_h264(stap)
    check(v is not None and v.keyframe and v.frame_start and (v.width, v.height) == (640, 360),
          f"STAP-A with SPS and PPS: {v}")
    v = inspect_h264(sps)
    check(v is not None and v.keyframe and v.frame_start and v.width == 640,
          f"a single SPS NAL unit: {v}")
    v = inspect_h264(idr)
    check(v is not None and v.keyframe and v.frame_start, f"an IDR slice: {v}")
    v = inspect_h264(slice_p)
    check(v is not None and not v.keyframe and v.frame_start, f"a P slice starting a frame: {v}")
    v = inspect_h264(slice_p_later)
    check(v is not None and not v.keyframe and not v.frame_start,
          f"a P slice not at macroblock 0: {v}")
    fu_start = bytes([0x7C, 0x85]) + idr[1:]
    fu_middle = bytes([0x7C, 0x05]) + b"\x11" * 10
    v = inspect_h264(fu_start)
    check(v is not None and v.keyframe and v.frame_start, f"FU-A starting an IDR: {v}")
    v = inspect_h264(fu_middle)
    check(v is not None and not v.keyframe and not v.frame_start, f"FU-A inside an IDR: {v}")
    check(inspect_h264(stap + b"\x00\x09\x68") is None, "a STAP-A length that overruns")
    check(inspect_h264(b"\x7C") is None, "an FU-A without its header")
    check(inspect_h264(bytes([0x80 | 0x65])) is None, "the forbidden bit set")
    check(sps_picture_size(sps[:4]) is None, "a truncated SPS")
    check(unescape_rbsp(b"\x00\x00\x03\x01\x00\x00\x03") == b"\x00\x00\x01\x00\x00",
          "emulation prevention bytes are dropped")


def checker(failures):
    """check(condition, message) for a --self-test: prints it as ok or FAIL,
    and adds a failed one's message to `failures`."""
    def check(condition, message):
        print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
        if not condition:
            failures.append(message)
    return check


def verdict(failures, began):
    """Prints a --self-test's outcome; its exit status."""
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failure(s) in "
          f"{time.monotonic() - began:.1f}s")
    return 1 if failures else 0


def main(self_test, doc):
    """A harness module run as a program: --self-test, or its usage."""
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    print(doc)
    sys.exit(2)


def self_test():
    failures, began = [], time.monotonic()
    check = checker(failures)
    for part in (_self_test_rtp, _self_test_rtcp, _self_test_vp8, _self_test_h264):
        part(check)
    return verdict(failures, began)


if __name__ == "__main__":
    main(self_test, __doc__)
