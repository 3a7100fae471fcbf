"""Self-test of the tests' own MSRP client (msrp_client.py) against RFC
4975's examples and its framing rules, before it is trusted to judge
tuttid: the §7.1 SEND and its 200, the §7.1.2 REPORT, incremental reading,
chunking with '+'/'$', '#' aborts, REPORTs, and bytes that are no MSRP;
and the SIP glue's file offer between two of its UAs. Needs no tuttid."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from msrp_client import (ABORT, END, MORE, Frame, FrameReader, MsrpEndpoint,  # noqa: E402
                         MsrpFramingError, make_cpim, parse_cpim, parse_range, parse_uri,
                         same_uri, sha1_colons, sha256)
from sip_chat_ua import SipChatUa  # noqa: E402

# RFC 4975 §7.1: Alice's SEND and Bob's 200. (Its Byte-Range says 16 bytes
# for the 14 of "Hi, I'm Alice!": framing is by the end-line, not by it.)
RFC_SEND = (b"MSRP d93kswow SEND\r\n"
            b"To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
            b"From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
            b"Message-ID: 12339sdqwer\r\n"
            b"Byte-Range: 1-16/16\r\n"
            b"Content-Type: text/plain\r\n"
            b"\r\n"
            b"Hi, I'm Alice!\r\n"
            b"-------d93kswow$\r\n")
RFC_200 = (b"MSRP d93kswow 200 OK\r\n"
           b"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
           b"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
           b"-------d93kswow$\r\n")
# RFC 4975 §7.1.2: Bob's success REPORT for that message.
RFC_REPORT = (b"MSRP dkei38sd REPORT\r\n"
              b"To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
              b"From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n"
              b"Message-ID: 12339sdqwer\r\n"
              b"Byte-Range: 1-106/106\r\n"
              b"Status: 000 200 OK\r\n"
              b"-------dkei38sd$\r\n")
BOB = "msrp://bob.example.com:8888/9di4eae923wzd;tcp"
ALICE = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp"


class FramingTest(unittest.TestCase):
    def test_reads_the_rfc_send(self):
        (frame,) = FrameReader().feed(RFC_SEND)
        self.assertEqual((frame.tid, frame.method, frame.flag), ("d93kswow", "SEND", END))
        self.assertEqual(frame.paths("To-Path"), [BOB])
        self.assertEqual(frame.paths("From-Path"), [ALICE])
        self.assertEqual(frame.header("Message-ID"), "12339sdqwer")
        self.assertEqual(parse_range(frame.header("Byte-Range")), (1, 16, 16))
        self.assertEqual(frame.content_type, "text/plain")
        self.assertEqual(frame.body, b"Hi, I'm Alice!")

    def test_reads_the_rfc_response_and_report(self):
        response, report = FrameReader().feed(RFC_200 + RFC_REPORT)
        self.assertEqual((response.tid, response.status, response.comment),
                         ("d93kswow", 200, "OK"))
        self.assertFalse(response.is_request)
        self.assertEqual(response.paths("To-Path"), [ALICE])
        self.assertEqual((report.method, report.header("Status"), report.body),
                         ("REPORT", "000 200 OK", b""))
        self.assertIsNone(report.content_type)

    def test_writes_the_rfc_examples_byte_for_byte(self):
        send = Frame("d93kswow", method="SEND",
                     headers=[("To-Path", BOB), ("From-Path", ALICE),
                              ("Message-ID", "12339sdqwer"), ("Byte-Range", "1-16/16")],
                     body=b"Hi, I'm Alice!", content_type="text/plain")
        self.assertEqual(send.to_bytes(), RFC_SEND)
        ok = Frame("d93kswow", status=200, comment="OK",
                   headers=[("To-Path", ALICE), ("From-Path", BOB)])
        self.assertEqual(ok.to_bytes(), RFC_200)

    def test_reads_a_stream_one_byte_at_a_time(self):
        reader, frames = FrameReader(), []
        stream = RFC_SEND + RFC_200 + RFC_REPORT
        for i in range(len(stream)):
            frames += reader.feed(stream[i:i + 1])
        self.assertEqual([f.tid for f in frames], ["d93kswow", "d93kswow", "dkei38sd"])
        self.assertEqual(frames[0].body, b"Hi, I'm Alice!")
        self.assertEqual(reader.buffer, b"")

    def test_a_body_holding_another_transactions_end_line_is_not_cut(self):
        body = b"line\r\n-------other123$\r\n-------d93kswowX\r\nend"
        frame = Frame("d93kswow", method="SEND",
                      headers=[("To-Path", BOB), ("From-Path", ALICE), ("Message-ID", "m1")],
                      body=body, content_type="text/plain", flag=MORE)
        (read,) = FrameReader().feed(frame.to_bytes())
        self.assertEqual((read.body, read.flag), (body, MORE))

    def test_bytes_that_are_no_msrp_are_refused(self):
        for bad in (b"GET / HTTP/1.1\r\n\r\n",
                    b"MSRP x SEND\r\n",  # transaction id shorter than 4
                    b"MSRP abcd1234 SEND\r\nFrom-Path: " + ALICE.encode() + b"\r\nTo-Path: "
                    + BOB.encode() + b"\r\n-------abcd1234$\r\n",  # paths out of order
                    b"MSRP abcd1234 SEND\r\nTo-Path " + BOB.encode() + b"\r\n"):
            with self.subTest(bad=bad), self.assertRaises(MsrpFramingError):
                FrameReader().feed(bad)

    def test_uris_compare_as_section_6_1_says(self):
        self.assertEqual(parse_uri(BOB), ("bob.example.com", 8888, "9di4eae923wzd"))
        self.assertTrue(same_uri(BOB, "MSRP://BOB.example.com:8888/9di4eae923wzd;tcp"))
        self.assertFalse(same_uri(BOB, "msrp://bob.example.com:8888/9DI4eae923wzd;tcp"))
        self.assertFalse(same_uri(BOB, "msrp://bob.example.com:8889/9di4eae923wzd;tcp"))

    def test_cpim_round_trip(self):
        wrapped = make_cpim("sip:alice@example.com", "sip:room@example.com", "text/plain", b"hi")
        headers, content_type, content = parse_cpim(wrapped)
        self.assertEqual(headers["From"], "<sip:alice@example.com>")
        self.assertEqual((content_type, content), ("text/plain", b"hi"))

    def test_rfc_5547_sha1_form(self):
        self.assertEqual(sha1_colons(b"abc"), "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:"
                                              "9C:D0:D8:9D")


class EndpointTest(unittest.TestCase):
    """Two endpoints of the client over a socketpair."""

    def setUp(self):
        a, b = socket.socketpair()
        self.alice, self.bob = MsrpEndpoint("alice"), MsrpEndpoint("bob")
        self.alice.remote_path = [self.bob.local_path]
        self.bob.remote_path = [self.alice.local_path]
        self.alice.attach(a)
        self.bob.attach(b)

    def tearDown(self):
        self.alice.close()
        self.bob.close()

    def test_a_chunked_message_is_answered_reassembled_and_reported(self):
        data = os.urandom(100_000)
        message_id, tids = self.alice.send_message("application/octet-stream", data,
                                                   chunk_size=4096, success_report=True)
        self.assertEqual(len(tids), 25)
        (received,) = self.bob.wait_for_messages(1)
        self.assertEqual((received.message_id, received.body, received.chunks),
                         (message_id, data, 25))
        self.assertTrue(all(r.status == 200 for r in self.alice.wait_for_responses(tids)))
        report = self.alice.wait_for_report(message_id)
        self.assertEqual(report.header("Status"), "000 200 OK")
        self.assertEqual(parse_range(report.header("Byte-Range")), (1, 100_000, 100_000))
        flags = [f.flag for f in self.bob.requests if f.method == "SEND"]
        self.assertEqual(flags, [MORE] * 24 + [END])
        ranges = [parse_range(f.header("Byte-Range")) for f in self.bob.requests]
        self.assertEqual(ranges[1], (4097, 8192, 100_000))

    def test_chunks_out_of_order_are_placed_by_byte_range(self):
        chunks = [(b"EFGH", 5, END), (b"abcd", 1, MORE)]
        for body, start, flag in chunks:
            self.alice.send_raw(Frame(f"tid{start}xyz", method="SEND",
                                      headers=[("To-Path", self.bob.local_path),
                                               ("From-Path", self.alice.local_path),
                                               ("Message-ID", "m8"),
                                               ("Byte-Range", f"{start}-{start + 3}/8")],
                                      body=body, content_type="text/plain",
                                      flag=flag).to_bytes())
        (received,) = self.bob.wait_for_messages(1)
        self.assertEqual(received.body, b"abcdEFGH")

    def test_an_aborted_message_is_never_complete(self):
        message_id, _ = self.alice.send_message("text/plain", b"x" * 10_000, chunk_size=1000,
                                                stop_after=5000)
        self.alice.abort_message(message_id, "text/plain", 5000, 10_000)
        self.bob.wait_for("the abort", lambda: message_id in self.bob.aborted)
        self.assertEqual(self.bob.received, [])

    def test_a_cut_message_is_never_complete(self):
        self.alice.send_message("text/plain", b"y" * 10_000, chunk_size=1000, stop_after=5000)
        self.alice.send_message("text/plain", b"after")
        (received,) = self.bob.wait_for_messages(1)
        self.assertEqual(received.body, b"after")

    def test_an_unknown_method_gets_501(self):
        tid = self.alice._request("FROBNICATE", [("Message-ID", "q")])
        (response,) = self.alice.wait_for_responses([tid])
        self.assertEqual(response.status, 501)

    def test_garbage_ends_the_reader_with_an_error(self):
        self.alice.send_raw(b"HELLO\r\n\r\n")
        self.bob.wait_closed()
        self.assertTrue(self.bob.errors)


class FileOfferLoopbackTest(unittest.TestCase):
    """The SIP glue: one SipChatUa offers a file (RFC 5547) to another that
    answers as a member answers tuttid's offers, in both RFC 6135 roles."""

    def test_a_file_offered_between_two_uas_arrives_whole(self):
        for answer_setup, offer_setup in (("passive", "active"), ("active", "actpass")):
            with self.subTest(answer=answer_setup, offer=offer_setup):
                bob = SipChatUa(9, "bob")
                alice = SipChatUa(bob.port, "alice")  # alice's "server" is bob
                try:
                    bob.accept_files(setup=answer_setup)
                    data = os.urandom(300_000)
                    dialog, message_id, tids = alice.offer_file("room", data, "a b.bin",
                                                                setup=offer_setup,
                                                                chunk_size=30_000)
                    self.assertEqual(len(tids), 10)
                    dialog.msrp.wait_for_responses(tids)
                    (incoming,) = bob.wait_for_incoming(1)
                    self.assertIn('name:"a b.bin"', incoming.file_selector)
                    (received,) = incoming.msrp.wait_for_messages(1)
                    self.assertEqual(sha256(received.body), sha256(data))
                    self.assertEqual(dialog.msrp.wait_for_report(message_id).header("Status"),
                                     "000 200 OK")
                    self.assertEqual(alice.bye(dialog), 200)
                    self.assertTrue(incoming.ended.is_set())
                finally:
                    alice.close()
                    bob.close()


if __name__ == "__main__":
    unittest.main()
