"""Session-mode chat and file transfer through a real tuttid (issue 17),
judged by the tests' own MSRP client (msrp_client.py, from RFC 4975) and SIP
UA (sip_chat_ua.py):

- two MSRP members (chat-only INVITEs: one connects to tuttid, a=setup:active;
  tuttid connects to the other, a=setup:passive) and one pager-mode member:
  text sent over MSRP reaches the other MSRP member (message/cpim, its From
  naming the sender) and the pager member, and never the sender; a pager
  MESSAGE reaches both MSRP members; a long message sent in small chunks
  arrives whole, re-chunked;
- a 5 MB file offered by one member (RFC 5547, sent in chunks) is offered by
  tuttid to each other member in an INVITE of its own; they accept (one
  letting tuttid connect, one connecting) and receive identical bytes
  (sha-256); the API lists it; a stranger's file offer gets 403;
- a transfer cut in the middle (the TCP connection closed after half) leaves
  no file listed and none offered;
- malformed MSRP gets an error response or a closed connection, a connection
  naming no session of ours gets 481, and tuttid keeps serving.

The RFC framing self-test of the client runs in this suite too
(msrp_client_test's cases). Every wait is for a condition up to a deadline.
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from msrp_client import (Frame, FrameReader, MsrpEndpoint, MsrpFramingError,  # noqa: E402
                         new_id, parse_uri, path_uri, sha256)
# The client's own self-test runs in this suite too.
from msrp_client_test import (EndpointTest, FileOfferLoopbackTest,  # noqa: E402,F401
                              FramingTest)
from sip_chat_ua import SipChatUa, file_media, message_lines  # noqa: E402
from tutti_harness import Tuttid, check_clean_exit, require_tuttid  # noqa: E402

ROOM = "1000"
FILE_BYTES = 5 * 1024 * 1024


class MsrpRoomTestCase(unittest.TestCase):
    """A tuttid and the test's SIP UAs, hung up and closed at the end."""

    def setUp(self):
        require_tuttid()
        self.server = Tuttid()
        self.uas = []

    def tearDown(self):
        for ua in self.uas:
            ua.close()
        check_clean_exit(self, self.server)

    def ua(self, user, display=None):
        ua = SipChatUa(self.server.port, user, display or user.capitalize())
        self.uas.append(ua)
        return ua

    def chat_member(self, user, setup):
        ua = self.ua(user)
        ua.call_chat(ROOM, setup=setup)
        return ua

    def pager_member(self, user):
        ua = self.ua(user)
        ua.call_audio(ROOM)
        return ua

    def two_chat_members_and_a_pager_member(self):
        """alice (connects to tuttid), bob (tuttid connects to him), carol
        (an audio call, pager mode): all three in the room."""
        members = (self.chat_member("alice", "active"), self.chat_member("bob", "passive"),
                   self.pager_member("carol"))
        self.wait_for_members(3)
        return members

    def wait_for_members(self, count):
        self.server.wait_until(f"{count} participants in room {ROOM}",
                               lambda: len(self.server.participants(ROOM)) == count)

    def chat(self, ua):
        return ua.dialogs[0].msrp

    def files(self):
        status, body = self.server.api("GET", f"/v1/rooms/{ROOM}/files")
        self.assertEqual(status, 200, body)
        return body["files"]

    def msrp_address(self, ua):
        """tuttid's MSRP host and port, as its a=path in ua's answer names them."""
        host, port, _ = parse_uri(message_lines(ua.dialogs[0].answer)["path"][-1])
        return host, port


def cpim_of(received):
    """(CPIM From, inner content) of a message received over MSRP; fails
    unless it is message/cpim."""
    wrapped = received.cpim()
    if wrapped is None:
        raise AssertionError(f"not message/cpim: {received.content_type}")
    headers, _, content = wrapped
    return headers.get("From", ""), content


class ChatTest(MsrpRoomTestCase):
    def test_msrp_and_pager_members_see_each_others_messages(self):
        alice, bob, carol = self.two_chat_members_and_a_pager_member()

        # alice over MSRP, in two chunks, asking for a success REPORT.
        message_id, tids = self.chat(alice).send_message("text/plain", "hello over msrp",
                                                         chunk_size=8, success_report=True)
        self.assertEqual(len(tids), 2)
        for response in self.chat(alice).wait_for_responses(tids):
            self.assertEqual(response.status, 200, response)
        report = self.chat(alice).wait_for_report(message_id)
        self.assertEqual(report.header("Status").split()[1], "200", report)
        (received,) = self.chat(bob).wait_for_messages(1)
        sender, content = cpim_of(received)
        self.assertIn("sip:alice@", sender, "CPIM From must name the sender")
        self.assertEqual(content, b"hello over msrp")
        carol.wait_for_messages(1)
        self.assertIn("hello over msrp", carol.messages[0]["body"])

        # carol by MESSAGE: both MSRP members get it, naming carol.
        code, response = carol.message("pager says hi", room=ROOM)
        self.assertLess(code, 300, response)
        for member in (alice, bob):
            received = self.chat(member).wait_for_messages(
                1 if member is alice else 2)[-1]
            sender, content = cpim_of(received)
            self.assertIn("sip:carol@", sender)
            self.assertEqual(content, b"pager says hi")
        # alice got carol's message, and had her own come back it would be
        # there before it.
        self.assertEqual([cpim_of(r)[1] for r in self.chat(alice).received], [b"pager says hi"])
        self.assertEqual(len(carol.messages), 1, "carol must not get her own message back")
        for member in (alice, bob):
            self.assertEqual(member.messages, [], f"{member.user} chats over MSRP: no MESSAGE "
                                                  "copies of what MSRP brings it")

    def test_a_long_message_sent_in_small_chunks_arrives_whole(self):
        alice = self.chat_member("alice", "active")
        bob = self.chat_member("bob", "passive")
        self.wait_for_members(2)
        text = bytes(ord("a") + i % 26 for i in range(40_000))
        _, tids = self.chat(alice).send_message("text/plain", text, chunk_size=1000)
        self.assertEqual(len(tids), 40)
        self.assertTrue(all(r.status == 200 for r in self.chat(alice).wait_for_responses(tids)))
        (received,) = self.chat(bob).wait_for_messages(1)
        self.assertEqual(cpim_of(received)[1], text)

    def test_a_member_accepting_only_text_plain_gets_text_plain(self):
        alice = self.chat_member("alice", "active")
        dave = self.ua("dave")
        dave.call_chat(ROOM, setup="active", accept_types="text/plain")
        self.wait_for_members(2)
        self.chat(alice).send_message("text/plain", "plain for dave")
        (received,) = self.chat(dave).wait_for_messages(1)
        self.assertEqual((received.content_type, received.body), ("text/plain", b"plain for dave"))


class FileTransferTest(MsrpRoomTestCase):
    def test_a_5_mb_file_reaches_the_other_members_identical(self):
        alice, bob, carol = self.two_chat_members_and_a_pager_member()
        # tuttid connects to both (a=setup:passive in their answers); a
        # member that connects itself is the next test's.
        bob.accept_files(setup="passive")
        carol.accept_files(setup="passive")
        data = os.urandom(FILE_BYTES)
        dialog, message_id, tids = alice.offer_file(ROOM, data, "minutes.bin",
                                                    chunk_size=50_000)
        self.assertEqual(len(tids), (FILE_BYTES + 49_999) // 50_000)
        for response in dialog.msrp.wait_for_responses(tids, timeout=60):
            self.assertEqual(response.status, 200, response)

        for member in (bob, carol):
            (offer,) = member.wait_for_incoming(1, timeout=30)
            self.assertIn('name:"minutes.bin"', offer.file_selector)
            self.assertIn(f"size:{FILE_BYTES}", offer.file_selector)
            (received,) = offer.msrp.wait_for_messages(1, timeout=60)
            self.assertEqual(len(received.body), FILE_BYTES, member.user)
            self.assertEqual(sha256(received.body), sha256(data),
                             f"{member.user} received other bytes")
            self.assertGreater(received.chunks, 1, "a 5 MB file comes in chunks")
            # tuttid hangs up its offer once the file is sent.
            self.server.wait_until(f"tuttid's BYE to {member.user} after the file",
                                   offer.ended.is_set, timeout=30)
        self.assertEqual(alice.invites_seen, [], "the sender is not offered its own file")

        (listed,) = self.server.wait_until("the file listed", self.files)
        self.assertEqual(listed.get("size"), FILE_BYTES, listed)
        self.assertEqual(listed.get("sha256", listed.get("id")), sha256(data), listed)
        self.assertEqual(alice.bye(dialog), 200)

    def test_a_member_whose_answer_was_lost_once_still_gets_the_file(self):
        """carol answers tuttid's offer a=setup:active (RFC 6135) and
        connects at once, as the active end does. UDP loses her 200, so
        tuttid hears it only from its retransmission: the connection for a
        session tuttid offered must not be refused meanwhile (481) - it
        cannot tell a lost answer from a slow one. (Without the loss the
        same race is lost about one time in ten on loopback.)"""
        alice = self.chat_member("alice", "active")
        carol = self.pager_member("carol")
        self.wait_for_members(2)
        carol.accept_files(setup="active")
        carol.lose_next_answer = True
        data = os.urandom(200_000)
        dialog, _, tids = alice.offer_file(ROOM, data, "late.bin", chunk_size=50_000)
        dialog.msrp.wait_for_responses(tids)
        (offer,) = carol.wait_for_incoming(1)
        (received,) = offer.msrp.wait_for_messages(1, timeout=20)
        self.assertEqual(sha256(received.body), sha256(data))

    def test_a_strangers_file_offer_gets_403(self):
        self.chat_member("alice", "active")
        self.wait_for_members(1)
        mallory = self.ua("mallory")
        endpoint = MsrpEndpoint("mallory-file")
        code, response = mallory.invite(ROOM, file_media(endpoint, "active", b"x" * 100,
                                                         "spam.bin"), expect=403)
        self.assertEqual(code, 403, response)
        self.assertEqual(self.files(), [])

    def test_a_transfer_cut_in_the_middle_leaves_no_file_and_no_offer(self):
        alice = self.chat_member("alice", "active")
        bob = self.chat_member("bob", "passive")
        self.wait_for_members(2)
        bob.accept_files(setup="passive")
        data = os.urandom(2 * 1024 * 1024)
        dialog, _, tids = alice.offer_file(ROOM, data, "cut.bin", chunk_size=50_000,
                                           stop_after=len(data) // 2)
        dialog.msrp.wait_for_responses(tids, timeout=30)  # tuttid has taken half
        dialog.msrp.close()  # the TCP connection cut
        alice.bye(dialog)
        # Evidence the cut transfer's outcome is decided: a whole file sent
        # after it is stored and offered, and bob is offered nothing else.
        small = os.urandom(100_000)
        second, _, tids = alice.offer_file(ROOM, small, "whole.bin", chunk_size=50_000)
        second.msrp.wait_for_responses(tids, timeout=30)
        (offer,) = bob.wait_for_incoming(1, timeout=30)
        self.assertIn('name:"whole.bin"', offer.file_selector)
        (received,) = offer.msrp.wait_for_messages(1, timeout=30)
        self.assertEqual(received.body, small)
        listed = self.server.wait_until("the whole file listed", self.files)
        self.assertEqual([f.get("name") for f in listed], ["whole.bin"], listed)
        self.assertEqual(len(bob.invites_seen), 1, "only the whole file is offered")
        alice.bye(second)


class MalformedMsrpTest(MsrpRoomTestCase):
    def exchange(self, address, data, timeout=10, until_closed=False):
        """Sends raw bytes on a new connection to tuttid's MSRP port; returns
        (frames read, closed) once tuttid answered with an error or closed it
        (with until_closed, once it closed it)."""
        frames, reader = [], FrameReader()
        with socket.create_connection(address, timeout=timeout) as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # closed while we sent: what it answered first is still read
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    return frames, True
                if not chunk:
                    return frames, True
                try:
                    frames += reader.feed(chunk)
                except MsrpFramingError as error:
                    self.fail(f"tuttid answered with bytes that are no MSRP: {error}")
                if not until_closed and any(not f.is_request and f.status >= 400
                                            for f in frames):
                    return frames, False
        return frames, False

    def test_malformed_msrp_is_refused_and_tuttid_keeps_serving(self):
        alice = self.chat_member("alice", "active")
        bob = self.chat_member("bob", "passive")
        self.wait_for_members(2)
        address = self.msrp_address(alice)
        ours = path_uri("127.0.0.1", 9, new_id())

        def send(to_path, body=b"hi", extra=()):
            return Frame(new_id(), method="SEND",
                         headers=[("To-Path", to_path), ("From-Path", ours),
                                  ("Message-ID", new_id()), *extra],
                         body=body, content_type="text/plain").to_bytes()

        unknown = path_uri(address[0], address[1], new_id(20))
        frames, closed = self.exchange(address, send(unknown), until_closed=True)
        statuses = [f.status for f in frames if not f.is_request]
        self.assertEqual(statuses, [481], "a session tuttid never handed out gets 481")
        self.assertTrue(closed, "... and its connection closed (RFC 4975 §7.3.1)")
        cases = {
            "not MSRP": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "no end-line flag": b"MSRP abcd1234 SEND\r\nTo-Path: " + unknown.encode()
                                + b"\r\n-------abcd1234!\r\n\r\n",
            "paths missing": b"MSRP abcd1234 SEND\r\nMessage-ID: 1\r\n-------abcd1234$\r\n",
            "binary": bytes(range(256)) * 64,
            "a chunk past the limit": send(unknown, body=b"z" * (2 * 1024 * 1024)),
        }
        for what, data in cases.items():
            with self.subTest(what):
                frames, closed = self.exchange(address, data)
                errors = [f.status for f in frames if not f.is_request and f.status >= 400]
                self.assertTrue(closed or errors,
                                f"{what}: neither an error response nor a closed connection "
                                f"(read {frames})")
                self.assertEqual([f for f in frames if not f.is_request and f.status < 300], [],
                                 f"{what}: accepted")
        self.assertIsNone(self.server.proc.poll(), "tuttid exited")
        # Still serving: alice's message reaches bob.
        self.chat(alice).send_message("text/plain", "still here")
        (received,) = self.chat(bob).wait_for_messages(1)
        self.assertEqual(cpim_of(received)[1], b"still here")


if __name__ == "__main__":
    unittest.main()
