"""tuttid's and tutti-load's command-line manners (issue 19): --help and
--version print to stdout and exit 0, naming no path of the build machine;
a wrong flag is one line on stderr and exit status 2."""

import os
import re
import subprocess
import unittest

TUTTID = os.environ.get("TUTTID", "tuttid")
TUTTI_LOAD = os.environ.get("TUTTI_LOAD", "tutti-load")  # "": not built (TUTTI_BENCH=OFF)
# Paths the build saw: none may show in a help text.
BUILD_PATHS = [p for p in (os.environ.get("SOURCE_DIR"), os.environ.get("BINARY_DIR")) if p]
DPDK = os.environ.get("TUTTI_DPDK", "ON").upper() in ("ON", "1", "TRUE", "YES")


def run(*command):
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=30)


class Manners:
    """Checks shared by both programs; `program`, `flags` set by each class."""

    program = None
    name = None
    flags = ()

    def assert_help(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        text = result.stdout
        self.assertTrue(text.startswith(f"{self.name}: "), text[:200])
        for flag in self.flags:
            self.assertRegex(text, rf"\n  --{flag}(=<\w+>)?  \(default: [^)]*\)\n      \S",
                             f"--{flag} with its default and help")
        self.assertNotRegex(text, r"[\w/]+\.(cc|h)\b", "a source file's name")
        for path in BUILD_PATHS:
            self.assertNotIn(path, text)
        for line in text.splitlines():
            self.assertLessEqual(len(line), 80, line)

    def test_help_goes_to_stdout_and_exits_0(self):
        for word in ("--help", "-help", "-h"):
            with self.subTest(word):
                self.assert_help(run(self.program, word))

    def test_help_wins_over_a_wrong_flag(self):
        self.assert_help(run(self.program, "--no_such_flag", "--help"))

    def test_an_unknown_flag_is_one_line_on_stderr_and_exit_2(self):
        result = run(self.program, "--no_such_flag=1")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr,
                         f"{self.name}: unknown flag --no_such_flag (see {self.name} --help)\n")

    def test_a_bad_value_is_one_line_without_the_value_and_exit_2(self):
        result = run(self.program, f"--{self.int_flag}=s3cret")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertIn(f"--{self.int_flag}", result.stderr)
        self.assertNotIn("s3cret", result.stderr)

    def test_an_argument_that_is_no_flag_exits_2(self):
        result = run(self.program, "stray")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertIn("stray", result.stderr)

    def version_lines(self):
        result = run(self.program, "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        lines = result.stdout.splitlines()
        self.assertRegex(lines[0], rf"^{self.name} \d+\.\d+\.\d+$")
        return lines


class TuttidTest(Manners, unittest.TestCase):
    program = TUTTID
    name = "tuttid"
    flags = ("config", "check_config", "print_default_config", "log_level", "shutdown_timeout_s")
    int_flag = "shutdown_timeout_s"

    def test_version_names_the_builds_features(self):
        text = "\n".join(self.version_lines())
        self.assertRegex(text, r"\n  DPDK: on \(DPDK \d+\.\d+" if DPDK else r"\n  DPDK: off")
        for feature in (r"G\.711 \(PCMU, PCMA\)", r"G\.722 \(spandsp \d", r"G\.729 Annex A \(bcg729 \d",
                        r"Opus \(libopus \d", r"VP8, VP9 and H\.264 forwarded",
                        r"SRTP: SDES and DTLS-SRTP \(libsrtp2 \d", r"TLS: .*\(OpenSSL \d"):
            self.assertRegex(text, feature)

    def test_version_starts_nothing(self):
        # --version with a config that could not even be read: nothing but the text.
        result = run(self.program, "--config=/nonexistent/tutti.toml", "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("tuttid "))


@unittest.skipUnless(TUTTI_LOAD, "tutti-load is not built (TUTTI_BENCH=OFF)")
class TuttiLoadTest(Manners, unittest.TestCase):
    program = TUTTI_LOAD
    name = "tutti-load"
    flags = ("server", "calls", "room_size", "codec", "cps", "duration_s", "speech", "token",
             "token_file", "json")
    int_flag = "calls"

    def test_version(self):
        self.assertEqual(len(self.version_lines()), 1)


if __name__ == "__main__":
    unittest.main()
