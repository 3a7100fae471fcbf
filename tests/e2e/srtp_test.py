"""End-to-end SRTP: two baresip callers with SDES (`mediaenc=srtp-mand`,
RTP/SAVP with a=crypto) in a room with srtp = "required" hear each other;
a capture of the loopback shows no clear RTP between them and tuttid; the
keys reach no log or call record; a plain RTP/AVP caller gets 488. Once
over SIP/TLS with the default config (keys only over TLS), once over UDP
with `[media] sdes_over_plain_sip = true`; without that, SDES over UDP is
refused with 488.

Needs TUTTID (the binary; ctest sets it), baresip with its srtp module, and
root for the AF_PACKET capture on lo.
"""

import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import Tuttid, require_tuttid, udp_exchange  # noqa: E402

ROOMS = """
[[room]]
name = "1000"
codecs = ["PCMU"]
srtp = "required"
"""

SETTLE_S = 1.0
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


class LoopbackCapture:
    """UDP datagrams on lo with one end in [first, last], captured with an
    AF_PACKET socket (each packet once: the outgoing copy is skipped).
    Collected as (source port, destination port, UDP payload)."""

    def __init__(self, first, last):
        self.first, self.last = first, last
        self.packets = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
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
            self.packets.append((source, destination, bytes(ip[header + 8:header + length])))

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


class SrtpTest(unittest.TestCase, ah.MixChecks):

    @classmethod
    def setUpClass(cls):
        ah.require_baresip()
        require_tuttid()
        if not os.path.exists("/usr/lib/baresip/modules/srtp.so"):
            raise AssertionError("baresip's srtp module is missing (package baresip)")

    def setUp(self):
        self.work = tempfile.TemporaryDirectory(prefix="tutti-srtp-")
        self.addCleanup(self.work.cleanup)
        self.transport = "udp"
        self.ca = None

    def start_server(self, sdes_over_plain_sip=False, tls=False):
        sip_extra = ""
        if tls:
            sip_extra, tls_port, self.ca = ah.tuttid_tls_config(self.work.name)
            self.transport = "tls"
        media_extra = "sdes_over_plain_sip = true" if sdes_over_plain_sip else ""
        self.server = Tuttid(rooms=ROOMS, sip_extra=sip_extra, media_extra=media_extra)
        self.addCleanup(self._stop_server)
        # baresip adds its account's ;transport=tls to the URI it dials.
        self.room_uri = f"sip:1000@127.0.0.1:{tls_port if tls else self.server.port}"
        with open(self.server.config_path) as f:
            config = f.read()
        self.rtp_first = int(re.search(r"rtp_port_min = (\d+)", config).group(1))
        self.rtp_last = int(re.search(r"rtp_port_max = (\d+)", config).group(1))

    def _stop_server(self):
        code = self.server.stop()
        log = self.server.log_text()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + log[-3000:])

    def client(self, name, tone_hz, mediaenc="srtp-mand"):
        wav = ah.write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 30, 8000)
        client = ah.BaresipClient(name, self.work.name, codec="PCMU", source_wav=wav,
                                  transport=self.transport, tls_ca=self.ca)
        # The srtp module must be loaded before account.so reads `mediaenc`.
        config_path = os.path.join(client.dir, "config")
        with open(config_path) as f:
            config = f.read()
        with open(config_path, "w") as f:
            f.write(config.replace("module account.so", "module srtp.so\nmodule account.so"))
        accounts = os.path.join(client.dir, "accounts")
        with open(accounts) as f:
            account = f.read().strip()
        with open(accounts, "w") as f:
            f.write(f"{account};mediaenc={mediaenc}\n")
        self.addCleanup(client.kill)
        return client

    def test_sdes_over_tls_callers_hear_each_other_and_nothing_goes_in_clear(self):
        self.start_server(tls=True)
        self.sdes_call()
        self.server.wait_for_log_count(r'msg="call answered".* transport=TLS', 2)

    def test_sdes_over_udp_where_allowed(self):
        self.start_server(sdes_over_plain_sip=True)
        self.sdes_call()

    def test_sdes_over_udp_is_refused_by_default(self):
        self.start_server()
        caller = self.client("alice", 440)
        caller.start(self.room_uri, hold_seconds=5)
        caller.wait_event("CALL_CLOSED", timeout=10)
        self.assertRegex(caller.log_text(), r'Warning: 399 tutti "SDES keys are only taken over '
                                            r'TLS"', caller.log_tail())

    def sdes_call(self):
        tones = {"alice": 440, "bob": 700}
        clients = [self.client(name, hz) for name, hz in tones.items()]
        capture = LoopbackCapture(self.rtp_first, self.rtp_last)
        self.addCleanup(capture.stop)
        # Long enough for periodic RTCP (every ~5 s) both ways.
        self.join_one_by_one(clients, gap_s=1.0, last_stay_s=9)
        capture.stop()

        for client in clients:
            self.assertTrue(any("RTP/SAVP" in line for line in client.sdp_media_lines()),
                            client.log_tail())
        all_in = max(c.event_time("CALL_ESTABLISHED") for c in clients) + SETTLE_S
        all_out = min(c.end_time() for c in clients) - 0.3
        window_s = min(2.0, all_out - all_in)
        self.assertGreater(window_s, 1.0, f"the two were together only {all_out - all_in:.1f} s")
        middle = all_in + (all_out - all_in - window_s) / 2
        for client in clients:
            self.check_hears(client, middle, window_s, tones,
                             expected=[n for n in tones if n != client.name])

        # tuttid negotiated SDES for both.
        self.assertEqual(len(re.findall(r'msg="call answered".*media_encryption=sdes',
                                        self.server.log_text())), 2, self.server.log_text()[-3000:])

        # The wire: every RTP packet both ways carries 160 bytes of PCMU and
        # an 80-bit tag, and its payload is not the tone (decoded as μ-law,
        # neither tone is in it; in clear each would be nearly all of it).
        rtp = [(s, d, p) for s, d, p in capture.packets if len(p) >= 12 and p[0] >> 6 == 2
               and p[1] & 0x7F == ah.PAYLOAD_TYPE["PCMU"]]
        to_tutti = [p for s, d, p in rtp if self.rtp_first <= d <= self.rtp_last]
        from_tutti = [p for s, d, p in rtp if self.rtp_first <= s <= self.rtp_last]
        self.assertGreater(len(to_tutti), 200, f"{len(capture.packets)} packets captured")
        self.assertGreater(len(from_tutti), 100, f"{len(capture.packets)} packets captured")
        # Every SRTP packet the callers sent was authenticated and taken (the
        # call records count what got past SRTP), nothing replayed; what tuttid
        # refused is baresip's RTCP outside SRTCP: a plain APP keep-alive at
        # the start, a BYE without the E flag at the end.
        self.server.wait_until("two call records", lambda: len(self.server.call_records()) == 2)
        taken = sum(record["packets_in"] for record in self.server.call_records())
        self.assertGreaterEqual(taken, len(to_tutti) - 4, self.server.call_records())
        outside_srtcp = [p for s, d, p in capture.packets
                         if self.rtp_first <= d <= self.rtp_last and len(p) >= 2
                         and p[1] in (203, 204) and (len(p) <= 16 or p[1] == 203)]
        self.assertLessEqual(self.server.metric("tutti_srtp_auth_failed_total", 'worker="0"'),
                             len(outside_srtcp))
        self.assertEqual(self.server.metric("tutti_srtp_replayed_total", 'worker="0"'), 0)
        for name, packets in (("to tuttid", to_tutti), ("from tuttid", from_tutti)):
            sizes = {len(p) for p in packets}
            self.assertEqual(sizes, {12 + 160 + 10}, f"RTP {name}: sizes {sizes}")
            audio = []
            for p in packets:
                audio.extend(ah.ulaw2lin(p[12:12 + 160]))
            shares = ah.dominant_tones(audio, 8000, tones.values())
            self.assertTrue(all(share < self.NOT_HEARD for share in shares.values()),
                            f"RTP {name} decodes to the tones: {shares}")
            # Random bytes decode to noise at about -10 dBFS; the tones were
            # sent at -15 dBFS RMS.
            level = ah.level_dbfs(audio)
            self.assertGreater(level, -13, f"RTP {name}: {level:.1f} dBFS is not noise")

        # The keys (both sides', from the SIP trace) are in no log or record.
        keys = set()
        for client in clients:
            keys.update(re.findall(r"a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)",
                                   client.log_text()))
        self.assertGreaterEqual(len(keys), 4, "expected an offered and an answered key per call")
        log = self.server.log_text()
        with open(self.server.records_path) as f:
            records = f.read()
        for key in keys:
            self.assertNotIn(key, log)
            self.assertNotIn(key, records)

    def test_plain_caller_gets_488_with_the_reason(self):
        self.start_server(sdes_over_plain_sip=True)
        sdp = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\n")
        invite = (f"INVITE sip:1000@127.0.0.1:{self.server.port} SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKplain;rport\r\n"
                  "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\n"
                  "Call-ID: plain-1\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:5999>\r\n"
                  f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")
        reply = udp_exchange(self.server.port, invite)
        while reply.startswith("SIP/2.0 100"):
            reply = udp_exchange(self.server.port, invite)
        self.assertTrue(reply.startswith("SIP/2.0 488 Not Acceptable Here\r\n"), reply)
        self.assertRegex(reply, r'\r\nWarning: 399 tutti "SRTP required[^"]*"\r\n')

    def test_plain_baresip_gets_488(self):
        self.start_server(tls=True)
        plain = self.client("plain", 500, mediaenc="")
        accounts = os.path.join(plain.dir, "accounts")
        with open(accounts) as f:
            account = f.read().replace(";mediaenc=", "")
        with open(accounts, "w") as f:
            f.write(account)
        plain.start(self.room_uri, hold_seconds=5)
        plain.wait_event("CALL_CLOSED", timeout=10)
        closed = [m for _, m in plain.events if m.get("type") == "CALL_CLOSED"]
        self.assertIn("488", str(closed), plain.log_tail())


if __name__ == "__main__":
    unittest.main(verbosity=2)
