"""Pieces for the end-to-end audio tests: real baresip clients (Debian's
baresip 1.0.0, see /work/shared/CLIENTS.md), a Python SIP caller that sends a
tone with random packet loss, and spectrum checks (Goertzel, pure Python) of
what each participant recorded.

    python3 tests/e2e/audio_harness.py --self-test

proves the pieces without tuttid: baresip calls baresip (PCMU and opus) and
each must hear the other's tone and not a tone nobody sent; the lossy caller
calls SIPp's built-in UAS (with -rtp_echo) and its dropped packets must show
as gaps in the sequence numbers that come back.
"""

import array
import ctypes
import ctypes.util
import glob
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import wave

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from tutti_harness import (Tuttid, check_clean_exit, free_port, netns_run,  # noqa: E402
                           require_tuttid)
import rtp_capture  # noqa: E402
from rtp_capture import LoopbackCapture  # noqa: E402,F401 - the SRTP tests take it from here

BARESIP = os.environ.get("BARESIP", "baresip")
SIPP = os.environ.get("SIPP", "sipp")
AMPLITUDE = 8192  # -12 dBFS

# ---------------------------------------------------------------------------
# WAV files and spectrum checks


def write_tone_wav(path, freq_hz, seconds, rate, amplitude=AMPLITUDE, spans=None):
    """A 16-bit mono WAV holding one sine tone (about -12 dBFS); a freq_hz of
    0 gives silence. With `spans`, [(start, end)] seconds, the tone is only
    there and the rest silent."""
    step = 2 * math.pi * freq_hz / rate
    inside = (lambda i: any(a * rate <= i < b * rate for a, b in spans)) if spans else None
    samples = array.array("h", (int(amplitude * math.sin(step * i))
                                if inside is None or inside(i) else 0
                                for i in range(int(seconds * rate))))
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def read_wav(path):
    """(rate, samples) of a 16-bit WAV; channels are averaged to mono."""
    with wave.open(path) as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * wav.getsampwidth()}-bit samples, expected 16")
        rate, channels = wav.getframerate(), wav.getnchannels()
        data = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder != "little":
        data.byteswap()
    if channels == 1:
        return rate, data.tolist()
    merged = [0] * (len(data) // channels)
    for c in range(channels):
        for i, x in enumerate(data[c::channels]):
            merged[i] += x
    return rate, [x // channels for x in merged]


def _ogg_crc_table():
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
        table.append(r & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def read_ogg_packets(path):
    """(packets, info) of a single-stream Ogg file, every page checked (capture
    pattern, version, CRC, sequence numbers, one serial): packets are the
    stream's packets in order, info is {"pages", "last_granule", "eos"} (eos:
    the last page carries the end-of-stream flag). Raises ValueError on a
    broken file, naming the page."""
    with open(path, "rb") as f:
        data = f.read()
    packets, partial = [], b""
    pos = pages = 0
    serial = last_granule = None
    eos = False
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or len(data) < pos + 27:
            raise ValueError(f"{path}: no Ogg page at byte {pos} (page {pages})")
        version, flags, granule, page_serial, sequence, crc, segments = struct.unpack(
            "<BBqIIIB", data[pos + 4:pos + 27])
        lacing = data[pos + 27:pos + 27 + segments]
        body_start = pos + 27 + segments
        end = body_start + sum(lacing)
        if version != 0 or len(lacing) < segments or end > len(data):
            raise ValueError(f"{path}: page {pages} at byte {pos} is truncated or not version 0")
        page = bytearray(data[pos:end])
        page[22:26] = b"\0\0\0\0"
        computed = 0
        for byte in page:
            computed = ((computed << 8) & 0xFFFFFFFF) ^ _OGG_CRC[(computed >> 24) ^ byte]
        if computed != crc:
            raise ValueError(f"{path}: page {pages} at byte {pos}: CRC {crc:#x}, computed "
                             f"{computed:#x}")
        if serial is None:
            serial = page_serial
        if page_serial != serial or sequence != pages:
            raise ValueError(f"{path}: page {pages} at byte {pos} has serial {page_serial:#x} "
                             f"sequence {sequence} (expected {serial:#x}, {pages})")
        offset = body_start
        for size in lacing:
            partial += data[offset:offset + size]
            offset += size
            if size < 255:
                packets.append(partial)
                partial = b""
        if granule != -1:
            last_granule = granule
        eos = bool(flags & 0x04)
        pages += 1
        pos = end
    return packets, {"pages": pages, "last_granule": last_granule, "eos": eos}


def read_ogg_opus(path):
    """(48000, samples, info) of an Ogg Opus file, decoded to mono with
    libopus (which baresip's opus module brings) through ctypes, or with
    opusdec (opus-tools) where libopus cannot be loaded. The pre-skip is
    dropped. info is read_ogg_packets's plus "channels", "pre_skip",
    "decoder", and "granule_samples" (the length the last granule position
    promises). Raises ValueError for a file that is not valid Ogg Opus."""
    packets, info = read_ogg_packets(path)
    if len(packets) < 2 or not packets[0].startswith(b"OpusHead") or len(packets[0]) < 19:
        raise ValueError(f"{path}: the first packet is not an OpusHead")
    if not packets[1].startswith(b"OpusTags"):
        raise ValueError(f"{path}: the second packet is not OpusTags")
    channels = packets[0][9]
    pre_skip = struct.unpack("<H", packets[0][10:12])[0]
    info.update(channels=channels, pre_skip=pre_skip,
                granule_samples=(info["last_granule"] or 0) - pre_skip)
    try:
        opus = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    except OSError:
        opus = None
    if opus is None:
        import tempfile
        if not shutil.which("opusdec"):
            raise AssertionError("neither libopus (libopus0) nor opusdec (opus-tools) is here "
                                 "to decode " + path)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "decoded.wav")
            subprocess.run(["opusdec", "--quiet", "--rate", "48000", path, out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            rate, samples = read_wav(out)
        info["decoder"] = "opusdec"
        return rate, samples, info
    opus.opus_decoder_create.restype = ctypes.c_void_p
    opus.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    opus.opus_decode.restype = ctypes.c_int
    opus.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                 ctypes.POINTER(ctypes.c_int16), ctypes.c_int, ctypes.c_int]
    opus.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    error = ctypes.c_int(0)
    decoder = opus.opus_decoder_create(48000, channels, ctypes.byref(error))
    if not decoder or error.value != 0:
        raise ValueError(f"{path}: opus_decoder_create({channels} channels) failed: {error.value}")
    max_frame = 5760  # 120 ms at 48 kHz
    pcm = (ctypes.c_int16 * (max_frame * channels))()
    samples = []
    try:
        for n, packet in enumerate(packets[2:]):
            got = opus.opus_decode(decoder, packet, len(packet), pcm, max_frame, 0)
            if got < 0:
                raise ValueError(f"{path}: audio packet {n} does not decode (error {got})")
            if channels == 1:
                samples.extend(pcm[:got])
            else:
                frame = pcm[:got * channels]
                samples.extend(sum(frame[i * channels:(i + 1) * channels]) // channels
                               for i in range(got))
    finally:
        opus.opus_decoder_destroy(decoder)
    info["decoder"] = "libopus"
    return 48000, samples[pre_skip:], info


def span(samples, rate, start_s, seconds):
    """The samples from start_s for `seconds` (shorter if the recording is)."""
    begin = max(0, int(start_s * rate))
    return samples[begin:begin + int(seconds * rate)]


def mean_square(samples):
    return sum(x * x for x in samples) / len(samples) if samples else 0.0


def level_dbfs(samples):
    """RMS level of the samples in dB below full scale (-inf for silence)."""
    ms = mean_square(samples)
    return 10 * math.log10(ms / (32768.0 * 32768.0)) if ms > 0 else float("-inf")


def tone_power(samples, rate, freq_hz):
    """Power of the `freq_hz` component (Goertzel), in the units of
    mean_square: a sine of amplitude A gives A*A/2. Exact for tones with a
    whole number of cycles in the window (integer frequencies in 1 s
    windows, multiples of 50 Hz in 20 ms ones); about 1/window wide."""
    n = len(samples)
    if n == 0:
        return 0.0
    coefficient = 2.0 * math.cos(2.0 * math.pi * freq_hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coefficient * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
    return 2.0 * max(power, 0.0) / (n * n)


def tone_dbfs(samples, rate, freq_hz):
    """Level of the freq_hz component, in the units of level_dbfs (RMS
    against full scale: a sine peaking at -12 dBFS reads -15)."""
    power = tone_power(samples, rate, freq_hz)
    return 10 * math.log10(power / (32768.0 * 32768.0)) if power > 0 else float("-inf")


def dominant_tones(samples, rate, candidates, segment_s=0.1):
    """{freq: share of the window's energy at freq (0..1)} for each candidate.
    A lone clean tone gives about 1.0, two equal tones about 0.5 each, a
    tone nobody sent well under 0.001 even through G.711 or Opus.

    The tone powers are averaged over segment_s pieces (10 Hz wide bins for
    0.1 s; pick tones that are multiples of 10 Hz and at least 50 Hz apart),
    so a phase jump (a frame dropped or repeated by a jitter buffer) costs
    one piece, not the coherence of the whole window."""
    if not samples:
        return {f: 0.0 for f in candidates}
    size = max(1, int(segment_s * rate)) if segment_s else len(samples)
    pieces = [samples[i:i + size] for i in range(0, len(samples) - size + 1, size)] or [samples]
    energy = sum(mean_square(p) for p in pieces)
    if energy == 0:
        return {f: 0.0 for f in candidates}
    return {f: sum(tone_power(p, rate, f) for p in pieces) / energy for f in candidates}


def silent_gaps(samples, rate, window_ms=20, threshold=300):
    """(silent, total): how many of the span's consecutive window_ms windows
    hold a dropout, i.e. a near-silent stretch (RMS below `threshold`; 300 is
    about -40 dBFS) at least half a window long wherever it falls (measured
    in window_ms/8 steps, so a lost 20 ms frame is found even when it
    straddles two windows, and then counts for both)."""
    window = max(8, rate * window_ms // 1000)
    step = window // 8
    quiet = [mean_square(samples[i * step:(i + 1) * step]) < threshold * threshold
             for i in range(len(samples) // step)]
    total = len(samples) // window
    flagged = set()
    run_start = None
    for i, q in enumerate(quiet + [False]):
        if q and run_start is None:
            run_start = i
        elif not q and run_start is not None:
            if i - run_start >= 4:  # half a window
                flagged.update(s * step // window for s in range(run_start, i))
            run_start = None
    return len([w for w in flagged if w < total]), total


def tone_duration(samples, rate, freq_hz, window_ms=20, min_share=0.5, min_dbfs=-40.0):
    """Seconds of the samples (in window_ms steps) where freq_hz is the
    dominant sound: more than min_share of a window's energy, the window
    louder than min_dbfs (pick a multiple of 50 Hz for 20 ms windows). A
    stream whose lost packets were skipped rather than concealed comes out
    short by the loss."""
    window = rate * window_ms // 1000
    count = 0
    for i in range(0, len(samples) - window + 1, window):
        part = samples[i:i + window]
        if (level_dbfs(part) > min_dbfs
                and dominant_tones(part, rate, [freq_hz], None)[freq_hz] > min_share):
            count += 1
    return count * window_ms / 1000.0


def tone_timeline(samples, rate, candidates, window_s=1.0, hop_s=0.5):
    """[(start_s, level_dbfs, {freq: share})] over the whole recording, for
    failure messages."""
    out = []
    start = 0.0
    while start + window_s <= len(samples) / rate + 1e-9:
        part = span(samples, rate, start, window_s)
        out.append((start, level_dbfs(part), dominant_tones(part, rate, candidates)))
        start += hop_s
    return out


def format_timeline(timeline):
    return "\n".join(f"  {start:5.1f}s {level:6.1f} dBFS  "
                     + " ".join(f"{f}Hz={share:.3f}" for f, share in shares.items())
                     for start, level, shares in timeline)


# ---------------------------------------------------------------------------
# G.711 mu-law (audioop is deprecated and gone in Python 3.13)

_ULAW_BIAS = 0x84


def hearing_fault(listener, shares, levels, expected, heard=0.1, not_heard=0.01,
                  min_dbfs=-40.0):
    """What is wrong with what `listener` heard, or None. `shares` and
    `levels` map each tone's name to its share of the energy and its level
    (dominant_tones, tone_dbfs); the names in `expected` must be clearly
    there (heard, and louder than min_dbfs), every other one 20 dB down."""
    for name in shares:
        if name in expected:
            if not (shares[name] > heard and levels[name] > min_dbfs):
                return f"does not hear {name}"
        elif shares[name] >= not_heard:
            return "hears itself (no mix-minus)" if name == listener else f"hears {name}"
    return None


def lin2ulaw_sample(x):
    """One 16-bit sample to mu-law (G.711; the same codes as audioop)."""
    x >>= 2  # 14 bits
    if x < 0:
        x, mask = -x, 0x7F
    else:
        mask = 0xFF
    x = min(x, 8159) + (_ULAW_BIAS >> 2)
    segment = max(0, x.bit_length() - 6)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((x >> (segment + 1)) & 0x0F)) ^ mask


def _ulaw2lin_sample(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + _ULAW_BIAS) << ((u >> 4) & 0x07)
    return _ULAW_BIAS - t if u & 0x80 else t - _ULAW_BIAS


ULAW_TO_LINEAR = [_ulaw2lin_sample(u) for u in range(256)]


def lin2ulaw(samples):
    return bytes(lin2ulaw_sample(x) for x in samples)


def ulaw2lin(payload):
    return [ULAW_TO_LINEAR[b] for b in payload]


# ---------------------------------------------------------------------------
# baresip

# `audio_codecs` in an account line takes name/srate/channels; a bare name
# means <name>/8000/1, which does not match opus (registered as opus/48000/2).
# G.722 is registered at its audio rate (16000), not its RTP clock (8000).
CODEC_SPEC = {"PCMU": "PCMU/8000/1", "PCMA": "PCMA/8000/1", "opus": "opus/48000/2",
              "G722": "G722/16000/1"}
PAYLOAD_TYPE = {"PCMU": 0, "PCMA": 8, "opus": 96, "G722": 9}  # what baresip 1.0.0 offers
SOURCE_RATE = {"PCMU": 8000, "PCMA": 8000, "opus": 48000, "G722": 16000}  # aufile must match
MODULES = ["g711.so", "g722.so", "opus.so", "aufile.so", "sndfile.so", "aubridge.so",
           "account.so", "menu.so", "uuid.so", "ctrl_tcp.so"]
# baresip's status line (with video: "video=N/N (bit/s) efps=F/F"), redrawn in place.
_LOG_NOISE = re.compile(r"\[\d+:\d\d:\d\d\] audio=\d+/\d+ (?:video=\d+/\d+ )?\(bit/s\)"
                        r"(?: efps=[\d.]+/[\d.]+)?\s*|\x1b\[[0-9;]*m")


def make_tls_certificate(directory, name="tutti"):
    """A self-signed certificate for 127.0.0.1 (EC P-256, openssl):
    (certificate, key) paths in `directory`. The certificate is its own CA:
    give it to clients as the CA to verify against."""
    cert = os.path.join(directory, f"{name}-cert.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return cert, key


def tuttid_tls_config(directory):
    """SIP over TLS for a Tuttid: (sip_extra for Tuttid(...), TLS port,
    certificate to verify it with). UDP and TCP stay on as well."""
    cert, key = make_tls_certificate(directory)
    port = free_port()
    extra = (f'transports = ["udp", "tcp", "tls"]\ntls_port = {port}\n'
             f'tls_certificate = "{cert}"\ntls_private_key = "{key}"\n')
    return extra, port, cert


def require_baresip(module=None):
    """Fails (never skips) when baresip, or its `module` (e.g. "srtp.so"), is
    missing."""
    if module and not os.path.exists(f"/usr/lib/baresip/modules/{module}"):
        raise AssertionError(f"baresip's {module} module is missing (package baresip)")
    try:
        out = subprocess.run([BARESIP, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout
    except FileNotFoundError:
        raise AssertionError(f"baresip not found ({BARESIP!r}): install the Debian package "
                             "`baresip` (ops/setup.sh does)") from None
    if "baresip" not in out:
        raise AssertionError(f"{BARESIP} -h does not look like baresip:\n{out}")


class BaresipClient:
    """One headless baresip with its own config dir, workdir/name.

    Its microphone is `source_wav` (aufile: mono s16 at SOURCE_RATE[codec],
    longer than the call or baresip hangs up at its end), what it receives
    is recorded decoded by the sndfile module (recording()), it offers only
    `codec`, and its ctrl_tcp events (CALL_ESTABLISHED, SHUTDOWN...) are
    collected with their time.monotonic() arrival in self.events.

    By default it lives on 127.0.0.1. `address` moves its SIP (sip_listen,
    its URI) elsewhere, `media_address` the address it puts in its SDP and
    sends RTP from (net_interface; default: `address`), and `netns` runs it
    inside that network namespace (`ip netns exec`; its ctrl_tcp stays on
    the namespace's 127.0.0.1 and is reached from inside it).

    transport="tls" makes it a SIP over TLS client: its account and Contact
    say ;transport=tls on its TLS port (sip_port + 1), and it verifies the
    server with `tls_ca` (sip_cafile; e.g. tuttid_tls_config's certificate).
    It adds ;transport=tls to the URI it dials (`sip:1000@127.0.0.1:<tls port>`).
    `account_params` is appended to its account (e.g. ";mediaenc=srtp-mand")."""

    def __init__(self, name, workdir, sip_port=None, codec="PCMU", source_wav=None, answer=False,
                 sip_trace=True, rtp_ports="10000-19999", extra_config="", address="127.0.0.1",
                 media_address=None, netns=None, transport="udp", tls_ca=None, account_params=""):
        if transport not in ("udp", "tls"):
            raise ValueError(f"transport {transport!r}: udp or tls")
        if codec not in CODEC_SPEC:
            raise ValueError(f"codec {codec!r}: one of {sorted(CODEC_SPEC)}")
        if not source_wav or not os.path.exists(source_wav):
            raise ValueError(f"{name}: source_wav {source_wav!r} does not exist (write_tone_wav)")
        self.name = name
        self.codec = codec
        self.transport = transport
        self.address = address
        # An IPv6 address goes in brackets in SIP URIs and sip_listen.
        self.host = f"[{address}]" if ":" in address else address
        self.media_address = media_address or address
        self.netns = netns
        self.dir = os.path.join(workdir, name)
        self.record_dir = os.path.join(self.dir, "rec")
        os.makedirs(self.record_dir, exist_ok=True)
        # baresip's SIP/TLS transport binds the port after its SIP port.
        self.sip_port = sip_port or free_port(pair=True)
        self.ctrl_port = free_port(socket.SOCK_STREAM)
        self.source_wav = source_wav
        self.sip_trace = sip_trace
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.process = None
        self.started_at = None
        self.exited_at = None
        self.events = []  # (monotonic time, event dict)
        self._events_cond = threading.Condition()
        self._ctrl_thread = None
        self._ctrl_sock = None
        self._log = None
        self._stop = threading.Event()
        lines = [
            "poll_method epoll",
            f"sip_listen {self.host}:{self.sip_port}",
            f"net_interface {self.media_address}",
            # Clear of tutti_harness's RTP ports (30000 and up) and of the
            # ephemeral ports free_port() hands out.
            f"rtp_ports {rtp_ports}",
            # No sound card. ALSA's null device does not pace the player,
            # which then spins a whole core; an aubridge player whose source
            # side never opens is never called (sndfile still records).
            f"audio_player aubridge,{name}",
            f"audio_alert aubridge,{name}",
            f"audio_source aufile,{source_wav}",
            # A mono file even for opus (48000/2): baresip upmixes the source.
            "ausrc_channels 1",
            "module_path /usr/lib/baresip/modules",
            *[f"module {m}" for m in MODULES],
            f"snd_path {self.record_dir}",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"sip_cafile {tls_ca}" if tls_ca else "",
            extra_config,
        ]
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if transport == "tls":
            account = (f"<sip:{name}@{self.host}:{self.sip_port + 1};transport=tls>;regint=0;"
                       f"audio_codecs={CODEC_SPEC[codec]}")
        else:
            account = f"<sip:{name}@{self.host}>;regint=0;audio_codecs={CODEC_SPEC[codec]}"
        account += account_params
        if answer:
            account += ";answermode=auto"
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(account + "\n")

    @property
    def uri(self):
        if self.transport == "tls":
            return f"sip:{self.name}@{self.host}:{self.sip_port + 1};transport=tls"
        return f"sip:{self.name}@{self.host}:{self.sip_port}"

    def start(self, dial_uri=None, hold_seconds=10):
        """Starts baresip; it dials dial_uri (if any) at once and quits (BYE)
        `hold_seconds` (whole seconds) after its start.

        The dial goes through ctrl_tcp rather than `-e "/dial ..."`: ctrl_tcp
        sends events only to a connected client, and with -e the call is
        often established before the connection is made."""
        cmd = ["timeout", "-k", "3", str(int(hold_seconds) + 15), BARESIP, "-f", self.dir,
               "-t", str(int(hold_seconds))]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]  # it execs `timeout`
        if self.sip_trace:
            cmd.append("-s")
        self._log = open(self.log_path, "w")
        self.started_at = time.monotonic()
        # Its own process group, so kill() reaches baresip under `timeout`.
        self.process = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                self._ctrl_sock = netns_run(self.netns, socket.create_connection,
                                            ("127.0.0.1", self.ctrl_port), timeout=0.5)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"{self.name}: baresip's ctrl_tcp port "
                                         f"{self.ctrl_port} never opened\n{self.log_tail()}")
                time.sleep(0.02)
        self._ctrl_thread = threading.Thread(target=self._read_events, daemon=True)
        self._ctrl_thread.start()
        if dial_uri:
            self.command("dial", dial_uri)
        return self

    def _read_events(self):
        sock = self._ctrl_sock
        sock.settimeout(0.2)
        buffer = b""
        while not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            buffer += data
            while True:  # netstrings: <length>:<json>,
                colon = buffer.find(b":")
                if colon < 0 or not buffer[:colon].isdigit():
                    break
                length = int(buffer[:colon])
                if len(buffer) < colon + 1 + length + 1:
                    break
                payload = buffer[colon + 1:colon + 1 + length]
                buffer = buffer[colon + 1 + length + 1:]
                try:
                    message = json.loads(payload)
                except ValueError:
                    continue
                with self._events_cond:
                    self.events.append((time.monotonic(), message))
                    self._events_cond.notify_all()
        sock.close()

    def command(self, command, params=""):
        """Sends a ctrl_tcp command (dial, hangup, quit...); the answer comes
        back among the events."""
        message = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._ctrl_sock.sendall(b"%d:%s," % (len(message), message))

    def event_time(self, kind):
        """time.monotonic() at which the first event `kind` arrived, or None."""
        with self._events_cond:
            for t, message in self.events:
                if message.get("type") == kind:
                    return t
        return None

    def wait_event(self, kind, timeout=10):
        """Waits for an event such as CALL_ESTABLISHED; returns its arrival time."""
        deadline = time.monotonic() + timeout
        with self._events_cond:
            while True:
                for t, message in self.events:
                    if message.get("type") == kind:
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or not self._ctrl_thread.is_alive():
                    raise AssertionError(f"{self.name}: no {kind} within {timeout}s; events "
                                         f"{[m for _, m in self.events]}\n{self.log_tail()}")
                self._events_cond.wait(min(left, 0.1))

    def end_time(self):
        """When this client stopped receiving: its SHUTDOWN event (the -t
        timer firing) or, failing that, CALL_CLOSED or its exit."""
        return self.event_time("SHUTDOWN") or self.event_time("CALL_CLOSED") or self.exited_at

    def wait(self, timeout):
        """Waits for baresip to quit; kills it if it outlives `timeout`."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name}: baresip still running after {timeout}s\n"
                                 + self.log_tail())
        finally:
            self._finish()
        return self.process.returncode

    def kill(self):
        """Stops baresip if it still runs: SIGTERM (`timeout` passes it on and
        baresip hangs up), then SIGKILL to the whole process group."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self._finish()

    def _finish(self):
        if self.exited_at is None and self.process is not None and self.process.poll() is not None:
            self.exited_at = time.monotonic()
        self._stop.set()
        if self._ctrl_thread is not None:
            self._ctrl_thread.join(timeout=2)
        if self._log is not None and not self._log.closed:
            self._log.close()

    def _dump(self, which):
        found = sorted(glob.glob(os.path.join(self.record_dir, f"dump-*-{which}.wav")),
                       key=os.path.getmtime)
        if not found:
            raise AssertionError(f"{self.name}: sndfile wrote no {which} recording in "
                                 f"{self.record_dir}\n{self.log_tail()}")
        return found[-1]

    def recording(self):
        """The WAV of what this client received, decoded (sndfile dump-*-dec.wav)."""
        return self._dump("dec")

    def sent_recording(self):
        """The WAV of what this client sent (sndfile dump-*-enc.wav)."""
        return self._dump("enc")

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return _LOG_NOISE.sub("", f.read())
        except FileNotFoundError:
            return ""

    def log_tail(self, chars=4000):
        return f"--- {self.name} baresip log ({self.log_path}):\n" + self.log_text()[-chars:]

    def sdp_media_lines(self):
        """The m=audio lines this client sent and received (SIP trace, -s)."""
        return re.findall(r"m=audio [^\r\n]*", self.log_text())

    def negotiated(self):
        """What baresip says it decodes, e.g. 'opus 48000Hz 2ch', or None."""
        m = re.search(r"Set audio decoder: ([^\r\n]*)", self.log_text())
        return m.group(1).strip() if m else None



class MixChecks:
    """Checks of what baresip callers heard in a room, for a unittest.TestCase
    with `self.server` (a Tuttid): each caller's recording, placed in time by
    its hang-up, analysed per window. Thresholds are class attributes."""

    HEARD = 0.1            # share of a window's energy a tone has when clearly in the mix
    NOT_HEARD = 0.01       # the most a tone may have when it must not be there (20 dB down)
    MIN_TONE_DBFS = -40.0  # and a heard tone must be at least this loud
    VERBOSE = os.environ.get("TUTTI_E2E_VERBOSE") == "1"

    def join_one_by_one(self, clients, gap_s, last_stay_s, uris=None):
        """Dials self.room_uri (or uris[client.name]) with each client gap_s
        apart; every one hangs up at the same moment, last_stay_s after the
        last one dialled."""
        first = time.monotonic()
        total = gap_s * (len(clients) - 1) + last_stay_s
        for i, client in enumerate(clients):
            delay = first + i * gap_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            uri = (uris or {}).get(client.name, self.room_uri)
            client.start(uri, hold_seconds=round(total - i * gap_s))
            client.wait_event("CALL_ESTABLISHED", timeout=5)
        for client in clients:
            client.wait(timeout=total + 20)

    def recording(self, client):
        """(rate, samples, start) of what the client heard; `start` is the
        time.monotonic() of the first sample, anchored at the end of the
        recording (the client's hang-up), so it holds even if tuttid sent
        nothing while the client was alone in the room."""
        rate, samples = read_wav(client.recording())
        end = client.end_time()
        self.assertIsNotNone(end, f"{client.name}: no SHUTDOWN event\n{client.log_tail()}")
        return rate, samples, end - len(samples) / rate

    def describe(self, client, rate, samples, tones):
        return (f"\n{client.name} ({client.codec}, decoder {client.negotiated()}) heard, "
                f"{len(samples) / rate:.1f} s at {rate} Hz:\n"
                + format_timeline(tone_timeline(samples, rate, tones))
                + f"\n{client.log_tail(2500)}\n--- tuttid log:\n{self.server.log_text()[-3000:]}")

    def check_hears(self, client, window_start, window_s, tones, expected):
        """In the window (monotonic start), `client` hears exactly the tones
        of `expected` out of `tones` (name -> Hz)."""
        rate, samples, start = self.recording(client)
        part = span(samples, rate, window_start - start, window_s)
        shares = dominant_tones(part, rate, tones.values())
        levels = {hz: tone_dbfs(part, rate, hz) for hz in tones.values()}
        summary = ", ".join(f"{name} {hz} Hz: {shares[hz]:.3f} ({levels[hz]:.0f} dBFS)"
                            for name, hz in tones.items())
        where = (f"{client.name}, window {window_start - start:.1f}-"
                 f"{window_start - start + window_s:.1f} s of its recording: {summary}")
        if self.VERBOSE:
            print(where + self.describe(client, rate, samples, list(tones.values()))[:2000])
        self.assertGreaterEqual(len(part), int(window_s * rate) - 1,
                                f"{where}: the recording is too short"
                                + self.describe(client, rate, samples, list(tones.values())))
        fault = hearing_fault(client.name, {name: shares[hz] for name, hz in tones.items()},
                                 {name: levels[hz] for name, hz in tones.items()}, expected,
                                 self.HEARD, self.NOT_HEARD, self.MIN_TONE_DBFS)
        if fault:
            self.fail(f"{client.name} {fault}: {where}"
                      + self.describe(client, rate, samples, list(tones.values())))
        return shares


# Room 1000 for the SRTP tests: G.711 only, media must be encrypted.
SRTP_ROOMS = """
[[room]]
name = "1000"
codecs = ["PCMU"]
srtp = "required"
"""


class TuttidCallTest(MixChecks, unittest.TestCase):
    """Base of the tests of a tuttid (start_tuttid) with baresip callers that
    each send a tone (tone_client), all in one scratch directory
    (self.work). baresip (with BARESIP_MODULE, if any) and tuttid must be
    there; tuttid must exit cleanly at the end, its log directory is removed
    then."""

    BARESIP_MODULE = None
    WORKDIR_PREFIX = "tutti-e2e-"
    SETTLE_S = 1.0  # after the last join, before an analysed window (jitter buffers, talker
                    # detection)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        require_baresip(cls.BARESIP_MODULE)
        require_tuttid()

    def setUp(self):
        super().setUp()
        self.work = tempfile.TemporaryDirectory(prefix=self.WORKDIR_PREFIX)
        self.addCleanup(self.work.cleanup)

    def start_tuttid(self, **kwargs):
        """A Tuttid(**kwargs); self.room_uri dials its room 1000 over UDP, and
        self.rtp_first, self.rtp_last are its RTP ports."""
        self.server = Tuttid(**kwargs)
        self.addCleanup(self._stop_tuttid)
        self.room_uri = f"sip:1000@127.0.0.1:{self.server.port}"
        with open(self.server.config_path) as f:
            config = f.read()
        self.rtp_first = int(re.search(r"rtp_port_min = (\d+)", config).group(1))
        self.rtp_last = int(re.search(r"rtp_port_max = (\d+)", config).group(1))
        return self.server

    def _stop_tuttid(self):
        try:
            check_clean_exit(self, self.server)
        finally:
            shutil.rmtree(self.server.dir, ignore_errors=True)

    def tone_client(self, name, tone_hz, codec="PCMU", **kwargs):
        """A BaresipClient (kwargs as its own) whose microphone is a 30 s tone."""
        wav = write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 30,
                             SOURCE_RATE[codec])
        client = BaresipClient(name, self.work.name, codec=codec, source_wav=wav, **kwargs)
        self.addCleanup(client.kill)
        return client

    def together(self, clients, last_in=None):
        """(middle, seconds) of a window of up to 2 s in the middle of the time
        all `clients` were in the call, SETTLE_S after the last joined (or
        after `last_in`); fails if they were together too briefly."""
        if last_in is None:
            last_in = max(c.event_time("CALL_ESTABLISHED") for c in clients)
        all_in = last_in + self.SETTLE_S
        all_out = min(c.end_time() for c in clients) - 0.3
        window_s = min(2.0, all_out - all_in)
        self.assertGreater(window_s, 1.0, f"the {len(clients)} callers were together only "
                                          f"{all_out - all_in:.1f} s")
        return all_in + (all_out - all_in - window_s) / 2, window_s

    def check_each_hears_the_others(self, clients, tones):
        """Each client (named as in `tones`, name -> Hz) hears every other's
        tone and not its own, in the middle of their time together."""
        middle, window_s = self.together(clients)
        for client in clients:
            self.check_hears(client, middle, window_s, tones,
                             expected=[n for n in tones if n != client.name])

    def records_of_hung_up_calls(self, count):
        """The call records, once there are `count`; each call must have
        ended by its caller's BYE."""
        records = self.server.wait_until(f"{count} calls recorded",
                                         lambda: len(self.server.call_records()) >= count and
                                         self.server.call_records())
        self.assertEqual({r["why"] for r in records}, {"caller hung up"}, records)
        return records

    def check_srtp_on_the_wire(self, capture, tones, sizes):
        """What `capture` (a LoopbackCapture of tuttid's RTP ports) saw of the
        PCMU RTP both ways is SRTP: every packet one of `sizes` long (160
        bytes of PCMU plus the tag), all the same size each way, and its
        payload decodes to noise rather than `tones` (in clear each tone
        would be nearly all of it). Every packet to tuttid was taken (the
        call records count what got past SRTP)."""
        rtp = [(s, d, p) for s, d, p in capture.packets if len(p) >= 12 and p[0] >> 6 == 2
               and p[1] & 0x7F == PAYLOAD_TYPE["PCMU"]]
        to_tutti = [p for s, d, p in rtp if self.rtp_first <= d <= self.rtp_last]
        from_tutti = [p for s, d, p in rtp if self.rtp_first <= s <= self.rtp_last]
        self.assertGreater(len(to_tutti), 200, f"{len(capture.packets)} packets captured")
        self.assertGreater(len(from_tutti), 100, f"{len(capture.packets)} packets captured")
        for name, packets in (("to tuttid", to_tutti), ("from tuttid", from_tutti)):
            seen = {len(p) for p in packets}
            self.assertEqual(len(seen), 1, f"RTP {name}: sizes {seen}")
            self.assertIn(next(iter(seen)), sizes, f"RTP {name}: sizes {seen}")
            audio = []
            for p in packets:
                audio.extend(ulaw2lin(p[12:12 + 160]))
            shares = dominant_tones(audio, 8000, tones.values())
            self.assertTrue(all(share < self.NOT_HEARD for share in shares.values()),
                            f"RTP {name} decodes to the tones: {shares}")
            # Random bytes decode to noise at about -10 dBFS; the tones were
            # sent at -15 dBFS RMS.
            level = level_dbfs(audio)
            self.assertGreater(level, -13, f"RTP {name}: {level:.1f} dBFS is not noise")
        self.server.wait_until("two call records", lambda: len(self.server.call_records()) == 2)
        taken = sum(record["packets_in"] for record in self.server.call_records())
        self.assertGreaterEqual(taken, len(to_tutti) - 4, self.server.call_records())


def load_module_first(client, module):
    """Makes `client` load baresip's `module` before account.so, which reads
    the account's `mediaenc` and needs the module there already."""
    config_path = os.path.join(client.dir, "config")
    with open(config_path) as f:
        config = f.read()
    with open(config_path, "w") as f:
        f.write(config.replace("module account.so", f"module {module}\nmodule account.so"))


# ---------------------------------------------------------------------------
# The caller's codecs: G.711 mu-law in Python, G.729 through bcg729


class UlawCodec:
    """PCMU for LossyRtpCaller: 8 kHz, one octet a sample."""
    NAME = "PCMU"
    PAYLOAD_TYPE = 0
    SDP = "a=rtpmap:0 PCMU/8000\r\n"

    def encode(self, pcm):
        return lin2ulaw(pcm)

    def decoder(self):
        return ulaw2lin


class G729Codec:
    """G.729 Annex A for LossyRtpCaller through bcg729 (libbcg729-0, which
    ops/setup.sh installs with libbcg729-dev) and ctypes: 10 ms frames of
    10 octets, no VAD, asking for annexb=no as tuttid answers."""
    NAME = "G729"
    PAYLOAD_TYPE = 18
    SDP = "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
    FRAME = 80

    def __init__(self):
        lib = ctypes.util.find_library("bcg729") or "libbcg729.so.0"
        try:
            self.lib = ctypes.CDLL(lib)
        except OSError as e:
            raise AssertionError(f"bcg729 ({lib}) is missing: apt-get install libbcg729-dev "
                                 f"(ops/setup.sh): {e}")
        self.lib.initBcg729EncoderChannel.restype = ctypes.c_void_p
        self.lib.initBcg729EncoderChannel.argtypes = [ctypes.c_uint8]
        self.lib.initBcg729DecoderChannel.restype = ctypes.c_void_p
        self.lib.bcg729Encoder.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16),
                                           ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint8)]
        self.lib.bcg729Decoder.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint8,
                                           ctypes.c_uint8, ctypes.c_uint8, ctypes.c_uint8,
                                           ctypes.POINTER(ctypes.c_int16)]
        self.encoder = self.lib.initBcg729EncoderChannel(0)

    def encode(self, pcm):
        out = b""
        for start in range(0, len(pcm) - self.FRAME + 1, self.FRAME):
            frame = (ctypes.c_int16 * self.FRAME)(*pcm[start:start + self.FRAME])
            bits = ctypes.create_string_buffer(10)
            length = ctypes.c_uint8(0)
            self.lib.bcg729Encoder(self.encoder, frame, bits, ctypes.byref(length))
            out += bits.raw[:length.value]
        return out

    def decoder(self):
        """A function payload -> samples over a fresh decoder (G.729 predicts
        from earlier frames: feed it one stream's payloads in order)."""
        state = self.lib.initBcg729DecoderChannel()
        pcm = (ctypes.c_int16 * self.FRAME)()

        def decode(payload):
            samples = []
            for start in range(0, len(payload) - 9, 10):
                self.lib.bcg729Decoder(state, bytes(payload[start:start + 10]), 10, 0, 0, 0, pcm)
                samples.extend(pcm)
            return samples
        return decode


# ---------------------------------------------------------------------------
# Python SIP caller with packet loss


class LossyRtpCaller:
    """A minimal SIP UA over UDP that calls `sip:<user>@host:port` offering
    one codec only (PCMU, or G729: codec=G729Codec()), sends a tone as 20 ms
    RTP packets in real time and drops `loss` of them at random (seeded),
    records the RTP it receives, and hangs up with BYE. For packet loss
    without netem, and for a codec no client here has."""

    PTIME_MS = 20
    RATE = 8000

    def __init__(self, port, user="1000", host="127.0.0.1", tone_hz=600, loss=0.10, seed=1,
                 amplitude=AMPLITUDE, name="lossy", codec=None):
        self.codec = codec or UlawCodec()
        self.target = (host, port)
        self.request_uri = f"sip:{user}@{host}:{port}"
        self.name = name
        self.tone_hz = tone_hz
        self.loss = loss
        self.amplitude = amplitude
        self.random = random.Random(seed)
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(0.05)
        self.sip_port = self.sip.getsockname()[1]
        self.rtp_port = self.rtp.getsockname()[1]
        self.call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        self.from_tag = uuid.uuid4().hex[:10]
        self.to_tag = None
        self.cseq = self.random.randint(1, 10000)
        self.remote_target = None  # the Contact of the 200 OK
        self.route_set = []
        self.remote_media = None
        self.answer_sdp = None
        self.answer_payload_type = None
        self.sent_seqs = []  # sequence numbers sent
        self.dropped_seqs = []  # ... and dropped on purpose
        self.stream_started = None  # time.monotonic() of the first packet
        self.stream_ended = None
        self.received = []  # (arrival monotonic, seq, timestamp, payload type, payload)
        self.trace = []  # SIP messages in and out, for failure messages
        self.closed_by_peer = False
        self._stop = threading.Event()
        self._receiver = None
        self._sip_thread = None
        self._responses = []
        self._responses_cond = threading.Condition()
        self.ssrc = self.random.getrandbits(32)
        self.sequence = self.random.getrandbits(16)
        self.timestamp = self.random.getrandbits(32)
        self.samples_sent = 0

    # --- SIP
    def _send_sip(self, text, to=None):
        self.trace.append(">>> " + text)
        self.sip.sendto(text.encode(), to or self.target)

    def _request(self, method, cseq, body="", uri=None, branch=None):
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:16]
        to = f"<{self.request_uri}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        lines = [f"{method} {uri or self.request_uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.sip_port};branch={branch};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{self.name}@127.0.0.1>;tag={self.from_tag}",
                 f"To: {to}",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <sip:{self.name}@127.0.0.1:{self.sip_port}>",
                 *[f"Route: {r}" for r in self.route_set],
                 "User-Agent: tutti-e2e-lossy-caller"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def _offer(self):
        return ("v=0\r\n"
                f"o=- {self.ssrc} 1 IN IP4 127.0.0.1\r\n"
                "s=-\r\n"
                "c=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\n"
                f"m=audio {self.rtp_port} RTP/AVP {self.codec.PAYLOAD_TYPE}\r\n"
                + self.codec.SDP +
                f"a=ptime:{self.PTIME_MS}\r\n"
                "a=sendrecv\r\n")

    @staticmethod
    def _header(text, name):
        head = text.split("\r\n\r\n", 1)[0]
        m = re.search(rf"^{name}\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
        return m.group(1).strip() if m else None

    def _sip_loop(self):
        self.sip.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data, source = self.sip.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode(errors="replace")
            self.trace.append("<<< " + text)
            if text.startswith("SIP/2.0 "):
                with self._responses_cond:
                    self._responses.append(text)
                    self._responses_cond.notify_all()
            else:
                self._answer_request(text, source)

    def _answer_request(self, text, source):
        """Answers what the far end may send in the dialog (BYE, OPTIONS,
        a session-refresh UPDATE without SDP); 501 for anything else."""
        method = text.split(" ", 1)[0]
        if method == "ACK":
            return
        code = {"BYE": 200, "OPTIONS": 200, "UPDATE": 200, "INFO": 200}.get(method, 501)
        lines = [f"SIP/2.0 {code} {'OK' if code == 200 else 'Not Implemented'}"]
        for line in text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
            if re.match(r"(?i)(via|from|to|call-id|cseq|v|f|t|i)\s*:", line):
                lines.append(line)
        lines.append("Content-Length: 0")
        self._send_sip("\r\n".join(lines) + "\r\n\r\n", source)
        if method == "BYE":
            self.closed_by_peer = True

    def _wait_final(self, cseq, method, timeout, request, to=None):
        """Waits for the final response to (cseq, method), retransmitting the
        request (RFC 3261 timers A/E) until a provisional one arrives."""
        deadline = time.monotonic() + timeout
        interval = 0.5
        next_send = time.monotonic() + interval
        provisional = False
        with self._responses_cond:
            while True:
                for text in self._responses:
                    if self._header(text, "CSeq") != f"{cseq} {method}":
                        continue
                    code = int(text.split(" ", 2)[1])
                    if code >= 200:
                        self._responses.remove(text)
                        return code, text
                    provisional = True
                now = time.monotonic()
                if now >= deadline:
                    raise AssertionError(f"{self.name}: no final answer to {method} within "
                                         f"{timeout}s\n" + self.trace_text())
                if not provisional and now >= next_send:
                    self._send_sip(request, to)
                    interval = min(interval * 2, 4.0)
                    next_send = now + interval
                self._responses_cond.wait(min(0.05, deadline - now))

    def invite(self, timeout=10):
        """Sends the INVITE, ACKs the 200 and returns the SDP answer."""
        self._sip_thread = threading.Thread(target=self._sip_loop, daemon=True)
        self._sip_thread.start()
        request = self._request("INVITE", self.cseq, self._offer())
        self._send_sip(request)
        code, response = self._wait_final(self.cseq, "INVITE", timeout, request)
        if code != 200:
            raise AssertionError(f"{self.name}: INVITE answered {code}\n" + self.trace_text())
        to = self._header(response, "To") or self._header(response, "t")
        m = re.search(r";\s*tag=([^;>\s]+)", to or "")
        self.to_tag = m.group(1) if m else None
        contact = self._header(response, "Contact") or self._header(response, "m") or ""
        m = re.search(r"<([^>]+)>", contact)
        target = (m.group(1) if m else contact.split(";")[0]).strip()
        self.remote_target = target or self.request_uri
        head = response.split("\r\n\r\n", 1)[0]
        rr = re.findall(r"^Record-Route\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
        self.route_set = [r.strip() for line in rr for r in line.split(",")]
        body = response.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in response else ""
        self.answer_sdp = body
        c = re.search(r"^c=IN IP4 (\S+)", body, re.MULTILINE)
        media = re.search(r"^m=audio (\d+) RTP/AVP ([\d ]+)", body, re.MULTILINE)
        if not c or not media:
            raise AssertionError(f"{self.name}: no usable SDP answer in the 200\n{response}")
        self.remote_media = (c.group(1), int(media.group(1)))
        self.answer_payload_type = int(media.group(2).split()[0])
        if self.answer_payload_type != self.codec.PAYLOAD_TYPE:
            raise AssertionError(f"{self.name}: the answer chose payload type "
                                 f"{self.answer_payload_type}, not {self.codec.NAME} "
                                 f"({self.codec.PAYLOAD_TYPE})\n{body}")
        self._send_sip(self._request("ACK", self.cseq, uri=self.remote_target), self._next_hop())
        self._receiver = threading.Thread(target=self._receive_rtp, daemon=True)
        self._receiver.start()
        return body

    def _next_hop(self):
        uri = self.route_set[0] if self.route_set else self.remote_target
        m = re.search(r"sip:(?:[^@;>]*@)?([^:;>]+)(?::(\d+))?", uri)
        if not m:
            return self.target
        return m.group(1), int(m.group(2) or 5060)

    def bye(self, timeout=10):
        """Hangs up; returns the BYE's final response code (0 if the far end
        hung up first)."""
        if self.closed_by_peer:
            return 0
        self.cseq += 1
        request = self._request("BYE", self.cseq, uri=self.remote_target)
        hop = self._next_hop()
        self._send_sip(request, hop)
        code, _ = self._wait_final(self.cseq, "BYE", timeout, request, hop)
        return code

    # --- RTP
    def stream(self, seconds, tone_hz=None):
        """Sends `seconds` of the tone in real time, 20 ms a packet, dropping
        `loss` of the packets (sequence numbers and timestamps still advance)."""
        tone_hz = self.tone_hz if tone_hz is None else tone_hz
        per_packet = self.RATE * self.PTIME_MS // 1000
        count = int(seconds * 1000 / self.PTIME_MS)
        step = 2 * math.pi * tone_hz / self.RATE
        first = self.samples_sent
        pcm = [int(self.amplitude * math.sin(step * (first + i)))
               for i in range(count * per_packet)]
        payloads = [self.codec.encode(pcm[i * per_packet:(i + 1) * per_packet])
                    for i in range(count)]
        start = time.monotonic()
        if self.stream_started is None:
            self.stream_started = start
        for n, payload in enumerate(payloads):
            marker = 0x80 if not self.sent_seqs and not self.dropped_seqs else 0
            header = struct.pack("!BBHII", 0x80, marker | self.codec.PAYLOAD_TYPE, self.sequence,
                                 self.timestamp, self.ssrc)
            if self.random.random() < self.loss:
                self.dropped_seqs.append(self.sequence)
            else:
                self.rtp.sendto(header + payload, self.remote_media)
                self.sent_seqs.append(self.sequence)
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.timestamp = (self.timestamp + per_packet) & 0xFFFFFFFF
            self.samples_sent += per_packet
            delay = start + (n + 1) * self.PTIME_MS / 1000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self.closed_by_peer:
                break
        self.stream_ended = time.monotonic()

    def _receive_rtp(self):
        while not self._stop.is_set():
            try:
                data = self.rtp.recv(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            csrc = (data[0] & 0x0F) * 4
            seq, ts = struct.unpack("!HI", data[2:8])
            payload = data[12 + csrc:]
            if data[0] & 0x20 and payload:  # padding
                payload = payload[:-payload[-1]]
            self.received.append((time.monotonic(), seq, ts, data[1] & 0x7F, payload))

    def received_audio(self):
        """The audio received in our codec, decoded and placed by RTP
        timestamp, with silence where packets are missing."""
        packets = [(ts, payload) for _, _, ts, pt, payload in self.received
                   if pt == self.codec.PAYLOAD_TYPE]
        if not packets:
            return []
        base = packets[0][0]
        placed = {}
        for ts, payload in packets:
            placed[(ts - base) & 0xFFFFFFFF] = payload
        out = []
        decode = self.codec.decoder()
        for offset in sorted(o for o in placed if o < 0x80000000):
            if offset > len(out):
                out.extend([0] * (offset - len(out)))
            samples = decode(placed[offset])
            out[offset:offset + len(samples)] = samples
        return out

    def received_seqs(self):
        return [seq for _, seq, _, _, _ in self.received]

    def close(self):
        self._stop.set()
        for t in (self._receiver, self._sip_thread):
            if t is not None:
                t.join(timeout=2)
        self.sip.close()
        self.rtp.close()

    def trace_text(self, chars=6000):
        return f"--- {self.name} SIP trace:\n" + "\n".join(self.trace)[-chars:]


def sequence_gaps(seqs):
    """How many sequence numbers are missing between the lowest and highest
    of `seqs` (16-bit wrap-around aware)."""
    if not seqs:
        return 0
    unwrapped = [seqs[0]]
    for s in seqs[1:]:
        delta = (s - unwrapped[-1]) & 0xFFFF
        if delta >= 0x8000:
            delta -= 0x10000
        unwrapped.append(unwrapped[-1] + delta)
    distinct = set(unwrapped)
    return max(distinct) - min(distinct) + 1 - len(distinct)


# ---------------------------------------------------------------------------
# Self-test: the harness proves itself without tuttid.

HEARD = 0.2        # share of the energy a tone has when it is clearly heard
NOT_HEARD = 0.01   # ... and the most a tone nobody sent may have


def _check(condition, message, failures):
    print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)


def _self_test_analysis(failures):
    """The analysis must tell a gap from a tone and an absent tone from a present one."""
    rate = 8000
    step = 2 * math.pi * 700 / rate
    tone = [int(AMPLITUDE * math.sin(step * i)) for i in range(rate)]
    shares = dominant_tones(tone, rate, [700, 440])
    _check(shares[700] > 0.95 and shares[440] < 1e-4,
           f"analysis: a pure 700 Hz tone gives shares {shares}", failures)
    jumped = tone[:4000] + [-x for x in tone[4000:]]  # a 180 degree phase jump mid-window
    whole = dominant_tones(jumped, rate, [700], segment_s=None)[700]
    pieces = dominant_tones(jumped, rate, [700])[700]
    _check(whole < 0.01 and pieces > 0.95,
           f"analysis: a tone with a phase jump: {whole:.3f} in one piece, {pieces:.3f} "
           "averaged over 0.1 s pieces", failures)
    holed = list(tone)
    for start in (1000, 3050, 6123):  # three lost 20 ms frames, not window aligned
        holed[start:start + 160] = [0] * 160
    silent, total = silent_gaps(holed, rate)
    _check(3 <= silent <= 6 and total == 50,
           f"analysis: three lost 20 ms frames give {silent}/{total} silent windows", failures)
    _check(silent_gaps(tone, rate)[0] == 0, "analysis: a continuous tone has no silent window",
           failures)
    skipped = [x for i, x in enumerate(tone) if not 2000 <= i < 2800]  # 5 frames cut out
    _check(tone_duration(tone, rate, 700) == 1.0 and tone_duration(skipped, rate, 700) <= 0.92,
           f"analysis: tone_duration {tone_duration(tone, rate, 700)} s whole, "
           f"{tone_duration(skipped, rate, 700)} s with 5 frames cut", failures)
    pcm = list(range(-32768, 32768, 7))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop
        except ImportError:
            audioop = None
    if audioop:
        raw = array.array("h", pcm).tobytes()
        decoded = array.array("h", audioop.ulaw2lin(bytes(range(256)), 2)).tolist()
        _check(lin2ulaw(pcm) == audioop.lin2ulaw(raw, 2) and ulaw2lin(bytes(range(256))) == decoded,
               "analysis: the mu-law codec matches audioop", failures)


def _self_test_baresip(workdir, codec, failures):
    rate = SOURCE_RATE[codec]
    tones = {"callee": 500, "caller": 800}
    absent = 1250
    clients = {}
    try:
        for name, hz in tones.items():
            wav = write_tone_wav(os.path.join(workdir, f"{codec}-{name}.wav"), hz, 12, rate)
            clients[name] = BaresipClient(f"{codec}-{name}", workdir, codec=codec, source_wav=wav,
                                          answer=(name == "callee"))
        callee, caller = clients["callee"], clients["caller"]
        callee.start(hold_seconds=6)
        caller.start(dial_uri=callee.uri, hold_seconds=5)
        established = caller.wait_event("CALL_ESTABLISHED", timeout=10)
        print(f"  {codec}: call established {established - caller.started_at:.2f}s after start",
              flush=True)
        for client in (caller, callee):
            client.wait(timeout=20)
        lines = caller.sdp_media_lines()
        expected = rf"m=audio \d+ RTP/AVP {PAYLOAD_TYPE[codec]} 101"
        _check(len(lines) == 2 and all(re.fullmatch(expected, m) for m in lines),
               f"{codec}: offer and answer hold only {codec} (+ telephone-event): {lines}",
               failures)
        for name, client in clients.items():
            other = "caller" if name == "callee" else "callee"
            r, samples = read_wav(client.recording())
            seconds = len(samples) / r
            _check(r == rate and seconds > 3.5,
                   f"{codec}: {name} recorded {seconds:.1f}s at {r} Hz "
                   f"(decoder {client.negotiated()})", failures)
            window = span(samples, r, 1.5, 1.0)
            shares = dominant_tones(window, r, [tones[other], tones[name], absent])
            desc = ", ".join(f"{f} Hz {s:.4f}" for f, s in shares.items())
            _check(shares[tones[other]] > HEARD,
                   f"{codec}: {name} hears {other}'s {tones[other]} Hz ({desc})", failures)
            _check(shares[tones[name]] < NOT_HEARD,
                   f"{codec}: {name} does not hear its own {tones[name]} Hz ({desc})", failures)
            # The check must be able to fail: a tone nobody sent is not heard.
            _check(not shares[absent] > HEARD,
                   f"{codec}: a 'hears {absent} Hz' check fails as it must, nobody sent it "
                   f"(share {shares[absent]:.4f} <= {HEARD})", failures)
            silent, total = silent_gaps(span(samples, r, 1.0, 2.0), r)
            _check(silent == 0, f"{codec}: {name} has {silent}/{total} silent 20 ms windows",
                   failures)
    finally:
        for client in clients.values():
            client.kill()
        if failures:
            for client in clients.values():
                print(client.log_tail(3000))


def _self_test_lossy_caller(workdir, failures):
    """Calls SIPp's built-in UAS, which echoes the RTP back (-rtp_echo)."""
    sip_port = free_port()
    media_port = free_port(pair=True)
    log_path = os.path.join(workdir, "sipp-uas.log")
    with open(log_path, "w") as log:
        sipp = subprocess.Popen([SIPP, "-sn", "uas", "-i", "127.0.0.1", "-p", str(sip_port),
                                 "-mi", "127.0.0.1", "-mp", str(media_port), "-rtp_echo",
                                 "-m", "1", "-nostdin", "-timeout", "30", "-timeout_error",
                                 "-trace_err", "-error_file", os.path.join(workdir, "sipp.err")],
                                cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    caller = LossyRtpCaller(sip_port, user="service", tone_hz=600, loss=0.10, seed=4)
    try:
        time.sleep(0.5)
        caller.invite()
        _check(caller.remote_media[1] == media_port,
               f"lossy: the SDP answer names SIPp's media port {caller.remote_media}", failures)
        caller.stream(4.0)
        time.sleep(0.3)
        code = caller.bye()
        _check(code == 200, f"lossy: BYE answered {code}", failures)
        try:
            rc = sipp.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        _check(rc == 0, f"lossy: SIPp's UAS saw a complete call (exit {rc})", failures)
        total = len(caller.sent_seqs) + len(caller.dropped_seqs)
        fraction = len(caller.dropped_seqs) / total
        _check(total == 200 and 0.05 <= fraction <= 0.15,
               f"lossy: dropped {len(caller.dropped_seqs)} of {total} packets ({fraction:.1%})",
               failures)
        echoed = caller.received_seqs()
        gaps = sequence_gaps(echoed)
        _check(len(echoed) >= len(caller.sent_seqs) - 2
               and abs(gaps - len(caller.dropped_seqs)) <= 2,
               f"lossy: {len(echoed)} packets echoed back, {gaps} sequence numbers missing on "
               f"the wire (dropped {len(caller.dropped_seqs)})", failures)
        audio = caller.received_audio()
        middle = span(audio, 8000, 1.0, 2.0)
        shares = dominant_tones(span(middle, 8000, 0, 1.0), 8000, [600, 1000])
        _check(shares[600] > 0.5 and shares[1000] < NOT_HEARD,
               f"lossy: the echoed audio holds the 600 Hz tone ({shares})", failures)
        silent, windows = silent_gaps(middle, 8000)
        _check(silent >= 10,
               f"lossy: with nobody concealing, the gap check sees the loss: {silent}/{windows} "
               "silent 20 ms windows (so it can fail)", failures)
    finally:
        caller.close()
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
        if failures:
            print(caller.trace_text())
            with open(log_path, errors="replace") as f:
                print("--- SIPp output:\n" + f.read()[-3000:])


def self_test():
    import tempfile
    require_baresip()
    failures = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tutti-e2e-selftest-") as workdir:
        print("analysis:", flush=True)
        _self_test_analysis(failures)
        for codec in ("PCMU", "opus"):
            print(f"baresip -> baresip, {codec}:", flush=True)
            _self_test_baresip(workdir, codec, failures)
        print("lossy caller -> SIPp UAS:", flush=True)
        _self_test_lossy_caller(workdir, failures)
    return rtp_capture.verdict(failures, began)


if __name__ == "__main__":
    rtp_capture.main(self_test, __doc__)
