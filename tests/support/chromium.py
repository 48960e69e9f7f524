"""Headless Chromium driven over the DevTools protocol through a pipe (``--remote-debugging-pipe``: JSON
messages ending in NUL on file descriptors 3 and 4), with no library beyond the standard one.

    with Chromium(profile_dir) as browser:
        page = browser.open("http://127.0.0.1:8000/", wait_for="document.querySelector('h1')")
        page.title, page.html, page.requests, page.screenshot  # screenshot: PNG bytes

``page.requests`` is every URL the page itself asked for (the Network domain of its own target), so
the browser's own calls home (updates, accounts) are not counted as the page's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def chromium_program() -> str | None:
    """The browser program: Debian's /usr/lib/chromium/chromium itself (its /usr/bin wrapper adds
    Google API keys and remote extensions), else whatever chromium is on PATH."""
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@dataclass
class Page:
    url: str
    title: str = ""
    html: str = ""
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""


class Chromium:
    def __init__(self, profile: Path, extra_args: tuple[str, ...] = ()):
        program = chromium_program()
        if program is None:
            raise RuntimeError("Chromium is not installed")
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()

        def wire_pipes():  # the protocol's fixed descriptors in the child
            # Copies first: the pipes may themselves be 3 or 4, and dup2 onto itself would keep them
            # close-on-exec.
            reading, writing = os.dup(to_child_read), os.dup(from_child_write)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        environment = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_")}
        self.process = subprocess.Popen(
            [
                program, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", *extra_args,
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipes,
            env=environment,
        )
        os.close(to_child_read)
        os.close(from_child_write)
        self._next_id = 0
        self._replies: dict[int, queue.Queue] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message and message["id"] in self._replies:
                    self._replies[message["id"]].put(message)
                else:
                    self._events.put(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60):
        with self._lock:
            self._next_id += 1
            number = self._next_id
            self._replies[number] = queue.Queue()
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        reply = self._replies[number].get(timeout=timeout)
        del self._replies[number]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _drain(self, session: str, page: Page, until: float, stop_on: str | None = None) -> bool:
        while time.monotonic() < until:
            try:
                event = self._events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event.get("sessionId") != session:
                continue
            if event.get("method") == "Network.requestWillBeSent":
                page.requests.append(event["params"]["request"]["url"])
            if stop_on and event.get("method") == stop_on:
                return True
        return False

    def evaluate(self, session: str, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return result.get("result", {}).get("value")

    def open(self, url: str, *, width: int = 1280, height: int = 1600, wait_for: str | None = None,
             timeout: float = 30.0) -> Page:
        """Load ``url`` in a new tab, wait for its load event (and ``wait_for``, a JavaScript expression,
        to be true), and return what a reader sees."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(url)
        try:
            for method in ("Network.enable", "Page.enable", "Runtime.enable"):
                self.call(method, session=session)
            self.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session,
            )
            self.call("Page.navigate", {"url": url}, session)
            deadline = time.monotonic() + timeout
            if not self._drain(session, page, deadline, stop_on="Page.loadEventFired"):
                raise TimeoutError(f"{url} did not finish loading in {timeout:g} s")
            if wait_for:
                while not self.evaluate(session, f"Boolean({wait_for})"):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{url}: {wait_for} still false after {timeout:g} s")
                    self._drain(session, page, time.monotonic() + 0.2)
            self._drain(session, page, time.monotonic() + 0.5)  # late requests of the page
            page.title = self.evaluate(session, "document.title") or ""
            page.html = self.evaluate(session, "document.documentElement.outerHTML") or ""
            shot = self.call("Page.captureScreenshot", {"format": "png"}, session)
            page.screenshot = base64.b64decode(shot["data"])
        finally:
            self.call("Target.closeTarget", {"targetId": target})
        return page
