"""Call and media rules over real SIP and RTP against a real tuttid, each
checked where a caller notices it: a silent caller is hung up (RTP timeout),
a full room refuses the next caller (486, or the IVR's "room full"), media
goes back to where the RTP comes from (symmetric RTP), a BYE for another
dialog is refused (481) and ends nothing, a retransmitted INVITE makes one
call, a muted caller is not heard, a phone's STUN keep-alives are neither
media nor malformed, and a declined video or chat line is logged with why.

Every wait is for a condition up to a generous deadline, never for a time.
"""

import os
import re
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import tone_dbfs, ulaw2lin  # noqa: E402
from dial_in_test import DtmfCaller  # noqa: E402
from tutti_harness import CallersTestCase, udp_exchange  # noqa: E402

TONE_HZ = 500  # a multiple of 50 Hz: a whole number of cycles in every 20 ms packet
HEARD_DBFS = -30.0  # the tone is sent at -15 dBFS
NOT_HEARD_DBFS = -50.0


class Caller(DtmfCaller):
    """The integration SIP caller (keys as SIP INFO), which can also stream
    until told to stop, advertise an RTP port other than the one it sends
    from, and take a refusal."""

    def __init__(self, port, user, name, tone_hz=0, advertised_rtp_port=None):
        super().__init__(port, user, name)
        self.tone_hz = tone_hz  # 0: silence
        self.advertised_rtp_port = advertised_rtp_port
        self._stop_streaming = threading.Event()
        self._streamer = None

    def _offer(self):
        offer = super()._offer()
        if self.advertised_rtp_port:
            offer = offer.replace(f"m=audio {self.rtp_port} ",
                                  f"m=audio {self.advertised_rtp_port} ")
        return offer

    def invite_refused(self, timeout=10):
        """Sends the INVITE expecting a final answer other than 200; ACKs it
        and returns its status code."""
        self._sip_thread = threading.Thread(target=self._sip_loop, daemon=True)
        self._sip_thread.start()
        branch = "z9hG4bK" + self.call_id[:16]
        request = self._request("INVITE", self.cseq, self._offer(), branch=branch)
        self._send_sip(request)
        code, response = self._wait_final(self.cseq, "INVITE", timeout, request)
        if code >= 300:
            to = self._header(response, "To") or self._header(response, "t")
            m = re.search(r";\s*tag=([^;>\s]+)", to or "")
            self.to_tag = m.group(1) if m else None
            self._send_sip(self._request("ACK", self.cseq, branch=branch))
            self.to_tag = None  # no dialog: nothing to hang up
        return code

    def first_invite(self):
        """The INVITE as it was sent, byte for byte."""
        return next(t[4:] for t in self.trace if t.startswith(">>> INVITE "))

    def start_streaming(self):
        """Sends self.tone_hz in real time until stop_streaming()."""
        def run():
            while not self._stop_streaming.is_set() and not self.closed_by_peer:
                self.stream(0.2)
        self._streamer = threading.Thread(target=run, daemon=True)
        self._streamer.start()

    def stop_streaming(self):
        self._stop_streaming.set()
        if self._streamer is not None:
            self._streamer.join(timeout=5)

    def packets_received(self):
        return len(self.received)

    def recent_tone_dbfs(self, hz, packets=20):
        """The level of `hz` in the last `packets` PCMU packets received."""
        payloads = [payload for _, _, _, pt, payload in self.received[-packets:] if pt == 0]
        samples = [x for payload in payloads for x in ulaw2lin(payload)]
        return tone_dbfs(samples, 8000, hz) if samples else float("-inf")

    def close(self):
        self.stop_streaming()
        super().close()


class MediaRulesTest(CallersTestCase):

    caller_class = Caller

    def record_of(self, caller):
        records = [r for r in self.server.call_records() if r["call_id"] == caller.call_id]
        return records[0] if records else None

    def test_caller_that_stops_sending_rtp_is_hung_up(self):
        self.start(media_extra="rtp_timeout_s = 1")
        caller = self.dial("1000", "vanished")
        caller.stream(0.5, tone_hz=TONE_HZ)  # then nothing, not even RTCP
        caller.wait_bye(20)
        self.assertEqual(caller.bye_reason(), "RTP timeout")
        record = self.server.wait_until("no call record for the silent caller",
                                        lambda: self.record_of(caller))
        self.assertEqual(record["why"], "RTP timeout")
        self.assertGreater(record["packets_in"], 0)

    def test_room_takes_max_participants_and_refuses_the_next(self):
        self.start(rooms='[ivr]\nnumber = "conference"\n\n'
                         '[[room]]\nname = "7000"\nmax_participants = 2\n')
        self.dial("7000", "first")
        self.dial("7000", "second")  # exactly at the limit: still answered
        self.server.wait_until("the two callers not both in the room",
                               lambda: len(self.server.participants("7000")) == 2)
        self.assertEqual(self.caller("7000", "third").invite_refused(), 486)
        # Through the IVR, the room's number leads to "room full" and a BYE.
        late = self.dial("conference", "late")
        late.keys("7000#")
        late.wait_bye(10)
        self.assertEqual(late.bye_reason(), "room full")
        record = self.server.wait_until("no call record for the IVR caller",
                                        lambda: self.record_of(late))
        self.assertEqual(record["why"], "room full")
        self.assertEqual(len(self.server.participants("7000")), 2)

    def test_media_goes_back_to_where_the_rtp_comes_from(self):
        self.start()
        # The SDP names a port the caller never sends from (as behind NAT):
        # from its first packet on, its RTP comes from another one.
        decoy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(decoy.close)
        decoy.bind(("127.0.0.1", 0))
        decoy.settimeout(0.05)
        at_decoy = []
        stop = threading.Event()

        def read_decoy():
            while not stop.is_set():
                try:
                    at_decoy.append(decoy.recv(2048))
                except socket.timeout:
                    continue
                except OSError:
                    return

        reader = threading.Thread(target=read_decoy, daemon=True)
        reader.start()
        self.addCleanup(reader.join, 2)
        self.addCleanup(stop.set)
        caller = self.dial("1000", "natted", advertised_rtp_port=decoy.getsockname()[1])
        caller.start_streaming()
        self.server.wait_until("no media back at the port the RTP comes from",
                               lambda: caller.packets_received() >= 25)
        # Once latched, nothing more goes to the SDP's port.
        before = len(at_decoy)
        received = caller.packets_received()
        self.server.wait_until("the media stopped",
                               lambda: caller.packets_received() >= received + 25)
        self.assertEqual(len(at_decoy), before, "media still sent to the SDP address")

    def test_bye_with_a_wrong_to_tag_is_481_and_ends_nothing(self):
        self.start()
        caller = self.dial("1000", "stays")
        self.server.wait_until("the caller not in the room",
                               lambda: self.server.participants("1000"))
        real_tag = caller.to_tag
        caller.to_tag = "x" + real_tag
        caller.cseq += 1
        request = caller._request("BYE", caller.cseq, uri=caller.remote_target)
        caller.to_tag = real_tag
        caller._send_sip(request, caller._next_hop())
        code, _ = caller._wait_final(caller.cseq, "BYE", 5, request, caller._next_hop())
        self.assertEqual(code, 481)
        self.assertIn("sip:stays@127.0.0.1", self.server.participants("1000"))
        self.assertIsNone(self.record_of(caller))
        # The call is still there to hang up, and that ends it.
        self.assertEqual(caller.bye(), 200)
        record = self.server.wait_until("no call record", lambda: self.record_of(caller))
        self.assertEqual(record["why"], "caller hung up")

    def test_retransmitted_invite_makes_one_call(self):
        self.start()
        caller = self.dial("1000", "repeats")
        caller._send_sip(caller.first_invite())  # as if the 200 had been lost
        # SIP over one UDP socket is taken in order: once this OPTIONS is
        # answered, the retransmission was handled.
        options = (f"OPTIONS sip:1000@127.0.0.1:{self.server.port} SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbarrier;rport\r\n"
                   "From: <sip:barrier@127.0.0.1>;tag=b\r\nTo: <sip:1000@127.0.0.1>\r\n"
                   "Call-ID: barrier-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n")
        self.assertTrue(udp_exchange(self.server.port, options).startswith("SIP/2.0 200"))
        self.assertEqual(self.server.metric("tutti_calls"), 1)
        self.assertEqual(self.server.metric("tutti_calls_answered_total"), 1)

    def test_muted_caller_is_not_heard_until_unmuted(self):
        self.start()
        talker = self.dial("1000", "talker", tone_hz=TONE_HZ)
        listener = self.dial("1000", "listener")
        talker.start_streaming()
        listener.start_streaming()
        self.server.wait_until("the listener never hears the talker",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)
        pid = self.server.wait_until(
            "the talker not listed",
            lambda: self.server.participants("1000").get("sip:talker@127.0.0.1"))["id"]

        status, body = self.server.api("POST", f"/v1/rooms/1000/participants/{pid}/mute", raw=b"")
        self.assertEqual((status, body["muted"]), (200, True))
        self.server.wait_until("the listener still hears the muted talker",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) < NOT_HEARD_DBFS)

        status, body = self.server.api("POST", f"/v1/rooms/1000/participants/{pid}/unmute",
                                       raw=b"")
        self.assertEqual((status, body["muted"]), (200, False))
        self.server.wait_until("the listener does not hear the unmuted talker again",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)


    def test_stun_keepalives_are_neither_media_nor_malformed(self):
        # linphonec 5.1 (without ICE) sends STUN Binding requests to the RTP
        # and RTCP ports to open NAT bindings: 2 and 9-10 a call, each of
        # which tutti counted as malformed. These are its bytes.
        stun = bytes.fromhex("000100002112a44292dda45b552d210bfd76b493")
        self.start()
        caller = self.dial("1000", "stunner", tone_hz=TONE_HZ)
        caller.stream(0.1)
        host, port = caller.remote_media
        caller.rtp.sendto(stun, (host, port))
        caller.rtp.sendto(stun, (host, port + 1))  # the RTCP port (no rtcp-mux offered)
        caller.stream(0.1)
        sent = len(caller.sent_seqs) + 2
        # Every datagram has reached the worker before the BYE can remove the leg.
        self.server.wait_for_metric("tutti_media_packets_in_total", 'worker="0"', at_least=sent)
        caller.bye()
        stats = self.server.wait_for_log(
            rf'msg="media stats" call_id={re.escape(caller.call_id)} .*')
        self.assertIn(" malformed=0 malformed_rtcp=0 stun=2 ", stats.group(0))
        self.assertEqual(self.server.metric("tutti_media_stun_dropped_total", 'worker="0"'), 2)
        record = self.server.wait_until("no call record for the caller",
                                        lambda: self.record_of(caller))
        self.assertEqual(record["malformed_packets"], 0)
        self.assertEqual(record["packets_in"], len(caller.sent_seqs))

    def test_declined_streams_are_logged_with_the_reason(self):
        self.start()

        class VideoCaller(Caller):
            def _offer(self):
                # H.263: a codec tutti does not forward.
                return (super()._offer() + "m=video 9 RTP/AVP 34\r\na=rtpmap:34 H263/90000\r\n"
                        "m=message 9 TCP/MSRP *\r\n")

        caller = VideoCaller(self.server.port, "1000", "videophone")
        self.callers.append(caller)
        caller.invite()
        prefix = f'msg="media stream declined" call_id={re.escape(caller.call_id)} room=1000 '
        self.server.wait_for_log(prefix + r'media=video why="no common video codec \(offered: H263; '
                                          r'accepted: VP8 H264 VP9\)"')
        # A chat line without a=path: refused as such where MSRP is served,
        # else because it is not.
        self.server.wait_for_log(prefix + r'media=message why="(no a=path|'
                                          r'chat is not served here)"')
        self.assertEqual(len(re.findall("media stream declined", self.server.log_text())), 2)

if __name__ == "__main__":
    unittest.main(verbosity=2)
