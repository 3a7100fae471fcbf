"""Debian's chromium, headless, driven through browser_driver.js (puppeteer-core
from tests/console/node_modules, which ops/setup.sh installs with `npm ci`)."""

import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.environ.get("NODE", "node")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DRIVER = os.path.join(HERE, "browser_driver.js")

# Viewports the console is judged at: a laptop, and a phone (a 390 px wide
# touch screen, as an iPhone 12-15 or a Pixel 7 has).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "isMobile": True, "hasTouch": True}


def require_browser():
    """Fails (never skips) without node, chromium or puppeteer-core."""
    missing = []
    if not shutil.which(NODE):
        missing.append(f"node ({NODE})")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"chromium ({CHROMIUM})")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "puppeteer-core")):
        missing.append("puppeteer-core (tests/console/node_modules)")
    if missing:
        raise AssertionError("the browser test needs " + ", ".join(missing) +
                             ": run ops/setup.sh (apt chromium, npm ci in tests/console)")


class BrowserError(AssertionError):
    pass


class Browser:
    """One headless chromium with one page, steered command by command."""

    def __init__(self):
        require_browser()
        self.proc = subprocess.Popen([NODE, DRIVER], cwd=HERE, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "CHROMIUM": CHROMIUM})

    def do(self, op, **args):
        """Runs one command; its value, or BrowserError with the driver's reason."""
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BrowserError(f"the browser driver ended during {op}: "
                               f"{self.proc.stderr.read()[-3000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise BrowserError(f"{op} {args}: {answer['error']}")
        return answer.get("value")

    def open(self, url, viewport=DESKTOP):
        return self.do("open", url=url, viewport=viewport)

    def eval(self, js):
        return self.do("eval", js=js)

    def wait(self, what, js, timeout=10):
        """Waits until the expression `js` is truthy in the page and returns
        its value; fails with `what` and the page's text after `timeout` s."""
        try:
            return self.do("wait", js=js, timeout=int(timeout * 1000))
        except BrowserError as error:
            if "TimeoutError" not in str(error) and "Waiting failed" not in str(error):
                raise
            page = self.eval("document.body.innerText")
            raise AssertionError(f"{what} within {timeout}s; the page said:\n{page[-3000:]}\n"
                                 f"page errors: {self.do('errors')}") from None

    def close(self):
        if self.proc.poll() is None:
            try:
                self.do("close")
            except BrowserError:
                pass
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()
