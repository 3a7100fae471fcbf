"""Kamailio (Debian's kamailio 5.6) as the SIP carrier of the trunk tests:
a registrar with digest auth and a proxy (kamailio_carrier.cfg), run in the
foreground on a loopback port of the test's own, with a BaresipClient that
registers to it as a phone.

    python3 tests/e2e/kamailio_harness.py --self-test

proves the pieces without tuttid: a phone registers (after a 401) and shows
in Kamailio's usrloc, a second phone calls the first by number through the
proxy (407, then relayed to the registered contact) and each hears the
other's tone, and a REGISTER with a wrong password is refused.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import free_port, wait_until  # noqa: E402



def _sbin_tool(name):
    """`name` from the environment (its upper-case name), PATH or /usr/sbin
    (Debian puts kamailio there, off a plain user's PATH)."""
    return (os.environ.get(name.upper()) or shutil.which(name)
            or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else name))


KAMAILIO = _sbin_tool("kamailio")
KAMCMD = _sbin_tool("kamcmd")
CONFIG_TEMPLATE = os.path.join(HERE, "kamailio_carrier.cfg")
REALM = "carrier.test"


def require_kamailio():
    """Fails (never skips) when kamailio or kamcmd is missing."""
    for tool in (KAMAILIO, KAMCMD):
        if not shutil.which(tool) and not os.access(tool, os.X_OK):
            raise AssertionError(f"{tool} not found: install the Debian package `kamailio` "
                                 "(ops/setup.sh does)")


class Kamailio:
    """One kamailio process with kamailio_carrier.cfg filled in: `users`
    (name -> password) may REGISTER and send INVITEs, called numbers
    matching `did_regex` go to `tutti` (host:port), others to the phone
    registered under that number. It listens on host:port (self.address);
    its log (stderr) is in self.log_path."""

    def __init__(self, workdir, users, did_regex, tutti, host="127.0.0.2"):
        self.dir = os.path.join(workdir, "kamailio")
        os.makedirs(self.dir, exist_ok=True)
        # On a loopback address of its own by default, so that its requests
        # are told from the phones' (127.0.0.1) by address, as a trunk's are.
        # The port is of this test process's block (free on 127.0.0.1, and
        # nothing else uses the other address).
        self.host = host
        self.port = free_port()
        self.address = f"{host}:{self.port}"
        self.ctl = f"unix:{self.dir}/kamailio_ctl"
        for name, password in users.items():
            if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name + password):
                raise ValueError(f"user {name!r}: letters, digits and _.+- only")
        table = "\n".join(f'\t$sht(users=>{name}) = "{password}";'
                          for name, password in users.items())
        with open(CONFIG_TEMPLATE) as f:
            config = f.read()
        for key, value in (("LISTEN", f"udp:{self.address}"), ("CTL", self.ctl),
                           ("USERS", table), ("DID_REGEX", did_regex),
                           ("TUTTI", f"sip:{tutti}")):
            config = config.replace(f"@{key}@", value)
        self.config_path = os.path.join(self.dir, "kamailio.cfg")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.log_path = os.path.join(self.dir, "kamailio.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [KAMAILIO, "-f", self.config_path, "-DD", "-E", "-m", "64", "-M", "8", "-Y",
             self.dir], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until("Kamailio answering OPTIONS", self._answers_options, timeout=15,
                       describe=lambda: "\n--- kamailio log:\n" + self.log_tail())
        except AssertionError:
            self.stop()
            raise

    def _answers_options(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"kamailio exited with {self.proc.returncode}:\n"
                                 + self.log_tail())
        branch = "z9hG4bK" + uuid.uuid4().hex
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.5)
            port = s.getsockname()[1]
            s.sendto((f"OPTIONS sip:{self.address} SIP/2.0\r\n"
                      f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                      "Max-Forwards: 70\r\n"
                      f"From: <sip:probe@127.0.0.1:{port}>;tag=probe\r\n"
                      f"To: <sip:{self.address}>\r\n"
                      f"Call-ID: probe-{branch}\r\nCSeq: 1 OPTIONS\r\n"
                      "Content-Length: 0\r\n\r\n").encode(), (self.host, self.port))
            try:
                return s.recv(4096).startswith(b"SIP/2.0 200")
            except OSError:
                return False

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def log_tail(self, chars=4000):
        return f"--- kamailio log ({self.log_path}):\n" + self.log_text()[-chars:]

    def carrier_lines(self, pattern):
        """The matches of `pattern` in the config's own `carrier:` log lines."""
        return [m for line in self.log_text().splitlines() if "carrier: " in line
                for m in [re.search(pattern, line.split("carrier: ", 1)[1])] if m]

    def requests_from(self, method, port, address="127.0.0.1"):
        """The Request-URIs of the `method` requests that arrived from
        address:port (each retransmission and each re-send after a challenge
        counts)."""
        source = re.escape(f"{address}:{port}")
        return [m.group(1) for m in self.carrier_lines(rf"^{method} (\S+) from {source} ")]

    def contacts(self, aor):
        """The contacts usrloc holds for `aor` (the user part), from
        `kamcmd ul.lookup location <aor>`; [] when it has none."""
        result = subprocess.run([KAMCMD, "-s", self.ctl, "ul.lookup", "location", f"s:{aor}"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=10)
        return re.findall(r"Address:\s*(\S+)", result.stdout)

    def wait_for_contact(self, aor, timeout=15):
        return wait_until(f"a contact of {aor} in Kamailio's usrloc",
                          lambda: self.contacts(aor), timeout,
                          describe=lambda: "\n" + self.log_tail())

    def stop(self):
        """SIGTERM; Kamailio's children go with it (its own session is
        killed if it lingers)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        if not self._log.closed:
            self._log.close()


class Phone(ah.BaresipClient):
    """A baresip registered to the carrier as `number` (its AOR
    sip:<number>@<carrier>, digest with `password`), auto-answering. What it
    hears is recorded as BaresipClient's (recording()). It registers at
    start, before its ctrl_tcp client is connected (so REGISTER_OK is often
    not among its events): Kamailio.wait_for_contact tells when it is in."""

    def __init__(self, number, workdir, carrier, password, tone_hz=None, codec="PCMU",
                 answer=True, **kwargs):
        wav = ah.write_tone_wav(os.path.join(workdir, f"{number}.wav"), tone_hz or 0, 40,
                                ah.SOURCE_RATE[codec], amplitude=ah.AMPLITUDE if tone_hz else 0)
        super().__init__(number, workdir, codec=codec, source_wav=wav, **kwargs)
        # The account registers to the carrier every regint seconds (and
        # unregisters when baresip quits); its calls go to the carrier too.
        account = (f"<sip:{number}@{carrier.address}>;auth_user={number};auth_pass={password};"
                   f"regint=60;audio_codecs={ah.CODEC_SPEC[codec]}")
        if answer:
            account += ";answermode=auto"
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(account + "\n")


def _self_test():
    """Two phones on the carrier call each other; a wrong password is refused."""
    ah.require_baresip()
    require_kamailio()
    failures = []
    with tempfile.TemporaryDirectory(prefix="tutti-kamailio-") as work:
        carrier = Kamailio(work, {"15550001": "alicepw", "15550002": "bobpw"},
                           did_regex="^4420", tutti="127.0.0.1:9")
        phones = []
        try:
            alice = Phone("15550001", work, carrier, "alicepw", tone_hz=500)
            bob = Phone("15550002", work, carrier, "bobpw", tone_hz=900, answer=True)
            mallory = Phone("15550003", work, carrier, "guess", tone_hz=700)
            phones = [alice, bob, mallory]
            bob.start(hold_seconds=14)
            mallory.start(hold_seconds=14)
            contacts = carrier.wait_for_contact("15550002")
            ah._check(f"127.0.0.1:{bob.sip_port}" in contacts[0],
                      f"usrloc holds {contacts} for bob at port {bob.sip_port}", failures)
            # Its REGISTER with credentials was taken and refused (challenged again).
            wait_until("mallory's credentials refused",
                       lambda: len(carrier.carrier_lines("REGISTER of 15550003 challenged")) >= 2,
                       timeout=10, describe=lambda: "\n" + carrier.log_tail())
            ah._check(carrier.contacts("15550003") == [],
                      "a REGISTER with a wrong password left no contact", failures)
            alice.start(f"sip:15550002@{carrier.address}", hold_seconds=6)
            alice.wait_event("CALL_ESTABLISHED", timeout=10)
            alice.wait(timeout=30)
            bob.command("quit")
            bob.wait(timeout=20)
            ah._check(len(carrier.requests_from("INVITE", alice.sip_port)) >= 2,
                      "the phone's INVITE was challenged (407) and sent again", failures)
            rate, samples = ah.read_wav(bob.recording())
            part = ah.span(samples, rate, 1.5, 2.5)
            shares = ah.dominant_tones(part, rate, [500, 900, 700])
            ah._check(shares[500] > 0.5 and shares[900] < 0.01,
                      f"bob heard {shares} through the carrier", failures)
        finally:
            for phone in phones:
                phone.kill()
            carrier.stop()
            if failures:
                print(carrier.log_tail(6000))
                for phone in phones:
                    print(phone.log_tail(3000))
    for failure in failures:
        print("FAIL:", failure)
    print("kamailio_harness self-test:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        sys.exit(_self_test())
    print(__doc__)
