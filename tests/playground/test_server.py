"""The playground's server on a real uvicorn at 127.0.0.1, driven by a WebSocket client: the
messages of docs/playground-protocol.md, pacing, and who may connect."""

import json
import socket
import threading
import time

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("websockets")

import uvicorn  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from chainrule.playground.protocol import unpack_frame  # noqa: E402
from chainrule.playground.server import create_app  # noqa: E402
from chainrule.playground.settings import LIMITS  # noqa: E402


class Running:
    """A uvicorn server in a thread, on a free port of 127.0.0.1."""

    def __init__(self, tmp_path, **options):
        (tmp_path / "index.html").write_text("<!doctype html><title>page</title>")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(create_app(static_dir=str(tmp_path), **options),
                                log_level="error", ws_per_message_deflate=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.01)
        assert self.server.started

    def url(self, path="/ws", host="127.0.0.1"):
        return f"ws://{host}:{self.port}{path}"

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def connect(self, path="/ws", **kwargs):
        kwargs.setdefault("origin", self.origin)
        return connect(self.url(path), open_timeout=5, close_timeout=2, **kwargs)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(tmp_path):
    running = Running(tmp_path)
    yield running
    running.stop()


def send(ws, **message):
    ws.send(json.dumps(message))


def receive(ws, timeout=10):
    """The next message: a dict for JSON text (checked to be strict JSON), (header, buffers)
    for a binary frame."""
    payload = ws.recv(timeout=timeout)
    if isinstance(payload, bytes):
        return unpack_frame(payload)
    return json.loads(payload, parse_constant=_no_constant)


def _no_constant(name):
    raise AssertionError(f"JSON holds {name}, which a browser's JSON.parse rejects")


def frame(ws, ack=True, timeout=10):
    """The next frame (skipping text messages), acknowledged as the page does after painting."""
    while True:
        message = receive(ws, timeout)
        if isinstance(message, tuple):
            header, buffers = message
            if ack:
                send(ws, type="ack", frame=header["frame"])
            return header, buffers


def hello(ws, **state):
    send(ws, type="hello", state={"numSamples": 200, "gridSize": 20, **state})
    data = receive(ws)
    assert data["type"] == "data"
    return data, frame(ws)


def test_hello_answers_data_then_a_frame(server):
    with server.connect() as ws:
        data, (header, buffers) = hello(ws, seed=5)
    assert data["seed"] == 5 and data["numClasses"] == 2 and data["extent"] == [-6, 6]
    assert len(data["train"]["x"]) == 100 and set(data["train"]["y"]) == {0, 1}
    assert header["type"] == "frame" and header["frame"] == 1 and header["epoch"] == 0
    assert header["network"]["sizes"] == [2, 4, 2, 1] and header["grid"]["size"] == 20
    assert header["lr"] == 0.03 and header["playing"] is False
    assert {"output", "input:x1", "input:x2", "node:1:0", "node:2:1"} <= set(buffers)
    assert all(b.size == 400 for b in buffers.values())


def test_step_trains_one_epoch_and_play_advances_until_pause(server):
    with server.connect() as ws:
        _, (first, _) = hello(ws)
        send(ws, type="step")
        header, _ = frame(ws)
        assert header["epoch"] == 1 and header["trainLoss"] != first["trainLoss"]
        send(ws, type="play")
        epochs = [frame(ws)[0]["epoch"] for _ in range(5)]
        assert epochs == sorted(epochs) and epochs[-1] >= 6
        send(ws, type="pause")
        last = epochs[-1]
        try:  # frames already in flight may still come; then nothing
            while True:
                last = frame(ws, timeout=0.5)[0]["epoch"]
        except TimeoutError:
            pass
        send(ws, type="step")
        assert frame(ws)[0]["epoch"] == last + 1


def test_epochs_per_frame(server):
    with server.connect() as ws:
        hello(ws, epochsPerFrame=7)
        send(ws, type="step")  # a step is one epoch whatever epochsPerFrame says
        assert frame(ws)[0]["epoch"] == 1
        send(ws, type="play")
        assert frame(ws)[0]["epoch"] == 8
        assert frame(ws)[0]["epoch"] == 15


def test_at_most_two_frames_go_unacknowledged(server):
    with server.connect() as ws:
        hello(ws)  # frame 1, acknowledged
        send(ws, type="play")
        got = [frame(ws, ack=False)[0]["frame"] for _ in range(2)]
        assert got == [2, 3]
        with pytest.raises(TimeoutError):
            frame(ws, ack=False, timeout=0.6)  # training waits for the screen
        send(ws, type="ack", frame=3)
        assert frame(ws)[0]["frame"] == 4


def test_config_live_and_reset(server):
    with server.connect() as ws:
        hello(ws)
        send(ws, type="step")
        frame(ws)
        send(ws, type="config", state={"learningRate": 0.1, "optimizer": "adam"})
        assert receive(ws) == {"type": "configured", "reset": False}
        header, _ = frame(ws)
        assert header["epoch"] == 1 and header["lr"] == 0.1
        send(ws, type="config", state={"dataset": "xor"})
        assert receive(ws) == {"type": "configured", "reset": True}
        assert receive(ws)["type"] == "data"
        assert frame(ws)[0]["epoch"] == 0


def test_a_bad_setting_is_refused_with_an_error_naming_it_and_the_session_goes_on(server):
    with server.connect() as ws:
        hello(ws)
        send(ws, type="config", state={"networkShape": [4] * 9})
        error = receive(ws)
        assert error["type"] == "error" and error["key"] == "networkShape"
        assert "network size limit" in error["message"]
        send(ws, type="config", state={"gridSize": 1000})
        assert receive(ws)["key"] == "gridSize"
        send(ws, type="step")
        assert frame(ws)[0]["epoch"] == 1


def test_edits_trace_export_and_csv(server):
    with server.connect() as ws:
        hello(ws)
        send(ws, type="setWeight", layer=0, **{"from": 1, "to": 2}, value=2.5)
        assert frame(ws)[0]["network"]["weights"][0][2][1] == 2.5
        send(ws, type="setBias", layer=1, node=0, value=-1.5)
        assert frame(ws)[0]["network"]["biases"][1][0] == -1.5
        send(ws, type="trace", index=4)
        t = receive(ws)
        assert t["type"] == "trace" and t["index"] == 4 and "W1" in t["text"]
        send(ws, type="export", what="data")
        e = receive(ws)
        import base64

        assert e["filename"].endswith(".csv") and \
            base64.b64decode(e["base64"]).startswith(b"x1,x2,label,split")
        text = "\n".join(f"{i % 7},{i % 5},{'a' if i % 2 else 'b'}" for i in range(40))
        send(ws, type="uploadCsv", name="mine.csv", text=text)
        data = receive(ws)
        assert data["type"] == "data" and data["dataset"] == "csv" and data["classes"] == ["a", "b"]
        frame(ws)
        send(ws, type="uploadCsv", name="bad.csv", text="1,2,a\n3,x,b\n")
        error = receive(ws)
        assert error["type"] == "error" and error["key"] == "csvValues"


def test_divergence_pauses_says_so_and_restore_sends_a_frame(server):
    with server.connect() as ws:
        hello(ws, problem="regression", dataset="plane", activation="linear", learningRate=10,
              batchSize=20)
        send(ws, type="play")
        while True:
            message = receive(ws)
            if isinstance(message, tuple):
                send(ws, type="ack", frame=message[0]["frame"])
            elif message["type"] == "diverged":
                break
        assert message["canRestore"] and "epoch" in message["message"]
        header, _ = frame(ws)  # the frame after divergence: JSON without NaN (receive checks)
        assert header["playing"] is False
        send(ws, type="play")
        assert receive(ws)["key"] == "diverged"
        send(ws, type="restore")
        assert frame(ws)[0]["trainLoss"] is not None


def test_messages_before_hello_unknown_or_too_large_are_refused(server):
    with server.connect() as ws:
        send(ws, type="play")
        assert "hello" in receive(ws)["message"]
        send(ws, type="fly")
        assert receive(ws)["key"] == "type"
        ws.send("not json")
        assert receive(ws)["type"] == "error"
        ws.send(json.dumps({"type": "uploadCsv", "text": "x" * (LIMITS["messageBytes"] + 1)}))
        error = receive(ws)
        assert error["key"] == "messageBytes" and "limit" in error["message"]


def test_two_connections_train_independently(server):
    with server.connect() as a, server.connect() as b:
        hello(a, seed=1)
        hello(b, seed=2)
        send(a, type="play")
        for _ in range(3):
            frame(a)
        send(b, type="step")
        assert frame(b)[0]["epoch"] == 1
        send(a, type="pause")


def test_the_page_is_served_and_a_foreign_host_is_refused(server):
    import httpx

    base = f"http://127.0.0.1:{server.port}"
    assert "page" in httpx.get(base + "/").text
    refused = httpx.get(base + "/", headers={"Host": f"evil.example:{server.port}"})
    assert refused.status_code == 403 and "Host" in refused.text


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1", None])
def test_a_foreign_or_missing_origin_is_refused(server, origin):
    with pytest.raises(InvalidStatus) as e:
        with server.connect(origin=origin):
            pass
    assert e.value.response.status_code == 403


def test_a_rebinding_host_is_refused_on_the_websocket(server):
    with pytest.raises(InvalidStatus) as e:
        # the name evil.example resolves to 127.0.0.1 (DNS rebinding): the socket says so
        sock = socket.create_connection(("127.0.0.1", server.port))
        with connect(server.url(host="evil.example"), sock=sock,
                     origin=f"http://evil.example:{server.port}", open_timeout=5):
            pass
    assert e.value.response.status_code == 403


def test_with_a_token_the_websocket_needs_it(tmp_path):
    running = Running(tmp_path, token="s3cret", allowed_hosts=None)
    try:
        for path in ("/ws", "/ws?token=wrong"):
            with pytest.raises(InvalidStatus):
                with running.connect(path):
                    pass
        with running.connect("/ws?token=s3cret") as ws:
            hello(ws)
    finally:
        running.stop()


def test_max_sessions_caps_concurrent_connections(tmp_path):
    running = Running(tmp_path, max_sessions=2)
    try:
        with running.connect() as a, running.connect() as b:
            hello(a)
            hello(b)
            with running.connect() as c:
                error = receive(c)
                assert error["key"] == "maxSessions" and "2" in error["message"]
                with pytest.raises(ConnectionClosed):
                    c.recv(timeout=5)
        with running.connect() as d:  # a closed tab frees its place
            hello(d)
    finally:
        running.stop()


def test_no_token_means_loopback_only():
    with pytest.raises(ValueError, match="token"):
        create_app(token=None, allowed_hosts=None)


def test_an_unexpected_failure_is_reported_and_the_session_goes_on(server, monkeypatch):
    from chainrule.playground.session import Session

    def broken(self, index):
        raise RuntimeError("boom")

    monkeypatch.setattr(Session, "trace", broken)
    with server.connect() as ws:
        hello(ws)
        send(ws, type="trace", index=0)
        error = receive(ws)
        assert error["type"] == "error" and "trace failed" in error["message"] and \
            "boom" in error["message"]
        send(ws, type="step")
        assert frame(ws)[0]["epoch"] == 1


def test_training_that_fails_pauses_and_says_so(server, monkeypatch):
    from chainrule.playground.session import Session

    def broken(self, epochs=1, seconds=None):
        raise ValueError("bad batch")

    with server.connect() as ws:
        hello(ws)
        monkeypatch.setattr(Session, "train", broken)
        send(ws, type="play")
        error = receive(ws)
        assert error["type"] == "error" and "training failed" in error["message"]
        send(ws, type="setBias", layer=0, node=0, value=0.5)  # still answering
        assert frame(ws)[0]["playing"] is False
