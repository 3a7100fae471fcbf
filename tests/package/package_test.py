"""package.deb: the Debian package of this tree, installed on this machine.

Builds the .deb (ops/package.sh, from the build tree ctest runs in),
installs it with dpkg -i, checks its files, conffiles, system user,
directories and token, verifies the systemd unit (systemd-analyze verify)
and the logrotate rules, then runs the service: with systemctl when systemd
is PID 1 here; otherwise the unit's ExecStart line as systemd would run it
(its User, Group, capabilities, NoNewPrivileges, UMask, LimitNOFILE and
WorkingDirectory, and $NOTIFY_SOCKET on a datagram socket of this test that
must get READY=1 from tuttid's own PID, and STOPPING=1 at SIGTERM). A SIPp
call to the packaged config's open room 1000 is answered and listed by the
API with the installed token; SIGTERM ends it with BYE and tuttid exits 0,
its call record in /var/log/tutti. dpkg --purge must then leave no file,
directory, user or group behind.

Needs root (dpkg): skipped without it, and when a tutti package this test
did not install is on the machine (it would be replaced and purged). Test
runs of several work trees on one machine take turns (a lock file).
"""

import fcntl
import grp
import json
import os
import pwd
import re
import resource
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from tutti_harness import SCENARIOS, free_port, wait_until  # noqa: E402

BUILD_DIR = os.environ.get("TUTTI_BUILD_DIR", os.path.join(SOURCE_DIR, "build", "release"))
SIPP = os.environ.get("SIPP", "sipp")
PACKAGE = "tutti"
UNIT = "/lib/systemd/system/tutti.service"
CONFIG = "/etc/tutti/tutti.toml"
TOKEN = "/etc/tutti/api-token"
# Left in /var/lib/tutti by this test: a tutti found installed with it is a
# run of this test that was cut short, and may be purged.
MARKER = "/var/lib/tutti/.installed-by-package-test"
# Machine-wide: ctest's RESOURCE_LOCK keeps one run's tests apart, this keeps
# the runs of several work trees apart (one dpkg database, one port 5060).
MACHINE_LOCK = os.path.join(tempfile.gettempdir(), "tutti-package-test.lock")
# Made by the package, gone after its purge.
OWN_DIRS = ["/etc/tutti", "/var/lib/tutti", "/var/log/tutti", "/usr/share/tutti",
            "/usr/share/doc/tutti"]
SYSTEMD_LEFTOVERS = [
    "/etc/systemd/system/multi-user.target.wants/tutti.service",
    "/var/lib/systemd/deb-systemd-helper-enabled/tutti.service.dsh-also",
    "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/tutti.service",
    "/var/lib/systemd/deb-systemd-helper-masked/tutti.service",
]


STARTED = time.monotonic()


def say(text):
    """A step of the test in its output, with the seconds since it began."""
    print(f"package.deb: [{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


def skip(why):
    print(f"package.deb skipped: {why}")
    sys.exit(0)


def run(cmd, check=True, **kwargs):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{shlex.join(cmd)} exited {result.returncode}:\n{result.stdout}")
    return result


def dpkg(*args):
    """dpkg with its arguments, waiting while another dpkg or apt holds the
    database lock (other work on this machine installs packages too)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deadline = time.monotonic() + 300
    while True:
        result = run(["dpkg", *args], check=False, env=env)
        if result.returncode == 0:
            return result.stdout
        if "lock" not in result.stdout or time.monotonic() > deadline:
            raise AssertionError(f"dpkg {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}")
        time.sleep(1)


def installed():
    """Installed, or its conffiles still there (removed, not purged)."""
    result = run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check=False)
    status = result.stdout.split()
    return result.returncode == 0 and bool(status) and status[-1] != "not-installed"


def systemd_is_pid1():
    # sd_booted(3)'s test.
    return os.path.isdir("/run/systemd/system")


def read_unit(path):
    """A unit file as {section: {key: [values]}}."""
    unit, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = unit.setdefault(line.strip("[]"), {})
            else:
                key, _, value = line.partition("=")
                section.setdefault(key.strip(), []).append(value.strip())
    return unit


class NotifySocket:
    """The service manager's end of sd_notify: an abstract datagram socket
    taking the sender's credentials, as systemd's does (NotifyAccess=main
    is checked against them)."""

    def __init__(self):
        self.name = f"@tutti-package-test-{os.getpid()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind("\0" + self.name[1:])
        self.seen = []  # (pid, text)

    def wait_for(self, line, timeout=20.0):
        """The sender's pid of the first message holding `line` (e.g.
        READY=1) after those already seen."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {line} on $NOTIFY_SOCKET within {timeout}s; "
                                     f"got {self.seen}")
            self.sock.settimeout(left)
            try:
                data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            pid = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", value[:12])[0]
            text = data.decode()
            self.seen.append((pid, text))
            if line in text.split("\n"):
                return pid

    def close(self):
        self.sock.close()


class PackageTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tutti-package-")
        self.server = None
        self.log_path = os.path.join(self.dir, "tuttid.log")

    def tearDown(self):
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        if installed():
            dpkg("--purge", PACKAGE)

    def log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path) as f:
            return f.read()

    def test_install_run_call_purge(self):
        deb = self.build_package()
        say(f"{deb} ({os.path.getsize(deb) // 1024} KiB)")
        dpkg("-i", deb)
        say("installed (dpkg -i)")
        with open(MARKER, "w"):
            pass
        files = [p for p in dpkg("-L", PACKAGE).splitlines() if p.startswith("/")]
        self.check_files(files)
        self.check_user_and_directories()
        self.check_unit_and_logrotate()
        say("files, conffiles, user, directories, token, unit and logrotate rules checked")
        self.check_reinstall_keeps_changes(deb)
        with open(CONFIG, "rb") as f:
            self.config = tomllib.load(f)
        if systemd_is_pid1():
            say("systemd is PID 1 here: the service runs with systemctl")
            self.run_with_systemctl()
        else:
            say("systemd is not PID 1 here: the unit's ExecStart runs as "
                "systemd would (User, capabilities, limits, $NOTIFY_SOCKET)")
            self.run_as_systemd_would()
        self.check_call_record()
        dpkg("--purge", PACKAGE)
        self.check_purged(files)

    def build_package(self):
        result = run([os.path.join(SOURCE_DIR, "ops", "package.sh"), BUILD_DIR])
        debs = [line for line in result.stdout.splitlines() if line.endswith(".deb")]
        self.assertEqual(len(debs), 1, result.stdout)
        return os.path.join(SOURCE_DIR, debs[0]) if not debs[0].startswith("/") else debs[0]

    def check_files(self, files):
        for path in ["/usr/bin/tuttid", CONFIG, UNIT, "/etc/logrotate.d/tutti",
                     "/usr/share/doc/tutti/examples/dpdk.conf",
                     "/usr/share/tutti/grafana/tutti-dashboard.json",
                     "/usr/share/tutti/prometheus/tutti-alerts.yml"]:
            self.assertIn(path, files)
        self.assertTrue(os.access("/usr/bin/tuttid", os.X_OK))
        prompts = [p for p in files if p.startswith("/usr/share/tutti/prompts/")
                   and p.endswith(".wav")]
        self.assertGreater(len(prompts), 10, "prompts in the package")
        # Small: stripped, no debug sections.
        sections = run(["readelf", "-S", "-W", "/usr/bin/tuttid"]).stdout
        self.assertNotIn(".symtab", sections)
        self.assertNotIn(".debug_", sections)
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
        self.assertIn(f" {CONFIG} ", conffiles)
        self.assertIn(" /etc/logrotate.d/tutti ", conffiles)
        with open(CONFIG) as f:
            text = f.read()
        for line in ['path = "/var/log/tutti/calls.jsonl"', 'path = "/var/lib/tutti/rooms.db"',
                     'dir = "/usr/share/tutti/prompts"', 'token_file = "/etc/tutti/api-token"',
                     'dir = "/var/lib/tutti/recordings"', 'dir = "/var/lib/tutti/files"']:
            self.assertIn("\n" + line + "\n", text)

    def check_user_and_directories(self):
        user = pwd.getpwnam("tutti")
        self.assertLess(user.pw_uid, 1000, "a system user")
        self.assertEqual(user.pw_dir, "/var/lib/tutti")
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, "tutti")
        for path in ["/var/lib/tutti", "/var/log/tutti"]:
            info = os.stat(path)
            self.assertEqual((info.st_uid, oct(info.st_mode & 0o777)), (user.pw_uid, "0o750"), path)
        info = os.stat(TOKEN)
        self.assertEqual((info.st_uid, oct(info.st_mode & 0o777)), (user.pw_uid, "0o600"))
        with open(TOKEN) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{48}\n$")
        self.assertEqual(os.stat("/etc/tutti/tls/tutti-key.pem").st_uid, user.pw_uid)
        # The installed tuttid takes the installed config, as its user.
        result = run(["setpriv", "--reuid=tutti", "--regid=tutti", "--init-groups", "--",
                      "/usr/bin/tuttid", "--check_config", f"--config={CONFIG}"], check=False,
                     cwd="/var/lib/tutti")
        self.assertEqual(result.returncode, 0, result.stdout)

    def check_unit_and_logrotate(self):
        result = run(["systemd-analyze", "verify", UNIT], check=False)
        self.assertEqual((result.returncode, result.stdout), (0, ""), "systemd-analyze verify")
        state = os.path.join(self.dir, "logrotate.state")
        result = run(["logrotate", "--debug", "--state", state, "/etc/logrotate.d/tutti"],
                     check=False)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertNotIn("error", result.stdout.lower(), result.stdout)

    def check_reinstall_keeps_changes(self, deb):
        """dpkg -i over the installed package (an upgrade's way through
        postinst) keeps the operator's config change, the token and the user."""
        with open(TOKEN) as f:
            token = f.read()
        uid = pwd.getpwnam("tutti").pw_uid
        change = "\n# changed here by the package test: kept across upgrades\n"
        with open(CONFIG, "a") as f:
            f.write(change)
        dpkg("-i", deb)
        with open(CONFIG) as f:
            self.assertTrue(f.read().endswith(change), "the changed conffile kept")
        with open(TOKEN) as f:
            self.assertEqual(f.read(), token, "the token kept")
        self.assertEqual(pwd.getpwnam("tutti").pw_uid, uid)
        say("installed again over itself: config change, token and user kept")

    def wait_for_ports_free(self):
        """The packaged config's fixed ports (SIP, API, MSRP) free on this
        machine; another work tree's tuttid on its defaults may hold them a
        while."""
        sip = self.config["sip"]["port"]
        wanted = [(sip, socket.SOCK_DGRAM), (sip, socket.SOCK_STREAM),
                  (self.config["api"]["port"], socket.SOCK_STREAM),
                  (self.config["msrp"]["port"], socket.SOCK_STREAM)]

        def taken():
            held = []
            for port, kind in wanted:
                with socket.socket(socket.AF_INET, kind) as s:
                    # As tuttid binds: a past run's connections in TIME_WAIT
                    # do not hold the port.
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        held.append(port)
            return held

        wait_until("the packaged config's ports free on 127.0.0.1", lambda: not taken(),
                   timeout=60, describe=lambda: f": {taken()} still taken (ss -lntup)")

    def run_as_systemd_would(self):
        self.wait_for_ports_free()
        service = read_unit(UNIT)["Service"]
        self.assertEqual(service["Type"], ["notify"])
        self.assertEqual(service["NotifyAccess"], ["main"])
        user, group = service["User"][0], service["Group"][0]
        caps = ",".join("+" + c.lower().removeprefix("cap_")
                        for c in service["AmbientCapabilities"][0].split())
        bounding = ",".join("+" + c.lower().removeprefix("cap_")
                            for c in service["CapabilityBoundingSet"][0].split())
        wrapper = ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups",
                   f"--inh-caps=-all,{caps}", f"--ambient-caps=-all,{caps}",
                   f"--bounding-set=-all,{bounding}"]
        if service["NoNewPrivileges"] == ["yes"]:
            wrapper.append("--no-new-privs")
        files_limit = int(service["LimitNOFILE"][0])
        umask = int(service["UMask"][0], 8)

        def as_systemd():
            os.umask(umask)
            resource.setrlimit(resource.RLIMIT_NOFILE, (files_limit, files_limit))

        notify = NotifySocket()
        account = pwd.getpwnam(user)
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "NOTIFY_SOCKET": notify.name, "HOME": account.pw_dir, "USER": user,
               "LOGNAME": user, "SHELL": account.pw_shell}
        command = [*wrapper, "--", *shlex.split(service["ExecStart"][0])]
        say(f"{shlex.join(command)}")
        with open(self.log_path, "w") as log:
            self.server = subprocess.Popen(command, env=env, cwd=service["WorkingDirectory"][0],
                                           stdout=log, stderr=subprocess.STDOUT,
                                           preexec_fn=as_systemd, start_new_session=True)
        try:
            pid = notify.wait_for("READY=1")
            self.assertEqual(pid, self.server.pid, "READY=1 from tuttid itself (NotifyAccess=main)")
            say("READY=1 from tuttid's pid")
            with open(f"/proc/{pid}/status") as f:
                self.assertRegex(f.read(), rf"\nUid:\t{account.pw_uid}\t")
            caller = self.call_and_see_it_listed()
            self.rotate_records(lambda: self.hang_up_as_postrotate_would(notify))
            self.server.terminate()
            self.assertEqual(notify.wait_for("STOPPING=1"), self.server.pid)
            say("STOPPING=1 at SIGTERM")
            self.assertEqual(self.server.wait(timeout=30), 0, self.log()[-4000:])
            self.check_caller_got_bye(caller)
        finally:
            notify.close()
        self.assertNotIn("level=error", self.log())
        self.assertNotIn("no prompts loaded", self.log())
        self.assertNotIn("may be read by other users", self.log())

    def run_with_systemctl(self):
        # postinst started it (Type=notify: systemctl returns once READY=1).
        run(["systemctl", "restart", "tutti.service"])
        self.assertEqual(run(["systemctl", "is-active", "tutti.service"], check=False).stdout.strip(),
                         "active")
        caller = self.call_and_see_it_listed()
        self.rotate_records(lambda: None)  # postrotate's systemctl kill tells tuttid
        run(["systemctl", "reload", "tutti.service"])
        self.assertEqual(run(["systemctl", "is-active", "tutti.service"], check=False).stdout.strip(),
                         "active")
        run(["systemctl", "stop", "tutti.service"])
        shown = run(["systemctl", "show", "-p", "Result", "-p", "ExecMainStatus",
                     "tutti.service"]).stdout
        self.assertIn("Result=success", shown)
        self.assertIn("ExecMainStatus=0", shown)
        self.check_caller_got_bye(caller)

    def api(self, path):
        with open(TOKEN) as f:
            token = f.read().strip()
        api = self.config["api"]
        request = urllib.request.Request(f"http://{api['listen']}:{api['port']}{path}")
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read().decode())

    def call_and_see_it_listed(self):
        """A SIPp caller in room 1000, answered and listed by the API; it
        stays until tuttid's BYE."""
        self.assertIn("alone", self.api("/v1/prompts")["prompts"], "installed prompts loaded")
        sip = self.config["sip"]
        local_port = free_port()
        self.sipp_messages = os.path.join(self.dir, "sipp.msg")
        caller = subprocess.Popen(
            [SIPP, "-sf", os.path.join(SCENARIOS, "call_until_bye.xml"), "-s", "1000",
             f"{sip['listen']}:{sip['port']}", "-i", "127.0.0.1", "-p", str(local_port),
             "-m", "1", "-nostdin", "-t", "u1", "-timeout", "40", "-timeout_error",
             "-trace_msg", "-message_file", self.sipp_messages],
            cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def listed():
            participants = self.api("/v1/rooms/1000/participants")["participants"]
            return [p for p in participants if f"sipp@127.0.0.1:{local_port}" in p["from"]]

        wait_until("the SIPp caller listed in room 1000 by the API", listed, timeout=15,
                   describe=lambda: "\n" + self.log()[-3000:])
        say("the call to room 1000 is answered and listed by the API")
        return caller

    def check_caller_got_bye(self, caller):
        output, _ = caller.communicate(timeout=30)
        self.assertEqual(caller.returncode, 0, "SIPp got tuttid's BYE and answered it\n" + output)
        with open(self.sipp_messages) as f:
            self.assertRegex(f.read(), r"\nBYE sip:")
        say("SIGTERM: BYE to the caller, tuttid exited 0")

    def hang_up_as_postrotate_would(self, notify):
        """SIGHUP to tuttid, as the logrotate rules' `systemctl kill` does
        under systemd (it fails here, as it should: no systemd): tuttid
        says RELOADING=1, then READY=1 with the file reopened."""
        self.server.send_signal(signal.SIGHUP)
        self.assertEqual(notify.wait_for("RELOADING=1"), self.server.pid)
        self.assertEqual(notify.wait_for("READY=1"), self.server.pid)
        say("SIGHUP: RELOADING=1, then READY=1")

    def rotate_records(self, hang_up):
        """A short call writes a record; logrotate (the package's rules,
        forced) moves the file aside; after `hang_up` the calls still up
        write to a new file."""
        sip = self.config["sip"]
        local_port = free_port()
        run([SIPP, "-sf", os.path.join(SCENARIOS, "invite_bye.xml"), "-s", "1000", "-d", "300",
             f"{sip['listen']}:{sip['port']}", "-i", "127.0.0.1", "-p", str(local_port),
             "-m", "1", "-nostdin", "-t", "u1", "-timeout", "20", "-timeout_error"], cwd=self.dir)
        path = self.config["records"]["path"]
        wait_until("the short call's record", lambda: os.path.exists(path)
                   and os.path.getsize(path) > 0, describe=lambda: "\n" + self.log()[-3000:])
        result = run(["logrotate", "--force", "--verbose", "--state",
                      os.path.join(self.dir, "logrotate.state"), "/etc/logrotate.d/tutti"])
        self.assertTrue(os.path.exists(path + ".1"), result.stdout)
        hang_up()
        say("records rotated by the package's logrotate rules")

    def check_call_record(self):
        """The short call's record in the rotated file, the long call's
        (ended by the shutdown) in the file reopened after the SIGHUP."""
        path = self.config["records"]["path"]
        for name, why in ((path + ".1", "caller hung up"), (path, "server shutting down")):
            with open(name) as f:
                records = [json.loads(line) for line in f if line.strip()]
            self.assertEqual([(r["room"], r["why"]) for r in records], [("1000", why)], name)
            self.assertEqual(os.stat(name).st_uid, pwd.getpwnam("tutti").pw_uid)

    def check_purged(self, files):
        self.assertFalse(installed())
        for path in files + OWN_DIRS + SYSTEMD_LEFTOVERS:
            if path in OWN_DIRS or not os.path.isdir(path):
                self.assertFalse(os.path.lexists(path), f"{path} left after purge")
        for name, lookup in (("user", pwd.getpwnam), ("group", grp.getgrnam)):
            with self.assertRaises(KeyError, msg=f"{name} tutti left after purge"):
                lookup("tutti")
        say("purged: no file, directory, user or group left")


def main():
    if os.geteuid() != 0:
        skip("needs root (dpkg -i)")
    lock = open(MACHINE_LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # another work tree's package test ends first
    if installed():
        if not os.path.exists(MARKER):
            skip("a tutti package this test did not install is on this machine")
        dpkg("--purge", PACKAGE)  # left by a run of this test that was cut short
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
