"""End-to-end pager-mode messages (RFC 3428, issue 17): three baresip
callers in room 1000 of a real tuttid. A message typed into one (ctrl_tcp
`message`, to its contact: the room's URI, outside the call's dialog)
reaches the two others (tutti sends it inside each one's call, From the
room) and not the sender; each of them can send too; a stranger's MESSAGE
from the same address gets 403 and reaches nobody.

What a baresip received is read from its console (module cons, a TCP
client of cons_listen): baresip prints `<from>: "<text>"` there.

Needs TUTTID (the binary; ctest sets it) and baresip (Debian package).
"""

import os
import socket
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import free_port, wait_until  # noqa: E402

ROOMS = """
[[room]]
name = "1000"
"""


def _connect(port):
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=0.5)
    except OSError:
        return None


class Console:
    """What a baresip prints on its console (cons.so), read by a thread."""

    def __init__(self, port):
        self.sock = wait_until(f"baresip's console port {port} open", lambda: _connect(port))
        self.sock.settimeout(None)  # close() shuts it down, which ends the read
        self.text = ""
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for data in iter(lambda: self._recv(), b""):
            with self.lock:
                self.text += data.decode(errors="replace")

    def _recv(self):
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""

    def read(self):
        with self.lock:
            return self.text

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=2)
        self.sock.close()


def stranger_message(server_port, text):
    """A MESSAGE to the room from a UA in no call (same address as the
    members, another From): the status line tutti answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    port = sock.getsockname()[1]
    body = text.encode()
    request = (f"MESSAGE sip:1000@127.0.0.1:{server_port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-stranger-{port};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:mallory@127.0.0.1>;tag=m{port}\r\n"
               f"To: <sip:1000@127.0.0.1:{server_port}>\r\nCall-ID: stranger-{port}\r\n"
               f"CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    try:
        sock.sendto(request, ("127.0.0.1", server_port))
        while True:
            answer = sock.recv(65536).decode(errors="replace")
            status = answer.split("\r\n", 1)[0]
            if not status.startswith("SIP/2.0 1"):
                return status
    finally:
        sock.close()


class BaresipMessageTest(ah.TuttidCallTest):

    def setUp(self):
        super().setUp()
        self.start_tuttid(rooms=ROOMS)

    def member(self, name, tone_hz):
        """A baresip whose contact is the room (where `message` goes), with its console."""
        cons_port = free_port(socket.SOCK_STREAM)
        client = self.tone_client(
            name, tone_hz,
            extra_config=f"module contact.so\nmodule cons.so\ncons_listen 127.0.0.1:{cons_port}\n")
        with open(os.path.join(client.dir, "contacts"), "w") as f:
            f.write(f'"Room" <{self.room_uri}>\n')
        client.cons_port = cons_port
        return client

    def wait_for_text(self, client, console, text):
        self.server.wait_until(
            f"{client.name}'s console shows {text!r}", lambda: f'"{text}"' in console.read(),
            timeout=10)

    def test_messages_reach_the_other_members_and_no_stranger_gets_in(self):
        clients = [self.member(name, hz)
                   for name, hz in (("alice", 440), ("bob", 700), ("carol", 1150))]
        for client in clients:
            client.start(self.room_uri, hold_seconds=25)
            client.wait_event("CALL_ESTABLISHED", timeout=10)
        consoles = {}
        for client in clients:
            consoles[client.name] = Console(client.cons_port)
            self.addCleanup(consoles[client.name].close)
        self.server.wait_until("three participants in room 1000",
                               lambda: len(self.server.participants("1000")) == 3)
        alice, bob, carol = clients

        # alice's message reaches bob and carol, From the room, and not alice.
        alice.command("message", "hello from alice")
        for client in (bob, carol):
            self.wait_for_text(client, consoles[client.name], "hello from alice")
        self.assertIn(f"sip:1000@127.0.0.1:{self.server.port}",
                      consoles["bob"].read().split('"hello from alice"')[0].rsplit("\n", 1)[-1])

        # Every member sends: bob's and carol's reach the two others.
        bob.command("message", "bob speaking")
        carol.command("message", "carol here")
        for client, texts in ((alice, ["bob speaking", "carol here"]),
                              (bob, ["carol here"]), (carol, ["bob speaking"])):
            for text in texts:
                self.wait_for_text(client, consoles[client.name], text)

        # A stranger is refused, and what it sent reaches nobody: once a later
        # member's message has arrived everywhere, the stranger's is nowhere.
        self.assertEqual(stranger_message(self.server.port, "let me in"),
                         "SIP/2.0 403 Not a member of this room")
        alice.command("message", "after the stranger")
        for client in (bob, carol):
            self.wait_for_text(client, consoles[client.name], "after the stranger")
        for client in clients:
            console = consoles[client.name].read()
            self.assertNotIn("let me in", console, client.log_tail())
        # Nobody ever got back what it sent itself.
        self.assertNotIn('"hello from alice"', consoles["alice"].read())
        self.assertNotIn('"after the stranger"', consoles["alice"].read())
        self.assertNotIn('"bob speaking"', consoles["bob"].read())
        self.assertNotIn('"carol here"', consoles["carol"].read())
        # Each relayed MESSAGE was answered 200 by its baresip: 8 relayed, none failed.
        log = self.server.log_text()
        self.assertEqual(log.count('msg="message taken"'), 4, log[-4000:])
        self.assertNotIn("message reached nobody", log)
        for client in clients:
            client.command("quit")
        for client in clients:
            client.wait(timeout=15)


if __name__ == "__main__":
    unittest.main(verbosity=2)
