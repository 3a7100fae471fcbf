"""The operator console's files and the API it adds, over real HTTP against a
real tuttid (the browser's view is tests/console/console_test.py): / leads to
/console/; the files come from the binary with their content types, an ETag
that a cache can revalidate (304), and headers that keep the page from being
framed, sniffed or made to run script other than its own; nothing in them
runs inline or writes server data as HTML; they need no token while
everything under /v1 does. GET /v1/workers shows each media worker's load and
the rooms and participants it mixes, on the worker the room's conference is
on.
"""

import http.client
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from media_rules_test import Caller  # noqa: E402
from tutti_harness import CallersTestCase, Tuttid, require_tuttid  # noqa: E402

FILES = {
    "/console/": "text/html; charset=utf-8",
    "/console/console.js": "text/javascript; charset=utf-8",
    "/console/console.css": "text/css; charset=utf-8",
    "/console/icon.svg": "image/svg+xml",
}

# Two workers: a room is placed on the one with the most room when its
# first caller joins (issue 20); both idle, the lowest index.
TWO_WORKERS = "workers = 2"


class ConsoleFilesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_tuttid()
        cls.server = Tuttid()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"tuttid exited {code}:\n" + cls.server.log_text()[-3000:])

    def fetch(self, path, method="GET", headers=None):
        """(status, headers as a dict of lower-case names, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.api_port, timeout=5)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return (response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def test_the_root_and_console_lead_to_the_console(self):
        for path in ("/", "/console"):
            status, headers, _ = self.fetch(path)
            self.assertEqual((status, headers.get("location")), (302, "/console/"), path)

    def test_every_file_is_served_without_a_token_with_its_type_and_guards(self):
        for path, content_type in FILES.items():
            status, headers, body = self.fetch(path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["content-type"], content_type, path)
            self.assertTrue(body, path)
            self.assertRegex(headers["etag"], r'^"[0-9a-f]{32}"$', path)
            self.assertEqual(headers["cache-control"], "no-cache", path)
            self.assertEqual(headers["x-frame-options"], "DENY", path)
            self.assertEqual(headers["x-content-type-options"], "nosniff", path)
            self.assertEqual(headers["referrer-policy"], "no-referrer", path)
            policy = headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            self.assertEqual(directives["default-src"], "'none'", policy)
            self.assertEqual(directives["script-src"], "'self'", policy)
            self.assertEqual(directives["style-src"], "'self'", policy)
            self.assertEqual(directives["frame-ancestors"], "'none'", policy)
            self.assertNotIn("unsafe", policy)

    def test_a_cached_file_is_revalidated_with_304(self):
        _, headers, body = self.fetch("/console/console.js")
        etag = headers["etag"]
        for asked in (etag, "W/" + etag, f'"stale", {etag}', "*"):
            status, again, rest = self.fetch("/console/console.js", headers={"If-None-Match": asked})
            self.assertEqual((status, rest), (304, b""), asked)
            self.assertEqual(again["etag"], etag)
        status, _, fresh = self.fetch("/console/console.js", headers={"If-None-Match": '"stale"'})
        self.assertEqual((status, fresh), (200, body))
        # Each file has its own ETag.
        etags = {self.fetch(path)[1]["etag"] for path in FILES}
        self.assertEqual(len(etags), len(FILES))

    def test_head_and_other_methods(self):
        status, headers, body = self.fetch("/console/", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["content-type"], FILES["/console/"])
        status, headers, _ = self.fetch("/console/", method="POST")
        self.assertEqual(status, 405)
        self.assertIn("GET", headers["allow"])

    def test_only_the_consoles_files_are_there(self):
        for path in ("/console/nope.js", "/console/..%2f..%2fetc%2fpasswd", "/console/../v1/rooms",
                     "/console/%2e%2e", "/console/index.html/x", "/index.html"):
            status, _, body = self.fetch(path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"root:", body)

    def test_the_page_runs_no_inline_script_and_writes_no_html(self):
        html = self.fetch("/console/")[2].decode()
        for script in re.findall(r"<script\b[^>]*>", html):
            self.assertRegex(script, r'\bsrc="console\.js"', "an inline script: the CSP refuses it")
        self.assertIsNone(re.search(r"\son[a-z]+\s*=", html), "an inline event handler")
        self.assertIsNone(re.search(r"\sstyle\s*=", html), "an inline style")
        js = self.fetch("/console/console.js")[2].decode()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "localStorage"):
            self.assertNotIn(sink, js)

    def test_the_api_still_needs_the_token(self):
        for path in ("/v1/workers", "/v1/rooms", "/v1/events"):
            status, _, _ = self.fetch(path)
            self.assertEqual(status, 401, path)


class WorkersApiTest(CallersTestCase):

    caller_class = Caller

    def test_each_worker_shows_its_load_rooms_and_participants(self):
        self.start(media_extra=TWO_WORKERS)
        status, body = self.server.api("GET", "/v1/workers")
        self.assertEqual(status, 200)
        self.assertEqual(body["tick_ms"], 20)
        self.assertEqual([w["index"] for w in body["workers"]], [0, 1])
        for worker in body["workers"]:
            self.assertEqual((worker["rooms"], worker["participants"]), (0, 0))

        self.dial("1000", "alice")
        self.dial("1000", "bob")
        workers = self.server.wait_until(
            "two participants on a worker",
            lambda: [w for w in self.server.api("GET", "/v1/workers")[1]["workers"]
                     if w["participants"] == 2])
        self.assertEqual(len(workers), 1)
        worker = workers[0]
        # Placed by load (issue 20): both idle, the lowest index takes it.
        self.assertEqual((worker["index"], worker["rooms"]), (0, 1),
                         "room 1000 goes to the idle worker with the lowest index")
        # The mixing worker has ticked for its room; an idle worker may not
        # have ticked yet when read (a worker with nothing to mix can sit out).
        body = self.server.wait_until(
            "the mixing worker's ticks counted",
            lambda: (lambda b: b if b["workers"][0]["ticks"] > 0 else None)(
                self.server.api("GET", "/v1/workers")[1]))
        idle = body["workers"][1]
        self.assertEqual((idle["rooms"], idle["participants"]), (0, 0))
        for w in body["workers"]:
            self.assertGreaterEqual(w["ticks"], 0)
            self.assertGreaterEqual(w["late_ticks"], 0)
            self.assertGreaterEqual(w["tick_ms"], 0)
            self.assertAlmostEqual(w["tick_load"], w["tick_ms"] / 20, delta=0.001)
            self.assertGreaterEqual(w["load"], 0)  # measured busy share of the core
            self.assertLessEqual(w["load"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
