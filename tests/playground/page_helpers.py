"""What the page's browser tests share: a real server on a free port, Debian's Chromium through
Playwright, and small waits on what the page shows (its epoch counter, its painted frames).

Each test module starts one server and one browser (module-scoped fixtures in the module) and
opens a fresh page per test, so the modules stay fast and independent.
"""

import contextlib
import os
import socket
import threading
import time

CHROMIUM = "/usr/lib/chromium/chromium"
# the page of this source tree (the server's default is the installed package's copy)
STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "chainrule",
                      "playground", "static")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app):
    """Run an ASGI app under uvicorn in a thread, on loopback and a free port; yield its URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws_per_message_deflate=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the playground server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (its own browser download cannot work offline)."""
    from playwright.sync_api import sync_playwright
    from system_programs import require_system_program

    require_system_program("chromium", os.path.exists(CHROMIUM))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageUnderTest:
    """A tab on the playground with every console error and uncaught exception recorded."""

    def __init__(self, browser, url, viewport=(1360, 900)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if url is not None:
            self.goto(url)

    def goto(self, url):
        self.page.goto(url)
        self.wait_for_frame()

    def close(self):
        self.context.close()

    # what the page shows
    def epoch(self):
        return int(self.page.evaluate("document.body.dataset.epoch ?? '-1'"))

    def header(self):
        return self.page.evaluate("window.__playground.frame()?.header ?? null")

    def painted(self):
        return self.page.evaluate("window.__playground.painted")

    def state(self):
        return self.page.evaluate("window.__playground.state()")

    def wait_for_frame(self, after=None, timeout=15000):
        """Until a frame is painted (one newer than `after` painted frames, when given)."""
        after = 0 if after is None else after
        self.page.wait_for_function(f"window.__playground && window.__playground.painted > {after}",
                                    timeout=timeout)

    def wait_for_epoch(self, at_least, timeout=30000):
        self.page.wait_for_function(
            f"Number(document.body.dataset.epoch ?? -1) >= {at_least}", timeout=timeout)

    def pixel(self, canvas_id, fx, fy):
        """RGB of a canvas at a fraction (fx, fy) of its width and height, read back."""
        return self.page.evaluate(
            """([id, fx, fy]) => {
                 const c = document.getElementById(id);
                 const x = Math.min(c.width - 1, Math.floor(fx * c.width));
                 const y = Math.min(c.height - 1, Math.floor(fy * c.height));
                 return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
               }""", [canvas_id, fx, fy])

    def canvas_colors(self, canvas_id):
        """The distinct RGB colours of a canvas and how many pixels have each."""
        return self.page.evaluate(
            """(id) => {
                 const c = document.getElementById(id);
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 const counts = {};
                 for (let i = 0; i < d.length; i += 4) {
                   if (d[i + 3] === 0) continue;
                   const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
                   counts[k] = (counts[k] || 0) + 1;
                 }
                 return counts;
               }""", canvas_id)

    def snapshot(self, selector):
        """A data URL of every canvas under `selector`: to compare what was drawn."""
        return self.page.evaluate(
            "(s) => Array.from(document.querySelectorAll(s + ' canvas')).map(c => c.toDataURL())",
            selector)


ORANGE = (245, 147, 34)  # class 0 / -1 (colors.js)
BLUE = (8, 119, 189)  # class 1 / +1


def closer_to(rgb, a, b):
    """Whether colour rgb is nearer to a than to b."""
    def d(c):
        return sum((x - y) ** 2 for x, y in zip(rgb, c))
    return d(a) < d(b)
