"""Pager-mode messages (RFC 3428) through a real tuttid (issue 17): three
members of a room, each a real audio call from the tests' own SIP UA; a
MESSAGE from one reaches the two others (From the room, the sender named)
and never the sender; a stranger's MESSAGE gets 403 and reaches nobody; 413
above [messaging] max_message_bytes; 415 for a type not relayed; a member's
message is listed by GET /v1/rooms/{room}/messages.

Every wait is for a condition up to a deadline; "nobody received it" is
checked after a later message from a member has reached everyone (MESSAGEs
to one member are relayed in order, so the earlier one would be there)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from msrp_client import parse_cpim  # noqa: E402
from sip_chat_ua import SipChatUa  # noqa: E402
from tutti_harness import Tuttid, check_clean_exit, require_tuttid  # noqa: E402

MAX_BYTES = 1000
MESSAGING = f"""
[messaging]
max_message_bytes = {MAX_BYTES}
"""


def text_of(message):
    """The text a relayed MESSAGE carries: unwrapped when it is message/cpim
    (RFC 3862), with the sender the CPIM From names (else None)."""
    if (message["content_type"] or "").lower().startswith("message/cpim"):
        headers, _, content = parse_cpim(message["body"].encode())
        return content.decode(), headers.get("From")
    return message["body"], None


class PagerModeTest(unittest.TestCase):
    ROOM = "1000"

    def setUp(self):
        require_tuttid()
        self.server = Tuttid(extra_config=MESSAGING)
        self.uas = []
        self.alice, self.bob, self.carol = (self.member(n, d) for n, d in
                                            (("alice", "Alice A"), ("bob", "Bob B"),
                                             ("carol", "Carol C")))
        self.server.wait_until("three participants in the room",
                               lambda: len(self.server.participants(self.ROOM)) == 3)

    def tearDown(self):
        for ua in self.uas:
            ua.close()
        check_clean_exit(self, self.server)

    def member(self, user, display):
        ua = SipChatUa(self.server.port, user, display)
        self.uas.append(ua)
        ua.call_audio(self.ROOM)
        return ua

    def stranger(self):
        ua = SipChatUa(self.server.port, "mallory", "Mallory")
        self.uas.append(ua)
        return ua

    def check_relayed(self, ua, text, sender):
        """ua got exactly one MESSAGE with `text`, from the room, naming the
        sender (display name or CPIM From)."""
        found = [m for m in ua.messages if text_of(m)[0] == text]
        self.assertEqual(len(found), 1, f"{ua.user} got {len(found)} copies of {text!r}\n"
                         + ua.trace_text())
        message = found[0]
        body, cpim_from = text_of(message)
        self.assertIn(f"sip:{self.ROOM}@", message["from"],
                      f"{ua.user}: a relayed MESSAGE must come From the room\n{message['text']}")
        named = (cpim_from and f"sip:{sender.user}@" in cpim_from) or (
            sender.display in message["from"])
        self.assertTrue(named, f"{ua.user}: the relayed MESSAGE does not name {sender.user} "
                               f"(From {message['from']!r}, CPIM From {cpim_from!r})")

    def test_a_message_reaches_the_two_others_and_not_the_sender(self):
        code, response = self.alice.message("hello from alice", room=self.ROOM)
        self.assertLess(code, 300, response)
        self.bob.wait_for_messages(1)
        self.carol.wait_for_messages(1)
        self.check_relayed(self.bob, "hello from alice", self.alice)
        self.check_relayed(self.carol, "hello from alice", self.alice)
        # Then one from bob: once it has reached alice, alice would have had
        # her own message before it (relays to one member go in order).
        code, _ = self.bob.message("bob here", room=self.ROOM)
        self.assertLess(code, 300)
        self.alice.wait_for_messages(1)
        self.carol.wait_for_messages(2)
        self.check_relayed(self.alice, "bob here", self.bob)
        self.assertEqual([text_of(m)[0] for m in self.alice.messages], ["bob here"],
                         "alice must never get her own message back")
        self.assertEqual([text_of(m)[0] for m in self.bob.messages], ["hello from alice"])

    def test_a_message_inside_the_dialog_is_relayed_too(self):
        code, response = self.carol.message("in my call", dialog=self.carol.dialogs[0])
        self.assertLess(code, 300, response)
        self.alice.wait_for_messages(1)
        self.bob.wait_for_messages(1)
        self.check_relayed(self.alice, "in my call", self.carol)
        self.check_relayed(self.bob, "in my call", self.carol)

    def test_a_strangers_message_gets_403_and_reaches_nobody(self):
        code, response = self.stranger().message("buy now", room=self.ROOM)
        self.assertEqual(code, 403, response)
        # A member's message afterwards reaches everyone: the stranger's,
        # had it been relayed, would have come first.
        self.assertLess(self.carol.message("after the stranger", room=self.ROOM)[0], 300)
        self.alice.wait_for_messages(1)
        self.bob.wait_for_messages(1)
        for ua in (self.alice, self.bob, self.carol):
            self.assertNotIn("buy now", [text_of(m)[0] for m in ua.messages], ua.user)

    def test_a_message_above_the_limit_gets_413(self):
        code, response = self.alice.message("x" * (MAX_BYTES + 1), room=self.ROOM)
        self.assertEqual(code, 413, response)
        code, _ = self.alice.message("y" * MAX_BYTES, room=self.ROOM)
        self.assertLess(code, 300, "a message of exactly the limit is taken")
        self.bob.wait_for_messages(1)
        self.assertEqual([text_of(m)[0] for m in self.bob.messages], ["y" * MAX_BYTES])

    def test_a_type_not_relayed_gets_415(self):
        code, response = self.alice.message("<b>bold</b>", content_type="application/x-frob",
                                            room=self.ROOM)
        self.assertEqual(code, 415, response)
        self.assertTrue(response and "Accept" in response.split("\r\n\r\n")[0],
                        f"415 must say what is accepted (Accept header)\n{response}")

    def test_a_members_message_is_listed_by_the_api(self):
        self.assertLess(self.bob.message("for the record", room=self.ROOM)[0], 300)
        self.carol.wait_for_messages(1)

        def listed():
            status, body = self.server.api("GET", f"/v1/rooms/{self.ROOM}/messages")
            self.assertEqual(status, 200, body)
            return [m for m in body["messages"] if m.get("body") == "for the record"]

        (message,) = self.server.wait_until("the message in the room's list", listed)
        self.assertIn("sip:bob@", message.get("from", ""), message)
        status, body = self.server.api("GET", "/v1/rooms/no-such-room/messages")
        self.assertEqual(status, 404, body)


if __name__ == "__main__":
    unittest.main()
