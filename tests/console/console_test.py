"""browser.console: the operator's console in a real browser (Debian's
chromium, headless, driven by puppeteer-core) against a real tuttid, with real
SIP callers (the harness's RTP callers: a talker and a listener).

The operator signs in with the API token (a wrong one is refused), sees the
talker join with its codec, sees its talking indicator go on and off while
the page may read nothing but the event stream, mutes it with the button (the
API says muted, and the listener no longer hears its tone), and unmutes it
again on a phone's screen, which must fit the page without sideways
scrolling. Chat from the server is shown as text, never run as HTML. The
token never appears in a URL. Screenshots of both screens are kept under
the build tree (TUTTI_ARTEFACTS), their paths printed.

Needs TUTTID (ctest sets it), chromium and tests/console/node_modules
(ops/setup.sh installs both).
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from console_browser import DESKTOP, PHONE, Browser  # noqa: E402
from media_rules_test import HEARD_DBFS, NOT_HEARD_DBFS, TONE_HZ, Caller  # noqa: E402
from tutti_harness import EventStream, Tuttid, require_tuttid  # noqa: E402

ARTEFACTS = os.environ.get("TUTTI_ARTEFACTS") or tempfile.mkdtemp(prefix="tutti-console-")

ROOMS = """
[[room]]
name = "1000"
announce_joins = false
music_when_alone = false

[[room]]
name = "chat"
"""


def participant_row(room, uri):
    """A JS expression: the participant row of `uri` in `room`'s card, or null."""
    return (f"[...document.querySelectorAll('article[data-room=\"{room}\"] .participant')]"
            f".find((row) => row.querySelector('.name').textContent === '{uri}') || null")


class ConsoleTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_tuttid()
        os.makedirs(ARTEFACTS, exist_ok=True)
        cls.server = Tuttid(rooms=ROOMS)
        cls.url = f"http://127.0.0.1:{cls.server.api_port}"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"tuttid exited {code}:\n" + cls.server.log_text()[-3000:])

    def setUp(self):
        self.browser = Browser()
        self.callers = []

    def tearDown(self):
        for caller in self.callers:
            caller.stop_streaming()
            caller.hang_up_and_close()
        self.browser.close()

    def dial(self, name):
        caller = Caller(self.server.port, "1000", name, tone_hz=0)
        self.callers.append(caller)
        caller.invite()
        caller.start_streaming()  # silence until tone_hz is set
        return caller

    def sign_in(self, token, viewport=DESKTOP):
        b = self.browser
        # "/" leads to the console.
        self.assertEqual(b.open(self.url + "/", viewport), self.url + "/console/")
        b.wait("the sign-in form", "document.querySelector('#token') !== null")
        b.do("type", selector="#token", text=token)
        b.do("click", selector="#sign-in-form button[type=submit]")

    def signed_in(self):
        self.sign_in(self.server.api_token)
        self.browser.wait("the console after signing in",
                          "!document.querySelector('#console').hidden && "
                          "document.querySelector('article[data-room=\"1000\"]') !== null")
        self.browser.wait("the event stream", "document.querySelector('#connection')"
                          ".dataset.state === 'live'")

    def page_errors(self):
        """The page's errors, less the requests the test itself failed."""
        return [e for e in self.browser.do("errors") if "net::ERR_FAILED" not in e]

    def check_token_stays_out_of_urls(self):
        token = self.server.api_token
        requests = self.browser.do("requests")
        self.assertTrue(requests)
        for request in requests:
            self.assertNotIn(token, request["url"])
            if "/v1/" in request["url"]:
                self.assertTrue(request["authorization"], f"{request['url']} without the token")
        self.assertNotIn(token, self.browser.do("url"))
        self.assertEqual(self.browser.eval("sessionStorage.getItem('tutti.token')"), token)
        self.assertEqual(self.browser.eval("localStorage.length"), 0)
        self.assertEqual(self.browser.eval("document.cookie"), "")

    def check_room_buttons(self):
        """Lock, record and play in room 1000, each confirmed by the API or
        the event stream, and shown on the card."""
        b = self.browser
        card = "article[data-room='1000']"
        room = lambda: self.server.api("GET", "/v1/rooms/1000")[1]  # noqa: E731
        b.do("click", selector=f"{card} .lock")
        self.server.wait_until("the room locked", lambda: room()["locked"])
        b.wait("the locked badge", f"!document.querySelector(\"{card} .room-locked\").hidden")
        b.do("click", selector=f"{card} .lock")
        self.server.wait_until("the room unlocked", lambda: not room()["locked"])

        b.do("click", selector=f"{card} .record")
        self.server.wait_until("the room recorded", lambda: room()["recording"])
        b.wait("the recording badge and the stop button",
               f"!document.querySelector(\"{card} .room-recording\").hidden && "
               f"document.querySelector(\"{card} .record\").textContent === 'Stop recording'")
        b.do("click", selector=f"{card} .record")
        self.server.wait_until("the recording stopped", lambda: room()["recording"] is None)
        b.wait("the recording badge gone",
               f"document.querySelector(\"{card} .room-recording\").hidden")

        events = EventStream(self.server, until="playback_started")
        prompt = b.eval(f"document.querySelector(\"{card} .prompt\").value")
        self.assertTrue(prompt, "no prompt to choose")
        b.do("click", selector=f"{card} .play-room")
        events.join(10)
        played = [data for kind, data in events.events if kind == "playback_started"]
        self.assertTrue(played, f"nothing played: {events.kinds()}")
        self.assertEqual(played[0]["prompt"], prompt)

    def test_a_wrong_token_is_refused_and_shows_nothing(self):
        self.sign_in("not-the-token-at-all")
        said = self.browser.wait("a refusal", "document.querySelector('#sign-in-error')"
                                 ".textContent")
        self.assertIn("refused", said)
        self.assertTrue(self.browser.eval("document.querySelector('#console').hidden"))
        self.assertEqual(self.browser.eval("document.querySelectorAll('article.room').length"), 0)
        self.assertIsNone(self.browser.eval("sessionStorage.getItem('tutti.token')"))

    def test_an_operator_sees_a_caller_talk_and_mutes_it(self):
        b = self.browser
        self.signed_in()
        talker = self.dial("talker")
        listener = self.dial("listener")
        row = participant_row("1000", "sip:talker@127.0.0.1")
        b.wait("the talker in room 1000", row)
        api_id = self.server.participants("1000")["sip:talker@127.0.0.1"]["id"]
        self.assertEqual(b.eval(f"({row}).dataset.id"), str(api_id))
        b.wait("the talker's codec", f"({row}).querySelector('.codec').textContent === 'PCMU'")
        self.assertFalse(b.eval(f"({row}).classList.contains('talking')"))

        # From here the page may not read a room: only the event stream can
        # turn the indicator on and off.
        b.do("block", prefix="/v1/rooms")
        probe = ("fetch('/v1/rooms/1000', {headers: {Authorization: 'Bearer ' + "
                 "sessionStorage.getItem('tutti.token')}}).then(() => 'read', () => 'failed')")
        self.assertEqual(b.eval(probe), "failed", "the block does not hold")
        talker.tone_hz = TONE_HZ
        b.wait("the talking indicator on", f"({row}).classList.contains('talking')")
        self.server.wait_until("the listener hearing the talker",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)
        talker.tone_hz = 0
        b.wait("the talking indicator off", f"!({row}).classList.contains('talking')")
        b.do("unblock")

        # Mute by the button: the API and the listener's ears agree.
        talker.tone_hz = TONE_HZ
        self.server.wait_until("the listener hearing the talker again",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)
        self.assertEqual(b.eval(f"({row}).querySelector('.mute').textContent"), "Mute")
        b.do("click", selector=f"article[data-room='1000'] .participant[data-id='{api_id}'] .mute")
        self.server.wait_until("the API showing the talker muted",
                               lambda: self.server.participants("1000")
                               ["sip:talker@127.0.0.1"]["muted"])
        self.server.wait_until("the listener no longer hearing the muted talker",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) < NOT_HEARD_DBFS)
        b.wait("the row showing muted", f"({row}).classList.contains('muted') && "
               f"({row}).querySelector('.mute').textContent === 'Unmute'")
        self.check_room_buttons()
        b.wait("the load of the worker", "document.querySelector('#workers .worker-detail')"
               " && document.querySelector('#workers .worker-detail').textContent"
               ".startsWith('1 room, 2 participants')")
        desktop = os.path.join(ARTEFACTS, "console-desktop.png")
        b.do("screenshot", path=desktop, fullPage=True)
        print(f"screenshot (desktop): {desktop}")

        # A phone: the same page (the token kept in this tab), no sideways
        # scrolling, and the button under a finger unmutes.
        b.do("viewport", viewport=PHONE)
        b.wait("the console on the phone", f"({row}) !== null && "
               f"({row}).querySelector('.mute').textContent === 'Unmute'")
        width = b.eval("[document.documentElement.scrollWidth, window.innerWidth]")
        self.assertLessEqual(width[0], width[1], "the page is wider than the phone's screen")
        box = b.eval(f"(() => {{ const r = ({row}).querySelector('.mute')"
                     ".getBoundingClientRect(); return [r.left, r.right, r.height]; })()")
        self.assertGreaterEqual(box[0], 0)
        self.assertLessEqual(box[1], PHONE["width"], "the mute button is off the screen")
        self.assertGreaterEqual(box[2], 40, "the mute button is too small for a finger")
        b.do("click", selector=f"article[data-room='1000'] .participant[data-id='{api_id}'] .mute")
        self.server.wait_until("the API showing the talker unmuted",
                               lambda: not self.server.participants("1000")
                               ["sip:talker@127.0.0.1"]["muted"])
        self.server.wait_until("the listener hearing the unmuted talker",
                               lambda: listener.recent_tone_dbfs(TONE_HZ) > HEARD_DBFS)
        b.wait("the row showing unmuted", f"!({row}).classList.contains('muted')")
        phone = os.path.join(ARTEFACTS, "console-phone.png")
        b.do("screenshot", path=phone, fullPage=True)
        print(f"screenshot (phone): {phone}")

        self.check_token_stays_out_of_urls()
        self.assertEqual(self.page_errors(), [])

    def test_chat_from_the_server_is_text_and_the_operator_can_answer(self):
        b = self.browser
        self.signed_in()
        b.do("click", selector="article[data-room='chat'] .chat summary")
        b.wait("the chat read", "document.querySelector(\"article[data-room='chat'] .chat\").open")
        hostile = '<img src=x onerror="document.title=\'owned\'"><b>bold</b>'
        status, _ = self.server.api("POST", "/v1/rooms/chat/messages",
                                    {"body": hostile, "from": "eve & co"})
        self.assertEqual(status, 201)
        said = b.wait("the message in the chat",
                      "(() => { const m = document.querySelector(\"article[data-room='chat'] "
                      ".message\"); return m && [m.querySelector('.sender').textContent, "
                      "m.querySelector('.body').textContent]; })()")
        self.assertEqual(said, ["eve & co", hostile])
        self.assertEqual(b.eval("document.querySelectorAll('.messages img, .messages b').length"),
                         0)
        self.assertNotEqual(b.eval("document.title"), "owned")

        b.do("type", selector="article[data-room='chat'] .chat-text", text="on my way")
        b.do("click", selector="article[data-room='chat'] .chat-form button")
        self.server.wait_until(
            "the operator's message in the room",
            lambda: any(m["body"] == "on my way" and m["via"] == "api"
                        for m in self.server.api("GET", "/v1/rooms/chat/messages")[1]["messages"]))
        b.wait("the operator's message shown",
               "document.querySelectorAll(\"article[data-room='chat'] .message\").length === 2")
        self.assertEqual(self.page_errors(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
