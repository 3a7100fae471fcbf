"""Messages and files through the control API of a real tuttid (issue 17):
a message posted to a room is kept, listed page by page and published as
the SSE `message` event; refusals (404, 413, 415, 400) are what the README
says; a room's stored files are listed and download with identical bytes,
also after a restart; /metrics has the messaging, file and MSRP families;
an MSRP port already taken or an unusable files folder stops the start
with a clear error."""

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tutti_harness import (EventStream, Tuttid, check_clean_exit, free_port,  # noqa: E402
                           require_tuttid)

# Small enough that a test can go past it.
MESSAGING = """
[messaging]
max_message_bytes = 100
"""


def store_file(files_dir, room, data, description):
    """Puts `data` in the files folder as the file store keeps a finished
    file: <room>/<sha-256> and its .json beside it."""
    digest = hashlib.sha256(data).hexdigest()
    folder = os.path.join(files_dir, room)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, digest), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, digest + ".json"), "w") as f:
        json.dump({"size": len(data), "sha1": hashlib.sha1(data).hexdigest(),
                   "stored_unix_ms": int(time.time() * 1000), **description}, f)
    return digest


class MessagesApiTest(unittest.TestCase):
    def setUp(self):
        require_tuttid()
        self.server = Tuttid(extra_config=MESSAGING)

    def tearDown(self):
        check_clean_exit(self, self.server)

    def call(self, method, path, body=None, raw=None):
        return self.server.api(method, path, body, raw=raw)

    def test_a_posted_message_is_kept_listed_and_published(self):
        events = EventStream(self.server, until="message")
        status, first = self.call("POST", "/v1/rooms/1000/messages", {"body": "Back in 5"})
        self.assertEqual(status, 201, first)
        self.assertEqual((first["room"], first["id"], first["body"], first["content_type"],
                          first["via"], first["size"]),
                         ("1000", 1, "Back in 5", "text/plain", "api", 9))
        events.join(10)
        kinds = events.kinds()
        self.assertIn("message", kinds, f"no message event in {kinds}")
        published = dict(events.events)["message"]
        self.assertEqual((published["room"], published["id"], published["body"], published["via"]),
                         ("1000", 1, "Back in 5", "api"))

        status, second = self.call("POST", "/v1/rooms/1000/messages",
                                   {"body": "Gr\u00fc\u00dfe", "from": "Front desk"})
        self.assertEqual(status, 201, second)
        self.assertEqual((second["id"], second["name"]), (2, "Front desk"))

        status, listed = self.call("GET", "/v1/rooms/1000/messages")
        self.assertEqual(status, 200)
        self.assertEqual([(m["id"], m["body"]) for m in listed["messages"]],
                         [(1, "Back in 5"), (2, "Gr\u00fc\u00dfe")])
        status, page = self.call("GET", "/v1/rooms/1000/messages?after=1")
        self.assertEqual([m["id"] for m in page["messages"]], [2])
        status, page = self.call("GET", "/v1/rooms/1000/messages?limit=1")
        self.assertEqual([m["id"] for m in page["messages"]], [1])
        # Another room keeps its own.
        status, other = self.call("GET", "/v1/rooms/pcmu-only/messages")
        self.assertEqual((status, other["messages"]), (200, []))
        self.assertGreaterEqual(self.server.metric("tutti_messages_posted_total"), 2)

    def test_refusals_say_why(self):
        for method, path, body in (("GET", "/v1/rooms/nope/messages", None),
                                   ("POST", "/v1/rooms/nope/messages", {"body": "x"}),
                                   ("GET", "/v1/rooms/nope/files", None),
                                   ("GET", "/v1/rooms/nope/files/" + "0" * 64, None),
                                   ("GET", "/v1/rooms/1000/files/" + "0" * 64, None)):
            status, answer = self.call(method, path, body)
            self.assertEqual(status, 404, f"{method} {path}: {answer}")
        # [messaging] max_message_bytes = 100.
        status, answer = self.call("POST", "/v1/rooms/1000/messages", {"body": "x" * 101})
        self.assertEqual(status, 413, answer)
        status, answer = self.call("POST", "/v1/rooms/1000/messages",
                                   {"body": "{}", "content_type": "application/x-unknown"})
        self.assertEqual(status, 415, answer)
        for body in ({}, {"body": 5}, {"body": "x", "colour": "red"},
                     {"body": "x", "from": "a\r\nb"}):
            status, answer = self.call("POST", "/v1/rooms/1000/messages", body)
            self.assertEqual(status, 400, f"{body}: {answer}")
        self.assertEqual(self.call("POST", "/v1/rooms/1000/messages", raw=b"not json")[0], 400)
        for query in ("limit=0", "limit=1001", "after=-1", "after=x", "limit="):
            status, answer = self.call("GET", f"/v1/rooms/1000/messages?{query}")
            self.assertEqual(status, 400, f"{query}: {answer}")
        # Nothing refused was kept.
        self.assertEqual(self.call("GET", "/v1/rooms/1000/messages")[1]["messages"], [])

    def test_metrics_have_the_messaging_file_and_msrp_families(self):
        status, text = self.call("GET", "/metrics")
        self.assertEqual(status, 200)
        for family, kind in (("tutti_messages_received_total", "counter"),
                             ("tutti_messages_deliveries_total", "counter"),
                             ("tutti_messages_refused_total", "counter"),
                             ("tutti_files_offers_total", "counter"),
                             ("tutti_files_sends_total", "counter"),
                             ("tutti_msrp_connections", "gauge"),
                             ("tutti_msrp_connections_total", "counter"),
                             ("tutti_msrp_sessions", "gauge"),
                             ("tutti_msrp_bytes_total", "counter"),
                             ("tutti_msrp_malformed_total", "counter"),
                             ("tutti_msrp_slow_dropped_total", "counter"),
                             ("tutti_msrp_files_total", "counter")):
            self.assertTrue(f"# TYPE {family} {kind}\n" in text and f"# HELP {family} " in text,
                            f"/metrics has no {kind} {family} with HELP and TYPE")
        self.assertIn('tutti_messages_refused_total{reason="stranger"} 0', text)
        # The MSRP port is open (and says nothing to a stranger who sends no MSRP).
        with socket.create_connection(("127.0.0.1", self.server.msrp_port), timeout=5):
            pass
        self.server.wait_for_metric("tutti_msrp_connections_total", 'outcome="accepted"')


class StoredFilesApiTest(unittest.TestCase):
    """Files stored in [files] dir before tuttid starts (as a restart finds
    them) are listed and served byte for byte; nothing else is."""

    def setUp(self):
        require_tuttid()
        self.server = None

    def tearDown(self):
        if self.server is not None:
            check_clean_exit(self, self.server)

    def download(self, path):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.server.api_port}{path}",
            headers={"Authorization": f"Bearer {self.server.api_token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()

    def test_stored_files_are_listed_and_download_identical(self):
        first = Tuttid()
        status, listed = first.api("GET", "/v1/rooms/1000/files")
        self.assertEqual((status, listed), (200, {"files": []}))
        files_dir = first.files_dir
        self.assertEqual(first.stop(), 0)

        data = os.urandom(3 * 1024 * 1024 + 17)
        file_id = store_file(files_dir, "1000", data,
                             {"name": "../Gr\u00fc\u00dfe \"q3\".pdf", "type": "application/pdf",
                              "sender": "sip:alice@example.com"})
        # A transfer cut short, and a file without its description: never listed.
        with open(os.path.join(files_dir, "1000", ".partial-cut"), "wb") as f:
            f.write(data[:1000])
        lone = hashlib.sha256(b"lone").hexdigest()
        with open(os.path.join(files_dir, "1000", lone), "wb") as f:
            f.write(b"lone")

        self.server = Tuttid(files_dir=files_dir)
        status, listed = self.server.api("GET", "/v1/rooms/1000/files")
        self.assertEqual(status, 200)
        self.assertEqual([(f["id"], f["name"], f["size"], f["sender"], f["url"])
                          for f in listed["files"]],
                         [(file_id, "../Gr\u00fc\u00dfe \"q3\".pdf", len(data),
                           "sip:alice@example.com", f"/v1/rooms/1000/files/{file_id}")])
        self.assertFalse(os.path.exists(os.path.join(files_dir, "1000", ".partial-cut")),
                         "a partial file was left at start")

        status, headers, body = self.download(f"/v1/rooms/1000/files/{file_id}")
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), file_id)
        self.assertEqual(body, data)
        self.assertEqual(headers["Content-Type"], "application/pdf")
        self.assertEqual(headers["Content-Disposition"],
                         "attachment; filename=\"_Gr_e_q3_.pdf\"; "
                         "filename*=UTF-8''..%2FGr%C3%BC%C3%9Fe%20%22q3%22.pdf")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        # Another room's path, or an id that is a path, gets nothing.
        for path in (f"/v1/rooms/pcmu-only/files/{file_id}", f"/v1/rooms/1000/files/{lone}",
                     "/v1/rooms/1000/files/..%2F1000%2F" + file_id):
            with self.assertRaises(urllib.error.HTTPError) as refused:
                self.download(path)
            self.assertEqual(refused.exception.code, 404, path)

        # Deleting the room deletes its files: a room made again starts empty.
        self.assertEqual(self.server.api("DELETE", "/v1/rooms/1000")[0], 204)
        self.assertFalse(os.path.exists(os.path.join(files_dir, "1000", file_id)))
        self.assertEqual(self.server.api("POST", "/v1/rooms", {"name": "1000"})[0], 201)
        self.assertEqual(self.server.api("GET", "/v1/rooms/1000/files")[1], {"files": []})


class MessagingStartTest(unittest.TestCase):
    """What stops the start, said plainly."""

    def setUp(self):
        require_tuttid()

    def refused(self, **kwargs):
        with self.assertRaises(AssertionError) as caught:
            server = Tuttid(**kwargs)
            server.stop()
        return str(caught.exception)

    def test_msrp_port_in_use_stops_the_start(self):
        port = free_port(socket.SOCK_STREAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            log = self.refused(msrp_port=port)
        self.assertIn("cannot start MSRP", log)
        self.assertIn(f"127.0.0.1:{port}", log)

    def test_unusable_files_folder_stops_the_start(self):
        folder = tempfile.mkdtemp(prefix="tutti-it-files-")
        blocker = os.path.join(folder, "blocker")
        with open(blocker, "w") as f:
            f.write("a file where a folder should be")
        try:
            log = self.refused(files_dir=os.path.join(blocker, "files"))
        finally:
            shutil.rmtree(folder)
        self.assertIn("cannot use the files folder", log)

    def test_messaging_off_opens_no_msrp_port(self):
        server = Tuttid(extra_config="[messaging]\nenabled = false\n")
        try:
            self.assertIn("msrp=off", server.log_text())
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.msrp_port), timeout=2).close()
            status, text = server.api("GET", "/metrics")
            self.assertNotIn("tutti_msrp_", text)
            self.assertIn("tutti_messages_received_total", text)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
