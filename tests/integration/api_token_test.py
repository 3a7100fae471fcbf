"""The control API's token (issue 13, defect 10): the shipped example token
`change-this-token` used to start silently on any address. tuttid now
refuses a well-known or short token when the API listens beyond loopback,
warns about it on loopback, and reads a generated token from
[api] token_file (ops/make_api_token.sh, which ops/setup.sh runs)."""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from tutti_harness import TUTTID, free_port, require_tuttid, rtp_port_range, wait_until

MAKE_TOKEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ops",
                          "make_api_token.sh")


class ApiTokenTest(unittest.TestCase):
    def setUp(self):
        require_tuttid()
        self.dir = tempfile.mkdtemp(prefix="tutti-token-")
        self.api_port = free_port()
        self.procs = []
        self.logs = []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                self.assertEqual(proc.wait(timeout=15), 0)
        for log in self.logs:
            log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()

    def config(self, api_lines):
        rtp, rtp_last = rtp_port_range()
        path = os.path.join(self.dir, "tutti.toml")
        with open(path, "w") as f:
            f.write(f"""
[sip]
listen = "127.0.0.1"
port = {free_port()}
[media]
address = "127.0.0.1"
rtp_port_min = {rtp}
rtp_port_max = {rtp_last}
[records]
path = ""
[msrp]
port = {free_port()}
[files]
dir = "{self.dir}/files"
[api]
enabled = true
port = {self.api_port}
{api_lines}
[[room]]
name = "1000"
""")
        return path

    def refused(self, api_lines, *flags):
        """tuttid's exit code and stderr for a config it must refuse."""
        try:
            result = subprocess.run([TUTTID, f"--config={self.config(api_lines)}", *flags],
                                    capture_output=True, text=True, timeout=10, cwd=self.dir)
        except subprocess.TimeoutExpired as running:
            self.fail(f"tuttid started instead of refusing: {running.stderr}")
        return result.returncode, result.stderr

    def start(self, api_lines):
        """A running tuttid and its log file's path."""
        log_path = os.path.join(self.dir, "tuttid.log")
        log = open(log_path, "w")
        self.logs.append(log)
        proc = subprocess.Popen([TUTTID, f"--config={self.config(api_lines)}"], stdout=log,
                                stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs.append(proc)

        def started():
            if proc.poll() is not None:
                raise AssertionError(f"tuttid exited {proc.returncode}: {self.read(log_path)}")
            return "msg=started" in self.read(log_path)

        wait_until("tuttid started", started)
        return log_path

    def get(self, path, token):
        request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def test_well_known_token_beyond_loopback_stops_the_start(self):
        for flags in ((), ("--check_config",)):
            code, stderr = self.refused('listen = "0.0.0.0"\ntoken = "change-this-token"', *flags)
            self.assertEqual(code, 2, stderr)
            self.assertIn("api.token is the well-known example token", stderr)
            self.assertIn("0.0.0.0", stderr)
            self.assertIn("api.token_file", stderr)  # how to do better

    def test_short_token_beyond_loopback_stops_the_start(self):
        code, stderr = self.refused('listen = "0.0.0.0"\ntoken = "short-token"')
        self.assertEqual(code, 2, stderr)
        self.assertIn("api.token is shorter than 16 characters", stderr)
        self.assertNotIn("short-token", stderr)  # the token itself is never shown

    def test_missing_token_file_names_the_key(self):
        code, stderr = self.refused('token_file = "no-such-file"')
        self.assertEqual(code, 2, stderr)
        self.assertIn('api.token_file "no-such-file" cannot be read', stderr)

    def test_well_known_token_on_loopback_starts_with_a_warning(self):
        log_path = self.start('listen = "127.0.0.1"\ntoken = "change-this-token"')
        text = self.read(log_path)
        self.assertRegex(text, r'level=warn component=api msg="weak API token" '
                               r'why="api.token is the well-known example token')
        self.assertEqual(self.get("/v1/rooms", "change-this-token"), 200)

    def test_generated_token_works_beyond_loopback_and_is_never_logged(self):
        token_path = os.path.join(self.dir, "api-token")
        subprocess.run([MAKE_TOKEN, token_path], check=True, capture_output=True, timeout=20)
        self.assertEqual(stat.S_IMODE(os.stat(token_path).st_mode), 0o600)
        token = self.read(token_path).strip()
        self.assertRegex(token, r"^[0-9a-f]{48}$")
        # Run again, it keeps the token.
        subprocess.run([MAKE_TOKEN, token_path], check=True, capture_output=True, timeout=20)
        self.assertEqual(self.read(token_path).strip(), token)

        log_path = self.start(f'listen = "0.0.0.0"\ntoken_file = "{token_path}"')
        self.assertEqual(self.get("/v1/rooms", token), 200)
        self.assertEqual(self.get("/v1/rooms", None), 401)
        self.assertEqual(self.get("/v1/rooms", token[:-1] + "x"), 401)
        self.assertEqual(self.get("/v1/events-not-here", token), 404)
        self.procs[0].terminate()
        self.assertEqual(self.procs[0].wait(timeout=15), 0)
        text = self.read(log_path)
        self.assertNotIn("weak API token", text)
        self.assertNotIn(token, text)
        self.assertNotIn(token[:16], text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
