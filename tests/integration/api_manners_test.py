"""The control API's manners over raw HTTP (issue 15): requests sent byte by
byte as curl sends them (no Content-Length when there is no body), every
error as JSON, one participant, and the recordings listed, downloaded
(decoded with opusdec, which ops/setup.sh installs) and deleted, names
checked against path traversal."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from audio_harness import LossyRtpCaller, dominant_tones, read_wav  # noqa: E402
from tutti_harness import TuttidTestCase  # noqa: E402

# Well under the server's request_timeout_s (5): a server that waits for a
# body that never comes fails here instead of answering late.
ANSWER_TIMEOUT = 2.5


class RawResponse:
    def __init__(self, data):
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def json(self):
        return json.loads(self.body.decode())


class ApiMannersTest(TuttidTestCase):
    def raw(self, method, path, headers=(), body=None, token=True):
        """One request as written, on a connection of its own that the
        server closes after its answer; the whole answer."""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
        if token:
            lines.append(f"Authorization: Bearer {self.server.api_token}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        with socket.create_connection(("127.0.0.1", self.server.api_port)) as sock:
            sock.settimeout(ANSWER_TIMEOUT)
            sock.sendall(request)
            data = b""
            try:
                while chunk := sock.recv(65536):
                    data += chunk
            except socket.timeout:
                self.fail(f"{method} {path}: no complete answer within {ANSWER_TIMEOUT} s: {data!r}")
        self.assertTrue(data, f"{method} {path}: connection closed without an answer")
        return RawResponse(data)

    def assert_json_error(self, response, status, words=""):
        self.assertEqual(response.status, status, response.body[:300])
        self.assertEqual(response.headers.get("content-type"), "application/json", response.headers)
        error = response.json()["error"]
        self.assertEqual(error["code"], status)
        self.assertIn(words, error["message"])
        return error

    def join(self, tone_hz=500):
        caller = LossyRtpCaller(self.server.port, tone_hz=tone_hz, loss=0.0)
        self.addCleanup(caller.close)
        caller.invite()
        self.server.wait_until("the caller in room 1000",
                               lambda: len(self.server.participants("1000")) == 1)
        return caller, next(iter(self.server.participants("1000").values()))["id"]

    def test_requests_without_a_body_work_where_none_is_needed(self):
        caller, pid = self.join()
        # As curl -XPOST sends it: neither Content-Length nor Transfer-Encoding.
        muted = self.raw("POST", f"/v1/rooms/1000/participants/{pid}/mute")
        self.assertEqual(muted.status, 200, muted.body)
        self.assertTrue(muted.json()["muted"])
        unmuted = self.raw("POST", f"/v1/rooms/1000/participants/{pid}/unmute",
                           ["Content-Type: application/json"])
        self.assertEqual((unmuted.status, unmuted.json()["muted"]), (200, False))
        # HTTP/1.0 has no chunked bodies: no Content-Length is no body there too.
        with socket.create_connection(("127.0.0.1", self.server.api_port)) as sock:
            sock.settimeout(ANSWER_TIMEOUT)
            sock.sendall(f"POST /v1/rooms/1000/participants/{pid}/mute HTTP/1.0\r\n"
                         f"Authorization: Bearer {self.server.api_token}\r\n\r\n".encode())
            self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 200 "))
        started = self.raw("POST", "/v1/rooms/1000/recording")  # the default format
        self.assertEqual(started.status, 201, started.body)
        self.assertEqual(self.raw("DELETE", "/v1/rooms/1000/recording").status, 202)
        self.assertEqual(self.raw("DELETE", f"/v1/rooms/1000/participants/{pid}").status, 204)

    def test_a_needed_body_that_is_missing_is_400_at_once(self):
        caller, pid = self.join()
        for method, path in (("POST", "/v1/rooms"), ("PATCH", "/v1/rooms/1000"),
                             ("PUT", f"/v1/rooms/1000/participants/{pid}/volume"),
                             ("POST", "/v1/rooms/1000/play"),
                             ("POST", f"/v1/rooms/1000/participants/{pid}/play")):
            with self.subTest(method=method, path=path):
                self.assert_json_error(self.raw(method, path), 400, "body")
        self.assertEqual(caller.bye(), 200)

    def test_every_error_is_json(self):
        error = self.assert_json_error(self.raw("GET", "/v1/nothing"), 404, "/v1/nothing")
        self.assertEqual(error["message"], "no endpoint GET /v1/nothing")
        self.assert_json_error(self.raw("GET", "/v1/nothing", token=False), 404)
        self.assert_json_error(self.raw("GET", "/v1/rooms/nope"), 404, "nope")

        # A known path with another method: 405 and what it takes.
        for method, path, allowed in (
                ("PUT", "/v1/rooms", "GET, HEAD, POST"),
                ("POST", "/v1/rooms/1000", "DELETE, GET, HEAD, PATCH"),
                ("GET", "/v1/rooms/1000/participants/1/mute", "POST"),
                ("DELETE", "/v1/health", "GET, HEAD"),
                ("BREW", "/v1/rooms/1000/recordings", "GET, HEAD")):
            with self.subTest(method=method, path=path):
                got = self.raw(method, path)
                self.assert_json_error(got, 405, method)
                self.assertEqual(got.headers.get("allow"), allowed)

        unauthorized = self.raw("GET", "/v1/rooms", token=False)
        self.assert_json_error(unauthorized, 401, "token")
        self.assertEqual(unauthorized.headers.get("www-authenticate"), 'Bearer realm="tutti"')
        wrong = self.raw("GET", "/v1/rooms", ["Authorization: Bearer wrong"], token=False)
        self.assert_json_error(wrong, 401)

        self.assert_json_error(self.raw("POST", "/v1/rooms", ["Content-Length: 100000"]), 413)
        self.assert_json_error(self.raw("POST", "/v1/rooms", ["Content-Length: 9"],
                                        b"{not json"), 400, "JSON")
        self.assert_json_error(self.raw("PATCH", "/v1/rooms/1000", ["Content-Length: 2"], b"[]"),
                               400, "JSON")
        # A path that is not UTF-8 is quoted in the 404, not the end of tuttid.
        for path in ("/v1/%FF", "/v1/rooms/%FF/participants"):
            with self.subTest(path=path):
                self.assert_json_error(self.raw("GET", path), 404, "\ufffd")
        self.assertEqual(self.raw("GET", "/v1/health", token=False).status, 200)

    def test_one_participant(self):
        caller, pid = self.join()
        one = self.raw("GET", f"/v1/rooms/1000/participants/{pid}")
        self.assertEqual(one.status, 200, one.body)
        self.assertEqual(one.headers["content-type"], "application/json")
        shown = one.json()
        listed = self.server.participants("1000")["sip:lossy@127.0.0.1"]
        self.assertEqual(set(shown), set(listed))
        for key in ("id", "call_id", "room", "from", "codec", "muted", "moderator"):
            self.assertEqual(shown[key], listed[key], key)
        self.assert_json_error(self.raw("GET", f"/v1/rooms/1000/participants/{pid + 1}"), 404,
                               f"participant {pid + 1}")
        self.assert_json_error(self.raw("GET", f"/v1/rooms/pcmu-only/participants/{pid}"), 404,
                               "pcmu-only")
        self.assert_json_error(self.raw("GET", f"/v1/rooms/nope/participants/{pid}"), 404, "nope")
        self.assert_json_error(self.raw("GET", "/v1/rooms/1000/participants/x"), 404)
        self.assertEqual(caller.bye(), 200)

    def test_recordings_listed_downloaded_and_deleted(self):
        opusdec = shutil.which("opusdec")
        self.assertIsNotNone(opusdec, "opusdec missing: ops/setup.sh installs opus-tools")
        caller, _ = self.join(tone_hz=500)
        streaming = threading.Thread(target=caller.stream, args=(4.0,))
        streaming.start()
        status, started = self.server.api("POST", "/v1/rooms/1000/recording", {"format": "ogg"})
        self.assertEqual(status, 201, started)
        path = started["recording"]
        self.addCleanup(streaming.join)
        name = os.path.basename(path)
        files = f"/v1/rooms/1000/recordings/{name}"

        # Still being written: listed as such, neither served nor deleted.
        status, listed = self.server.api("GET", "/v1/rooms/1000/recordings")
        self.assertEqual(status, 200)
        self.assertEqual([(r["name"], r["room"], r["format"], r["recording"])
                          for r in listed["recordings"]], [(name, "1000", "ogg", True)])
        self.assert_json_error(self.raw("GET", files), 409, "still being recorded")
        self.assert_json_error(self.raw("DELETE", files), 409, "still being recorded")

        self.server.wait_until(f"two seconds in {path}",
                               lambda: (self.server.api("GET", "/v1/rooms/1000/recordings")[1]
                                        ["recordings"][0]["seconds"] or 0) >= 2.0)
        self.assertEqual(self.server.api("DELETE", "/v1/rooms/1000/recording")[0], 202)
        self.server.wait_for_log(r'msg="recording stopped"')
        streaming.join()
        self.assertEqual(caller.bye(), 200)
        status, listed = self.server.api("GET", "/v1/rooms/1000/recordings")
        [entry] = listed["recordings"]
        self.assertFalse(entry["recording"])
        self.assertEqual(entry["bytes"], os.path.getsize(path))
        self.assertRegex(entry["started"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreaterEqual(entry["seconds"], 2.0)
        self.assertEqual(self.server.api("GET", "/v1/recordings")[1]["recordings"], [entry])

        # Downloaded, it is the file; decoded, it is as long as listed and
        # holds the caller's tone.
        download = self.raw("GET", files)
        self.assertEqual(download.status, 200)
        self.assertEqual(download.headers["content-type"], "audio/ogg")
        self.assertEqual(int(download.headers["content-length"]), entry["bytes"])
        with open(path, "rb") as f:
            self.assertTrue(download.body == f.read(), "the download is not the file")
        scratch = tempfile.mkdtemp(prefix="tutti-rec-")
        self.addCleanup(shutil.rmtree, scratch)
        with open(os.path.join(scratch, name), "wb") as f:
            f.write(download.body)
        wav = os.path.join(scratch, "decoded.wav")
        subprocess.run([opusdec, "--quiet", os.path.join(scratch, name), wav], check=True,
                       timeout=30)
        rate, samples = read_wav(wav)
        self.assertEqual(rate, 48000)
        self.assertAlmostEqual(len(samples) / rate, entry["seconds"], delta=0.021)
        self.assertGreater(dominant_tones(samples[4800:48000], rate, [500])[500], 0.5)
        head = self.raw("HEAD", files)
        self.assertEqual((head.status, len(head.body)), (200, 0))

        self.attack(name)

        self.assertEqual(self.raw("DELETE", files).status, 204)
        self.assertFalse(os.path.exists(path))
        self.assert_json_error(self.raw("DELETE", files), 404, name)
        self.assert_json_error(self.raw("GET", files), 404, name)
        self.assertEqual(self.server.api("GET", "/v1/rooms/1000/recordings"),
                         (200, {"recordings": []}))
        self.assert_json_error(self.raw("GET", "/v1/rooms/nope/recordings"), 404, "nope")

    def attack(self, name):
        """Names that would reach other files: the config (with the API
        token) beside the recordings directory, another room's file, a link
        planted in the directory. None is served, listed or deleted."""
        recordings = os.path.join(self.server.dir, "recordings")
        config = self.server.config_path
        os.symlink(config, os.path.join(recordings, "1000-20200101T000000Z.ogg"))
        shutil.copy(os.path.join(recordings, name),
                    os.path.join(recordings, "pcmu-only-20200101T000000Z.ogg"))
        for bad in ("..%2Ftutti.toml", "..%2F..%2F..%2Fetc%2Fpasswd", "%2E%2E", "..",
                    "tutti.toml", f"..%2Frecordings%2F{name}", "1000-20200101T000000Z.ogg",
                    "pcmu-only-20200101T000000Z.ogg", f"{name}%00.txt", "%2Fetc%2Fpasswd"):
            for method in ("GET", "DELETE"):
                with self.subTest(name=bad, method=method):
                    got = self.raw(method, f"/v1/rooms/1000/recordings/{bad}")
                    self.assertEqual(got.status, 404, got.body[:300])
                    self.assertNotIn(self.server.api_token.encode(), got.body)
        self.assertTrue(os.path.exists(config))
        self.assertTrue(os.path.islink(os.path.join(recordings, "1000-20200101T000000Z.ogg")))
        listed = self.server.api("GET", "/v1/rooms/1000/recordings")[1]["recordings"]
        self.assertEqual([r["name"] for r in listed], [name])
        # The other room's file is its own.
        other = "/v1/rooms/pcmu-only/recordings/pcmu-only-20200101T000000Z.ogg"
        self.assertEqual(self.raw("GET", other).status, 200)
        self.assertEqual(self.raw("DELETE", other).status, 204)


if __name__ == "__main__":
    unittest.main(verbosity=2)
