"""Headless Chromium (Debian's package) driven over the DevTools protocol.

Only what the page tests need: open a URL, run JavaScript inside the app's
iframe, wait for a condition, take a screenshot. The websocket client is the
`websockets` package Saleor already depends on.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # One process for the host page and the app's cross-origin iframe, so the
    # iframe's DOM is reachable from the page's target.
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
    "--remote-debugging-port=0",
    "--window-size=1200,900",
]


def find_chromium() -> str | None:
    """STORECREDIT_CHROMIUM, else Chromium on PATH; None when told to skip."""
    if os.environ.get("STORECREDIT_SKIP_BROWSER") == "1":
        return None
    configured = os.environ.get("STORECREDIT_CHROMIUM")
    if configured:
        return shutil.which(configured)
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, executable: str):
        self.profile = tempfile.mkdtemp(prefix="storecredit-chromium-")
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        self.socket = connect(page["webSocketDebuggerUrl"], max_size=None)
        self._next_id = 0
        self.send("Page.enable")
        self.send("Runtime.enable")

    def _devtools_port(self) -> int:
        path = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().strip():
                return int(path.read_text().split()[0])
            if self.process.poll() is not None:
                raise BrowserError("Chromium exited at start")
            time.sleep(0.1)
        raise BrowserError("Chromium did not open its DevTools port")

    def send(self, method: str, **params):
        self._next_id += 1
        message_id = self._next_id
        self.socket.send(
            json.dumps({"id": message_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == message_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    # --- pages ---------------------------------------------------------------

    def open(self, url: str):
        self.send("Page.navigate", url=url)
        self.wait_in_page("document.readyState === 'complete'")

    def allow_downloads(self, folder: Path):
        self.send(
            "Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder)
        )

    def evaluate(self, expression: str, context_id: int | None = None):
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context_id is not None:
            params["contextId"] = context_id
        result = self.send("Runtime.evaluate", **params)
        if "exceptionDetails" in result:
            raise BrowserError(result["exceptionDetails"].get("text", "error"))
        return result["result"].get("value")

    def wait_in_page(self, condition: str, timeout: float = 20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"Boolean({condition})"):
                return
            time.sleep(0.1)
        raise BrowserError(f"timed out waiting for {condition}")

    def _app_context(self) -> int:
        tree = self.send("Page.getFrameTree")["frameTree"]
        children = tree.get("childFrames") or []
        if not children:
            raise BrowserError("the host page has no app iframe")
        frame_id = children[0]["frame"]["id"]
        world = self.send(
            "Page.createIsolatedWorld", frameId=frame_id, worldName="storecredit-test"
        )
        return world["executionContextId"]

    def in_app(self, expression: str):
        """Evaluate JavaScript inside the app's iframe (its DOM, not its JS)."""
        return self.evaluate(HELPERS + expression, self._app_context())

    def wait_in_app(self, condition: str, timeout: float = 20):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                if self.in_app(f"Boolean({condition})"):
                    return
            except BrowserError as error:  # the iframe may be reloading
                last_error = error
            time.sleep(0.15)
        text = ""
        try:
            text = self.in_app("document.body.innerText")
        except BrowserError:
            pass
        raise BrowserError(
            f"timed out waiting for {condition} ({last_error}); page: {text}"
        )

    def screenshot(self, path: Path):
        data = self.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))


# Small DOM helpers defined in the isolated world before each expression.
HELPERS = r"""
var $ = id => document.querySelector(`[data-testid="${id}"]`);
var $$ = id => Array.from(document.querySelectorAll(`[data-testid="${id}"]`));
var text = id => ($(id) ? $(id).innerText : "");
var control = id => {
  const node = $(id);
  if (!node) throw new Error(`no element ${id}`);
  return node.matches("input, textarea, select") ? node : node.querySelector("input, textarea, select");
};
var fill = (id, value) => {
  const node = control(id);
  const proto = Object.getPrototypeOf(node);
  Object.getOwnPropertyDescriptor(proto, "value").set.call(node, value);
  node.dispatchEvent(new Event(node.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
  return true;
};
var click = id => {
  const node = $(id);
  if (!node) throw new Error(`no element ${id}`);
  node.click();
  return true;
};
"""
