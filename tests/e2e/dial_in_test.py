"""End-to-end dial-in: real baresip clients call the IVR number of a real
tuttid, type the room number and PIN as RFC 4733 DTMF (ctrl_tcp `sndcode`),
join room 4000 and use the in-room keys; what tuttid did is read from its
log and its control API, what each caller heard (and what a recording of
the room holds) is checked by spectrum.

  - two callers join through the IVR and hear each other;
  - three wrong PINs end the call with a BYE after the goodbye;
  - *1 mutes: the others stop hearing that caller;
  - a moderator (PIN 9999, dialing the room directly: no room number asked)
    locks the room with *2: a new caller is refused;
  - a moderator's #2 records the room: the file holds both callers' tones.

Needs TUTTID (the binary; ctest sets it) and baresip (Debian package).
TUTTI_E2E_VERBOSE=1 prints the tone timelines, not only on failure.
"""

import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import audio_harness as ah  # noqa: E402
from tutti_harness import Tuttid, require_tuttid  # noqa: E402

ROOM = "4000"
PIN = "1234"
MODERATOR_PIN = "9999"
ROOMS = f"""
[ivr]
number = "conference"
max_attempts = 3
digit_timeout_s = 5

[[room]]
name = "{ROOM}"
pin = "{PIN}"
moderator_pin = "{MODERATOR_PIN}"
announce_joins = false
music_when_alone = false
wait_for_moderator = false
"""

HEARD = 0.1        # share of a window's energy a tone has when it is clearly heard
NOT_HEARD = 0.01   # the most a tone may have when it must not be there (20 dB down)
MIN_TONE_DBFS = -40.0  # and a heard tone must be at least this loud
SETTLE_S = 1.0     # after a change (join, mute), before the analysed window
WINDOW_S = 2.0
ABSENT_HZ = 1250   # a tone nobody sends: a check for it must fail
BARGE_IN_S = 1.0   # keys are typed this long after the call is up, during the welcome
# Prompt lengths (ops/prompts/generated) bound how soon the BYE may come after
# a refusal: invalid_pin 1.85 s + goodbye 0.70 s; room_locked 1.54 s + goodbye.
MIN_GOODBYE_S = 1.5
MAX_GOODBYE_S = 8.0
VERBOSE = os.environ.get("TUTTI_E2E_VERBOSE") == "1"


class ParticipantWatcher(threading.Thread):
    """Polls GET /v1/rooms/<room>/participants every 100 ms for the whole test
    and remembers every `from` it ever saw, so "never listed" covers the time
    between checks too."""

    def __init__(self, api):
        super().__init__(daemon=True)
        self.api = api
        self.seen = {}  # from -> first listing seen
        self.polls = 0
        self.errors = []
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                status, body = self.api("GET", f"/v1/rooms/{ROOM}/participants")
                if status == 200:
                    self.polls += 1
                    for p in body["participants"]:
                        self.seen.setdefault(p.get("from"), p)
                else:
                    self.errors.append((status, body))
            except Exception as error:  # noqa: BLE001 - kept for the failure message
                self.errors.append(repr(error))
            self._halt.wait(0.1)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


class DialInE2ETest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        ah.require_baresip()
        require_tuttid()

    def setUp(self):
        self.began = time.monotonic()
        self.work = tempfile.TemporaryDirectory(prefix="tutti-e2e-dialin-")
        self.addCleanup(self.work.cleanup)
        self.clients = []
        self.server = Tuttid(rooms=ROOMS)
        self.addCleanup(self._stop_server)
        self.ivr_uri = f"sip:conference@127.0.0.1:{self.server.port}"
        self.room_uri = f"sip:{ROOM}@127.0.0.1:{self.server.port}"
        self.watcher = ParticipantWatcher(self.server.api)
        self.watcher.start()
        self.addCleanup(self.watcher.stop)

    def _stop_server(self):
        code = self.server.stop()
        log = self.server.log_text()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        if VERBOSE:
            print(f"  {self.id()}: {time.monotonic() - self.began:.1f} s")
        self.assertEqual(code, 0, "tuttid exit code after SIGTERM\n" + log[-3000:])

    # --- helpers: failure messages
    def context(self, chars=3000):
        """The tuttid log tail and each client's baresip log tail."""
        parts = [f"--- tuttid log ({self.server.log_path}):\n" + self.server.log_text()[-chars:]]
        for client in self.clients:
            parts.append(client.log_tail(1500))
        return "\n" + "\n".join(parts)

    def wait_log(self, pattern, what, timeout=10.0, count=1):
        """Waits until `pattern` (a regex over the tuttid log) matched `count`
        times; returns (time.monotonic() it was seen, the last match)."""
        deadline = time.monotonic() + timeout
        while True:
            matches = list(re.finditer(pattern, self.server.log_text()))
            if len(matches) >= count:
                return time.monotonic(), matches[count - 1]
            if self.server.proc.poll() is not None:
                self.fail(f"{what}: tuttid exited with {self.server.proc.returncode}"
                          + self.context())
            if time.monotonic() > deadline:
                self.fail(f"{what}: no log line matching {pattern!r} (x{count}) within "
                          f"{timeout}s" + self.context())
            time.sleep(0.05)

    def wait_until(self, what, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return time.monotonic(), value
            if time.monotonic() > deadline:
                self.fail(f"{what} within {timeout}s" + self.context())
            time.sleep(0.05)

    # --- helpers: the API
    def participants(self):
        return self.server.participants(ROOM)

    def room(self):
        status, body = self.server.api("GET", f"/v1/rooms/{ROOM}")
        self.assertEqual(status, 200, f"GET /v1/rooms/{ROOM}: {body}")
        return body

    # --- helpers: callers
    def client(self, name, tone_hz):
        wav = ah.write_tone_wav(os.path.join(self.work.name, f"{name}.wav"), tone_hz, 45, 8000)
        client = ah.BaresipClient(name, self.work.name, codec="PCMU", source_wav=wav)
        client.tone_hz = tone_hz
        client.aor = f"sip:{name}@127.0.0.1"
        self.clients.append(client)
        self.addCleanup(client.kill)
        return client

    def call_up(self, client, uri):
        """Starts the client dialing uri; returns the Call-ID once the call is up."""
        client.start(uri, hold_seconds=60)
        client.wait_event("CALL_ESTABLISHED", timeout=10)
        for _, event in client.events:
            if event.get("type") == "CALL_ESTABLISHED":
                client.call_id = event.get("id")
                return client.call_id
        self.fail(f"{client.name}: CALL_ESTABLISHED without a Call-ID" + self.context())

    def prompt_pattern(self, client, prompt):
        return (r'msg="playing prompt" call_id=' + re.escape(client.call_id)
                + r' prompt=' + re.escape(prompt) + r'\n')

    def enter(self, callers, via_ivr=True):
        """Each of `callers` (client, pin) calls the IVR number (or the room
        directly), types the room number and its PIN, all side by side.
        Returns when tuttid accepted each one (the log line)."""
        for client, _ in callers:
            self.call_up(client, self.ivr_uri if via_ivr else self.room_uri)
        for client, _ in callers:
            self.wait_log(self.prompt_pattern(client, "welcome"),
                          f"{client.name}: no welcome prompt")
        if via_ivr:
            # After the welcome, the IVR asks for the room number; it is typed
            # over that question, which the first key interrupts.
            for client, _ in callers:
                self.wait_log(self.prompt_pattern(client, "enter_room"),
                              f"{client.name}: not asked for the room number after the "
                              "welcome", timeout=6)
            time.sleep(0.3)
            for client, _ in callers:
                client.command("sndcode", f"{ROOM}#")
        for client, _ in callers:
            self.wait_log(self.prompt_pattern(client, "enter_pin"),
                          f"{client.name}: not asked for the PIN after typing {ROOM}#")
        for client, pin in callers:
            client.command("sndcode", f"{pin}#")

    def wait_accepted(self, client, moderator):
        """The log says the client joined as (non-)moderator and the API
        lists it so; returns the time it was listed and its listing."""
        flag = "true" if moderator else "false"
        self.wait_log(r'msg="dial-in accepted" call_id=' + re.escape(client.call_id)
                      + rf' room={ROOM} moderator={flag}\b',
                      f"{client.name}: not accepted into room {ROOM} "
                      f"(moderator={moderator})")
        listed_at, listing = self.wait_until(
            f"{client.name} never listed in GET /v1/rooms/{ROOM}/participants",
            lambda: self.participants().get(client.aor))
        self.assertEqual((listing["moderator"], listing["muted"], listing["waiting"]),
                         (moderator, False, False),
                         f"{client.name}'s listing: {listing}" + self.context())
        return listed_at, listing

    def quit(self, *clients):
        """Ends the clients (baresip hangs up and quits); their recordings are
        complete after this."""
        for client in clients:
            client.command("quit")
        for client in clients:
            client.wait(timeout=15)

    def wait_closed(self, client, timeout):
        """Waits for the far end to end the call (CALL_CLOSED); checks it was
        tuttid's BYE that ended it."""
        closed = client.wait_event("CALL_CLOSED", timeout=timeout)
        bye = re.search(rf"UDP 127\.0\.0\.1:{self.server.port} -> 127\.0\.0\.1:\d+\s*\n"
                        r"BYE sip:", client.log_text())
        self.assertIsNotNone(bye, f"{client.name}: the call closed but no BYE from tuttid in "
                                  "its SIP trace" + self.context())
        return closed

    def prompts_after(self, client, position):
        """The prompts tuttid played to the client after log offset `position`."""
        return re.findall(r'msg="playing prompt" call_id=' + re.escape(client.call_id)
                          + r' prompt=(\S+)', self.server.log_text()[position:])

    # --- helpers: what a caller heard
    def recording(self, client):
        """(rate, samples, start) of what the client heard; `start` is the
        time.monotonic() of the first sample, anchored at the end (its quit):
        tuttid sends G.711 callers a steady stream, so the recording has no
        holes to shift the anchor."""
        rate, samples = ah.read_wav(client.recording())
        end = client.end_time()
        self.assertIsNotNone(end, f"{client.name}: no SHUTDOWN event" + self.context())
        return rate, samples, end - len(samples) / rate

    def describe(self, client, rate, samples, tones):
        return (f"\n{client.name} heard {len(samples) / rate:.1f} s at {rate} Hz:\n"
                + ah.format_timeline(ah.tone_timeline(samples, rate, tones)) + self.context())

    def heard(self, client, window_start, tones, window_s=WINDOW_S):
        """({name: share}, {name: dBFS}, where) of the tones (name -> Hz) in
        what the client heard in the window (monotonic start)."""
        rate, samples, start = self.recording(client)
        part = ah.span(samples, rate, window_start - start, window_s)
        hz = list(tones.values()) + [ABSENT_HZ]
        where = (f"{client.name}, {window_start - start:.1f}-"
                 f"{window_start - start + window_s:.1f} s of its recording")
        if len(part) < int(window_s * rate) - 1:
            self.fail(f"{where}: the recording is too short" + self.describe(client, rate,
                                                                             samples, hz))
        shares = ah.dominant_tones(part, rate, hz)
        levels = {f: ah.tone_dbfs(part, rate, f) for f in hz}
        shares = {name: shares[f] for name, f in tones.items()} | {"absent": shares[ABSENT_HZ]}
        levels = {name: levels[f] for name, f in tones.items()} | {"absent": levels[ABSENT_HZ]}
        where += ": " + ", ".join(f"{name} {shares[name]:.3f} ({levels[name]:.0f} dBFS)"
                                  for name in shares)
        if VERBOSE:
            print(where)
        return shares, levels, where, (lambda: self.describe(client, rate, samples, hz))

    def check_hears(self, client, window_start, tones, expected):
        """In the window the client hears exactly the `expected` names out of
        `tones` (name -> Hz), and never the tone nobody sent."""
        shares, levels, where, describe = self.heard(client, window_start, tones)
        fault = ah.hearing_fault(client.name, shares, levels, expected, HEARD, NOT_HEARD,
                                 MIN_TONE_DBFS)
        if fault:
            self.fail(f"{client.name} {fault}: {where}" + describe())
        return shares, levels

    # --- tests
    def test_two_callers_join_through_the_ivr_and_hear_each_other(self):
        alice, bob = self.client("alice", 500), self.client("bob", 800)
        tones = {"alice": 500, "bob": 800}
        self.enter([(alice, PIN), (bob, PIN)])
        joined = max(self.wait_accepted(c, moderator=False)[0] for c in (alice, bob))
        self.assertEqual(sorted(self.participants()), [alice.aor, bob.aor], self.context())
        # The IVR greeted each and asked for the room, then the PIN.
        for client in (alice, bob):
            prompts = self.prompts_after(client, 0)
            self.assertEqual(prompts[:3], ["welcome", "enter_room", "enter_pin"],
                             f"{client.name}: prompts {prompts}" + self.context())
        window = joined + SETTLE_S
        time.sleep(max(0.0, window + WINDOW_S + 0.3 - time.monotonic()))
        self.quit(alice, bob)
        for client in (alice, bob):
            # The prompts reached the caller as audio: speech in the first second.
            rate, samples, _ = self.recording(client)
            level = ah.level_dbfs(ah.span(samples, rate, 0.0, 1.0))
            self.assertGreater(level, -40.0, f"{client.name} heard no welcome prompt (first "
                               f"second at {level:.1f} dBFS)"
                               + self.describe(client, rate, samples, list(tones.values())))
            self.check_hears(client, window, tones,
                             expected=[n for n in tones if n != client.name])

    def test_three_wrong_pins_end_the_call(self):
        guesser = self.client("guesser", 600)
        self.call_up(guesser, self.ivr_uri)
        self.wait_log(self.prompt_pattern(guesser, "welcome"), "no welcome prompt")
        time.sleep(BARGE_IN_S)
        guesser.command("sndcode", f"{ROOM}#")
        self.wait_log(self.prompt_pattern(guesser, "enter_pin"), "not asked for the PIN")
        cid = re.escape(guesser.call_id)
        for attempt in (1, 2):
            # Typed at once, over the invalid_pin / enter_pin prompts.
            guesser.command("sndcode", "1111#")
            self.wait_log(r'msg="dial-in entry refused" call_id=' + cid + r' .*why="wrong PIN"',
                          f"wrong PIN {attempt} not refused", count=attempt)
            self.assertIsNone(guesser.event_time("CALL_CLOSED"),
                              f"the call ended after {attempt} wrong PIN(s) of 3"
                              + self.context())
        position = len(self.server.log_text())
        guesser.command("sndcode", "1111#")
        failed, _ = self.wait_log(r'msg="dial-in failed" call_id=' + cid
                                  + r' .*why="wrong PIN"', "the third wrong PIN did not fail")
        closed = self.wait_closed(guesser, timeout=MAX_GOODBYE_S + 2)
        self.assertTrue(MIN_GOODBYE_S <= closed - failed <= MAX_GOODBYE_S,
                        f"BYE {closed - failed:.2f} s after the third wrong PIN; expected after "
                        "the invalid_pin and goodbye prompts (about 2.5 s)" + self.context())
        prompts = self.prompts_after(guesser, position)
        self.assertEqual(prompts, ["invalid_pin", "goodbye"],
                         f"prompts after the third wrong PIN: {prompts}" + self.context())
        # The record is written once the media worker handed back the call's counters.
        _, records = self.wait_until(
            f"no call record for {guesser.call_id} (records: {self.server.call_records()})",
            lambda: [r for r in self.server.call_records() if r.get("call_id") == guesser.call_id])
        self.assertEqual([r.get("why") for r in records], ["wrong PIN"],
                         f"call records: {records}" + self.context())
        self.watcher.stop()
        self.assertGreater(self.watcher.polls, 10, f"the API was hardly polled: "
                           f"{self.watcher.errors}")
        self.assertNotIn(guesser.aor, self.watcher.seen,
                         "the guesser was listed as a participant" + self.context())
        self.assertEqual(self.participants(), {})

    def test_mute_by_dtmf_removes_the_callers_audio(self):
        alice, bob = self.client("alice", 500), self.client("bob", 800)
        tones = {"alice": 500, "bob": 800}
        self.enter([(alice, PIN), (bob, PIN)])
        joined = max(self.wait_accepted(c, moderator=False)[0] for c in (alice, bob))
        before = joined + SETTLE_S
        time.sleep(max(0.0, before + WINDOW_S + 0.2 - time.monotonic()))
        alice.command("sndcode", "*1")
        self.wait_log(r'msg=muted call_id=' + re.escape(alice.call_id), "alice's *1 did not mute")
        muted_at, _ = self.wait_until("alice not shown muted by the API",
                                      lambda: self.participants()[alice.aor]["muted"])
        self.assertFalse(self.participants()[bob.aor]["muted"], self.context())
        self.wait_log(self.prompt_pattern(alice, "muted"), "alice was not told she is muted")
        # alice hears the "muted" prompt (0.9 s) right after; the window starts past it.
        after = muted_at + SETTLE_S
        time.sleep(max(0.0, after + WINDOW_S + 0.3 - time.monotonic()))
        self.quit(alice, bob)
        # Before: each hears the other.
        _, before_levels = self.check_hears(bob, before, tones, expected=["alice"])
        self.check_hears(alice, before, tones, expected=["bob"])
        # After: bob no longer hears alice; alice still hears bob.
        shares, levels, where, describe = self.heard(bob, after, tones)
        if not (shares["alice"] < NOT_HEARD or levels["alice"] < before_levels["alice"] - 30):
            self.fail(f"bob still hears alice after her *1: {where} (before: "
                      f"{before_levels['alice']:.0f} dBFS)" + describe())
        self.check_hears(alice, after, tones, expected=["bob"])

    def test_moderator_locks_the_room_and_a_new_caller_is_refused(self):
        host, late = self.client("host", 500), self.client("late", 800)
        # The moderator dials the room directly: no room number asked.
        self.enter([(host, MODERATOR_PIN)], via_ivr=False)
        self.wait_accepted(host, moderator=True)
        prompts = self.prompts_after(host, 0)
        self.assertEqual(prompts[:2], ["welcome", "enter_pin"],
                         f"prompts to a caller of {self.room_uri}: {prompts}" + self.context())
        self.assertFalse(self.room()["locked"], f"room {ROOM} locked before *2" + self.context())
        host.command("sndcode", "*2")
        self.wait_log(rf'msg="room locked" room={ROOM} by=' + re.escape(host.call_id),
                      "the moderator's *2 did not lock the room")
        self.wait_until("the API does not show the room locked", lambda: self.room()["locked"])
        self.wait_log(self.prompt_pattern(host, "locked"), "the moderator was not told")

        position = len(self.server.log_text())
        self.enter([(late, PIN)])
        refused, _ = self.wait_log(r'msg="dial-in refused" call_id=' + re.escape(late.call_id)
                                   + rf' room={ROOM} why="room locked"',
                                   "the new caller was not refused")
        closed = self.wait_closed(late, timeout=MAX_GOODBYE_S + 2)
        self.assertTrue(MIN_GOODBYE_S <= closed - refused <= MAX_GOODBYE_S,
                        f"BYE {closed - refused:.2f} s after the refusal; expected after the "
                        "room_locked and goodbye prompts (about 2.2 s)" + self.context())
        prompts = self.prompts_after(late, position)
        self.assertEqual(prompts[-2:], ["room_locked", "goodbye"],
                         f"prompts to the refused caller: {prompts}" + self.context())
        self.assertNotIn(f'msg="dial-in accepted" call_id={late.call_id}',
                         self.server.log_text(), self.context())
        self.watcher.stop()
        self.assertGreater(self.watcher.polls, 10, f"the API was hardly polled: "
                           f"{self.watcher.errors}")
        self.assertNotIn(late.aor, self.watcher.seen,
                         "the refused caller was listed as a participant" + self.context())
        self.assertEqual(list(self.participants()), [host.aor], self.context())
        self.quit(host)

    def test_moderator_records_the_room(self):
        host, guest = self.client("host", 500), self.client("guest", 800)
        tones = {"host": 500, "guest": 800}
        self.enter([(host, MODERATOR_PIN), (guest, PIN)])
        self.wait_accepted(host, moderator=True)
        self.wait_accepted(guest, moderator=False)
        self.assertIsNone(self.room().get("recording"), self.context())
        host.command("sndcode", "#2")
        _, started = self.wait_log(rf'msg="recording started" room={ROOM} path=(\S+)',
                                   "the moderator's #2 did not start a recording")
        path = started.group(1).strip('"')
        self.wait_until(f"GET /v1/rooms/{ROOM} does not show the recording {path}",
                        lambda: self.room().get("recording") == path)
        self.assertTrue(path.startswith(os.path.join(self.server.dir, "recordings") + "/"),
                        f"recording {path} outside the [recording] dir" + self.context())
        time.sleep(4.0)  # both talk
        host.command("sndcode", "#2")
        _, stopped = self.wait_log(rf'msg="recording stopped" room={ROOM} path=(\S+)'
                                   r' seconds=(\S+).*error=(\S*)',
                                   "the moderator's second #2 did not stop the recording")
        self.assertEqual(stopped.group(1).strip('"'), path, self.context())
        self.assertIn(stopped.group(3), ("", '""'), "the recording ended with an error"
                      + self.context())
        self.wait_until(f"GET /v1/rooms/{ROOM} still shows a recording",
                        lambda: not self.room().get("recording"))
        self.quit(host, guest)

        try:
            rate, samples, info = ah.read_ogg_opus(path)
        except ValueError as error:
            self.fail(f"the recording is not playable Ogg Opus: {error}" + self.context())
        seconds = len(samples) / rate
        logged = float(stopped.group(2))
        description = (f"\nrecording {path}: {seconds:.2f} s decoded ({info}), {logged} s "
                       "logged:\n" + ah.format_timeline(
                           ah.tone_timeline(samples, rate, [500, 800, ABSENT_HZ]))
                       + self.context())
        if VERBOSE:
            print(description[:3000])
        self.assertTrue(info["eos"], "the recording's last Ogg page has no end-of-stream flag"
                        + description)
        self.assertTrue(3.5 <= seconds <= 7.0 and abs(seconds - logged) < 0.2,
                        f"recording length {seconds:.2f} s for about 4.5 s recorded"
                        + description)
        self.assertLess(abs(info["granule_samples"] - len(samples)), 960 * 2,
                        "the last granule position does not match the decoded length"
                        + description)
        # The middle (the moderator's keys replace its voice at both ends).
        part = ah.span(samples, rate, 1.0, seconds - 2.0)
        shares = ah.dominant_tones(part, rate, [500, 800, ABSENT_HZ])
        levels = {hz: ah.tone_dbfs(part, rate, hz) for hz in (500, 800, ABSENT_HZ)}
        for name, hz in tones.items():
            self.assertTrue(shares[hz] > HEARD and levels[hz] > MIN_TONE_DBFS,
                            f"the recording lacks the {name}'s {hz} Hz: share {shares[hz]:.3f}, "
                            f"{levels[hz]:.0f} dBFS" + description)
        self.assertLess(shares[ABSENT_HZ], NOT_HEARD,
                        f"the recording holds {ABSENT_HZ} Hz nobody sent" + description)


if __name__ == "__main__":
    unittest.main(verbosity=2)
