"""The playground under load: how fast one session trains and the page paints, and how many
classroom sessions one machine carries.

Two measurements in one run, against one playground server started in a subprocess (so its
memory can be read from /proc):

  (a) one session in headless Chromium (Debian's), the page at TF Playground's default settings
      (circle, X1 and X2, 4-2 tanh, learning rate 0.03, batch 10, ratio 50 %, 500 points, one
      epoch per frame), playing for a few seconds: epochs per second (the frame header's epoch)
      and painted frames per second (the page's own count of frames drawn to its canvases and
      acknowledged). Also at 5 epochs per frame, the page's "Epochs / frame" setting.
  (b) a classroom on loopback: N concurrent sessions, each a WebSocket client that plays and
      acknowledges every frame at once (a page that paints instantly), for T seconds; epochs per
      second of each session, and the server's resident memory before and during, per session.

Targets (issue 11): (a) at least 60 epochs/s with at least 30 painted frames/s; (b) 20 sessions
each above 10 epochs/s, memory per session stated.

Usage:  python benchmarks/playground.py [--seconds 8] [--sessions 20] [--quick]
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

from _harness import describe_environment, table

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_SESSIONS = 64  # bound of the load test
MAX_SECONDS = 120


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, max_sessions):
    code = ("import uvicorn; from chainrule.playground.server import create_app; "
            f"uvicorn.run(create_app(max_sessions={max_sessions}), host='127.0.0.1', port={port}, "
            "ws_per_message_deflate=False, log_level='warning')")
    process = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the playground server did not start")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def browser_run(url, seconds, epochs_per_frame):
    """Epochs/s and painted frames/s of one page playing for `seconds`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{url}/#seed=1&epochsPerFrame={epochs_per_frame}")
        page.wait_for_function("window.__playground && window.__playground.painted > 0")
        page.click("#play")
        page.wait_for_timeout(1000)  # warm-up
        read = ("[window.__playground.frame().header.epoch, window.__playground.painted, "
                "window.__playground.paintMs]")
        e0, f0, m0 = page.evaluate(read)
        t0 = time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        e1, f1, m1 = page.evaluate(read)
        elapsed = time.perf_counter() - t0
        page.click("#play")
        browser.close()
    return (e1 - e0) / elapsed, (f1 - f0) / elapsed, (m1 - m0) / max(f1 - f0, 1)


async def classroom(port, sessions, seconds, server_pid):
    """Epochs/s of each of `sessions` concurrent sessions, and the server's memory per session."""
    from websockets.asyncio.client import connect

    origin = f"http://127.0.0.1:{port}"
    epochs = [0] * sessions
    ready = asyncio.Event()
    start_epochs = [None] * sessions
    stop = asyncio.Event()

    async def student(k):
        async with connect(f"ws://127.0.0.1:{port}/ws", origin=origin, compression=None,
                           max_size=None) as ws:
            await ws.send(json.dumps({"type": "hello", "state": {"seed": k}}))
            await ws.send(json.dumps({"type": "play"}))
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except asyncio.TimeoutError:
                    continue
                if isinstance(message, bytes):
                    n = int.from_bytes(message[:4], "little")
                    header = json.loads(message[4:4 + n])
                    epochs[k] = header["epoch"]
                    if ready.is_set() and start_epochs[k] is None:
                        start_epochs[k] = header["epoch"]
                    await ws.send(json.dumps({"type": "ack", "frame": header["frame"]}))
            await ws.send(json.dumps({"type": "pause"}))

    before = rss_mib(server_pid)
    tasks = [asyncio.create_task(student(k)) for k in range(sessions)]
    await asyncio.sleep(2.0)  # all connected and playing
    ready.set()
    t0 = time.perf_counter()
    await asyncio.sleep(0.3)
    e0 = [e if s is None else s for e, s in zip(epochs, start_epochs)]
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    e1 = list(epochs)
    elapsed = time.perf_counter() - t0
    during = rss_mib(server_pid)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    rates = [(b - a) / elapsed for a, b in zip(e0, e1)]
    return rates, before, during


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a smoke run; not for quoting")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else min(args.seconds, MAX_SECONDS)
    sessions = 3 if args.quick else min(args.sessions, MAX_SESSIONS)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: scripts/test-system-deps.sh installs it")

    port = free_port()
    server = start_server(port, max_sessions=max(sessions, 4))
    try:
        print(describe_environment(1))
        idle = rss_mib(server.pid)
        rows = []
        for per_frame in (1, 2, 5):
            eps, fps, ms = browser_run(f"http://127.0.0.1:{port}", seconds, per_frame)
            rows.append([f"one page, {per_frame} epoch(s)/frame", f"{eps:.0f}", f"{fps:.0f}",
                         f"{eps / 60:.2f}x", f"{fps / 30:.2f}x", f"{ms:.1f}"])
        print(f"\n(a) one session in headless Chromium, TF Playground's defaults, {seconds:.0f} s")
        print(table(["run", "epochs/s", "painted frames/s", "epochs/s vs 60", "frames/s vs 30",
                     "page ms per paint"], rows))
        rates, before, during = asyncio.run(classroom(port, sessions, seconds, server.pid))
        rates.sort()
        print(f"\n(b) {sessions} concurrent sessions on loopback, each playing for {seconds:.0f} s "
              "(clients acknowledge every frame at once)")
        print(table(["sessions", "slowest epochs/s", "median epochs/s", "fastest epochs/s",
                     "sessions above 10/s", "total epochs/s"],
                    [[sessions, f"{rates[0]:.1f}", f"{rates[len(rates) // 2]:.1f}",
                      f"{rates[-1]:.1f}", f"{sum(r > 10 for r in rates)}/{sessions}",
                      f"{sum(rates):.0f}"]]))
        print(f"\nserver resident memory: {idle:.0f} MiB idle (nothing served yet), {before:.0f} "
              f"MiB after the page runs, {during:.0f} MiB with {sessions} sessions playing: "
              f"{(during - before) / sessions:.2f} MiB per session over the warmed-up server, "
              f"{(during - idle) / sessions:.2f} MiB per session over the idle one")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
