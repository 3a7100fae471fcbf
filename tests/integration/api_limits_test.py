"""Slow and numerous clients against the control API (issue 13, defect 5).

With cpp-httplib, eight connections trickling their headers, or seven
/v1/events streams, held every thread of its pool: /metrics, /v1/rooms and
mute stopped answering for as long as they stayed. These tests open more of
both than that pool had, from several client addresses (127.0.0.x), and
check that the API still answers at once, that a request which does not
arrive in time is closed, that a client's connections beyond its limit are
closed, and that nothing is left behind. They use the shipped defaults of
[api] (ops/tutti.toml): max_connections 128, max_connections_per_client 16,
max_event_streams 32, request_timeout_s 5.
"""

import http.client
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import LossyRtpCaller  # noqa: E402
from tutti_harness import TuttidTestCase  # noqa: E402

# Generous, so that a loaded machine cannot fail it; the old server hung
# for as long as the slow clients stayed (24 s and more).
PROMPT_S = 2.0
REQUEST_TIMEOUT_S = 5  # [api] request_timeout_s, the default
PER_CLIENT = 16        # [api] max_connections_per_client, the default
MAX_STREAMS = 32       # [api] max_event_streams, the default


def connect(port, source):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                    source_address=(source, 0))
    return sock


def wait_closed(sock, timeout):
    """Seconds until the server closed sock (EOF or reset), reading and
    discarding whatever it sends; None if it is still open after timeout."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < timeout:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


def read_until(sock, marker, timeout):
    """What sock received until marker (bytes) appeared; fails after timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{marker!r} not received within {timeout}s: {data[-300:]!r}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError(f"closed before {marker!r}: {data[-300:]!r}")
        data += chunk
    return data


class Trickler:
    """Slow clients: each sends a little of its request and then one byte
    every 0.5 s, so that no per-read timeout ever fires."""

    def __init__(self, socks, first_bytes):
        self.socks = socks
        self.stop = threading.Event()
        for sock in socks:
            try:
                sock.sendall(first_bytes)
            except OSError:
                pass
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.5):
            for sock in self.socks:
                try:
                    sock.send(b"X")
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for sock in self.socks:
            sock.close()


class ApiLimitsTest(TuttidTestCase):
    def timed(self, method, path, body=None):
        """One request from 127.0.0.1 that must be answered within PROMPT_S."""
        start = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.server.api_port,
                                                timeout=PROMPT_S)
        try:
            connection.request(method, path, body=body,
                               headers={"Authorization": f"Bearer {self.server.api_token}"})
            response = connection.getresponse()
            text = response.read().decode()
        except (socket.timeout, TimeoutError) as error:
            self.fail(f"{method} {path} not answered within {PROMPT_S}s: {error}")
        finally:
            connection.close()
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, PROMPT_S, f"{method} {path}")
        return response.status, text

    def open_stream(self, source):
        sock = connect(self.server.api_port, source)
        sock.sendall(b"GET /v1/events HTTP/1.1\r\nHost: tutti\r\n"
                     b"Authorization: Bearer " + self.server.api_token.encode() + b"\r\n\r\n")
        return sock

    def test_slow_clients_and_event_streams_do_not_block_the_api(self):
        caller = LossyRtpCaller(self.server.port, tone_hz=500, loss=0.0)
        caller.invite()
        self.server.wait_until("the caller in room 1000", lambda: self.server.participants("1000"))
        pid = next(iter(self.server.participants("1000").values()))["id"]

        # 16 slow clients from 4 addresses: some send nothing, some trickle
        # their headers, some send headers and then trickle a promised body.
        silent = [connect(self.server.api_port, f"127.0.0.{10 + i % 4}") for i in range(6)]
        headers = [connect(self.server.api_port, f"127.0.0.{10 + i % 4}") for i in range(5)]
        bodies = [connect(self.server.api_port, f"127.0.0.{10 + i % 4}") for i in range(5)]
        trickle_headers = Trickler(headers, b"GET /v1/rooms HTTP/1.1\r\nHost: tutti\r\nX-Slow: ")
        trickle_bodies = Trickler(
            bodies, b"POST /v1/rooms HTTP/1.1\r\nHost: tutti\r\nContent-Length: 60000\r\n"
                    b"Content-Type: application/json\r\n\r\n{")
        # As many event streams as allowed, from 4 other addresses: none may
        # take what a request needs.
        streams = [self.open_stream(f"127.0.0.{20 + i % 4}") for i in range(MAX_STREAMS)]
        try:
            status, metrics = self.timed("GET", "/metrics")
            self.assertEqual(status, 200)
            status, rooms = self.timed("GET", "/v1/rooms")
            self.assertEqual(status, 200)
            self.assertIn('"1000"', rooms)
            status, muted = self.timed("POST", f"/v1/rooms/1000/participants/{pid}/mute")
            self.assertEqual(status, 200, muted)
            self.assertIn('"muted":true', muted)

            # Every stream is live: each has its headers and the mute.
            for sock in streams:
                head = read_until(sock, b"\r\n\r\n", 5)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                self.assertIn(b"text/event-stream", head)
                if b"event: muted" not in head:
                    read_until(sock, b"event: muted", 5)
            # One more stream than allowed is refused, and says why.
            extra = self.open_stream("127.0.0.24")
            refused = read_until(extra, b"}}", 5)
            self.assertTrue(refused.startswith(b"HTTP/1.1 503"), refused)
            self.assertIn(b"max_event_streams", refused)
            extra.close()
            self.assertGreaterEqual(
                self.server.metric("tutti_api_refused_total", 'limit="max_event_streams"'), 1)
            self.assertEqual(self.server.metric("tutti_event_subscribers"), MAX_STREAMS)
        finally:
            trickle_headers.close()
            trickle_bodies.close()
            for sock in silent + streams:
                sock.close()

        # Nothing is left once they have gone: the only connection is the
        # one asking, and no stream is subscribed.
        self.server.wait_until(
            "every slow client and stream gone",
            lambda: (self.server.metric("tutti_api_connections") == 1
                     and self.server.metric("tutti_event_subscribers") == 0))
        self.assertEqual(caller.bye(), 200)
        caller.close()

    def test_a_request_not_complete_in_time_is_closed(self):
        trickling = connect(self.server.api_port, "127.0.0.30")
        trickler = Trickler([trickling], b"GET /v1/rooms HTTP/1.1\r\nHost: tutti\r\nX-Slow: ")
        silent = connect(self.server.api_port, "127.0.0.31")
        try:
            # The deadline counts from the connection, whatever trickles in.
            closed_after = wait_closed(trickling, REQUEST_TIMEOUT_S + 3)
            self.assertIsNotNone(closed_after, "a request trickling in was never closed")
            self.assertGreater(closed_after, REQUEST_TIMEOUT_S - 1.5)
            self.assertIsNotNone(wait_closed(silent, 3), "a silent connection was never closed")
        finally:
            trickler.close()
            silent.close()
        self.assertGreaterEqual(
            self.server.metric("tutti_api_refused_total", 'limit="request_timeout_s"'), 2)
        # A request sent in time on a connection of its own is answered.
        self.assertEqual(self.timed("GET", "/v1/rooms")[0], 200)

    def test_a_clients_connections_beyond_its_limit_are_closed(self):
        held = []
        try:
            # Its limit of connections, each answered and kept alive...
            for _ in range(PER_CLIENT):
                sock = connect(self.server.api_port, "127.0.0.40")
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: tutti\r\n\r\n")
                held.append(sock)
            for sock in held:
                self.assertTrue(read_until(sock, b'{"status":"ok"}', 5).startswith(b"HTTP/1.1 200"))
            # ...and one more is closed without an answer,
            extra = connect(self.server.api_port, "127.0.0.40")
            try:
                extra.sendall(b"GET /v1/health HTTP/1.1\r\nHost: tutti\r\n\r\n")
            except OSError:
                pass
            self.assertIsNotNone(wait_closed(extra, PROMPT_S),
                                 "a connection beyond the per-client limit was served")
            extra.close()
            # while another address is served.
            self.assertEqual(self.timed("GET", "/v1/health")[0], 200)
        finally:
            for sock in held:
                sock.close()
        self.assertGreaterEqual(
            self.server.metric("tutti_api_refused_total", 'limit="max_connections_per_client"'), 1)
        self.server.wait_until("the held connections gone",
                               lambda: self.server.metric("tutti_api_connections") == 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
