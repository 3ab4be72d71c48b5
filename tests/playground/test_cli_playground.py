"""``chainrule playground`` as a user starts it: the printed URL works, --host adds a token."""

import json
import re
import signal
import subprocess
import sys

import pytest

pytest.importorskip("uvicorn")
from websockets.exceptions import InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402


def start(*options):
    process = subprocess.Popen([sys.executable, "-m", "chainrule", "playground", "--no-browser",
                                "--port", "0", *options], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"(http://[^\s]+)", line)
    assert match, f"no URL in {line!r} (stderr: {process.stderr.read() if not line else ''})"
    return process, match.group(1)


def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    process.stderr.close()


def test_the_printed_url_serves_a_session():
    process, url = start()
    try:
        host = re.match(r"http://([^/]+)/", url).group(1)
        assert host.startswith("127.0.0.1:") and "token" not in url
        with connect(f"ws://{host}/ws", origin=f"http://{host}", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "state": {"numSamples": 100}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "data"
            assert isinstance(ws.recv(timeout=10), bytes)
    finally:
        stop(process)


def test_host_option_prints_a_token_that_the_websocket_requires():
    process, url = start("--host", "127.0.0.1")
    try:
        host, token = re.match(r"http://([^/]+)/\?token=([\w-]+)$", url).groups()
        with pytest.raises(InvalidStatus):
            with connect(f"ws://{host}/ws", origin=f"http://{host}", open_timeout=10):
                pass
        with connect(f"ws://{host}/ws?token={token}", origin=f"http://{host}",
                     open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "state": {}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "data"
    finally:
        stop(process)


def test_bad_options_are_refused_by_name(capsys):
    from chainrule.cli import main

    for argv, words in ((["playground", "--port", "70000"], "--port"),
                        (["playground", "--max-sessions", "0"], "--max-sessions")):
        with pytest.raises(SystemExit):
            main(argv)
        assert words in capsys.readouterr().err
