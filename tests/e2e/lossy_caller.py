"""A minimal SIP caller in Python that sends a PCMU tone with random packet
loss, so a test can inject loss without netem (which this kernel lacks).
It also records what it receives."""

import audioop  # deprecated in 3.13; present in Debian 12's 3.11
import math
import random
import re
import socket
import struct
import threading
import time
import uuid


class LossyRtpCaller:
    def __init__(self, server_port, room="1000", tone_hz=600, loss=0.1, seed=7):
        self.server_port = server_port
        self.room = room
        self.tone_hz = tone_hz
        self.loss = loss
        self.random = random.Random(seed)
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.sip.settimeout(5)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(0.05)
        self.call_id = uuid.uuid4().hex
        self.tag = uuid.uuid4().hex[:8]
        self.to_header = f"<sip:{room}@127.0.0.1>"
        self.sent = 0
        self.dropped = 0
        self.received = []  # decoded samples, in arrival order
        self._stop = threading.Event()

    def _request(self, method, cseq, body="", branch=None):
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
        port = self.sip.getsockname()[1]
        headers = (f"{method} sip:{self.room}@127.0.0.1:{self.server_port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                   f"From: <sip:lossy@127.0.0.1>;tag={self.tag}\r\n"
                   f"To: {self.to_header}\r\n"
                   f"Call-ID: {self.call_id}\r\n"
                   f"CSeq: {cseq} {method}\r\n"
                   f"Contact: <sip:lossy@127.0.0.1:{port}>\r\n"
                   "Max-Forwards: 70\r\n")
        if body:
            headers += "Content-Type: application/sdp\r\n"
        return f"{headers}Content-Length: {len(body)}\r\n\r\n{body}".encode()

    def _final_response(self):
        while True:
            text = self.sip.recv(65535).decode(errors="replace")
            code = int(text.split(" ", 2)[1])
            if code >= 200:
                return code, text

    def call(self):
        rtp_port = self.rtp.getsockname()[1]
        sdp = ("v=0\r\no=lossy 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n")
        self.sip.sendto(self._request("INVITE", 1, sdp), ("127.0.0.1", self.server_port))
        code, ok = self._final_response()
        if code != 200:
            raise AssertionError(f"INVITE answered {code}:\n{ok}")
        self.to_header = re.search(r"\r\nTo: (.*)\r\n", ok).group(1)
        self.remote = (re.search(r"c=IN IP4 (\S+)", ok).group(1),
                       int(re.search(r"m=audio (\d+)", ok).group(1)))
        self.sip.sendto(self._request("ACK", 1), ("127.0.0.1", self.server_port))

    def stream(self, seconds):
        """Sends the tone in real time for `seconds`, dropping `loss` of the packets."""
        receiver = threading.Thread(target=self._receive)
        receiver.start()
        ssrc = self.random.getrandbits(32)
        start = time.monotonic()
        frames = int(seconds * 50)
        for n in range(frames):
            pcm = b"".join(struct.pack("<h", int(8000 * math.sin(
                2 * math.pi * self.tone_hz * (n * 160 + i) / 8000))) for i in range(160))
            if self.random.random() < self.loss:
                self.dropped += 1
            else:
                header = struct.pack("!BBHII", 0x80, 0, n & 0xffff, n * 160, ssrc)
                self.rtp.sendto(header + audioop.lin2ulaw(pcm, 2), self.remote)
                self.sent += 1
            delay = start + (n + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._stop.set()
        receiver.join()

    def _receive(self):
        while not self._stop.is_set():
            try:
                data = self.rtp.recv(2048)
            except socket.timeout:
                continue
            if len(data) > 12 and data[1] & 0x7f == 0:
                pcm = audioop.ulaw2lin(data[12:], 2)
                self.received.extend(struct.unpack("<%dh" % (len(pcm) // 2), pcm))

    def hang_up(self):
        self.sip.sendto(self._request("BYE", 2), ("127.0.0.1", self.server_port))
        code, _ = self._final_response()
        self.sip.close()
        self.rtp.close()
        return code
