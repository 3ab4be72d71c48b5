"""The playground's server: Starlette under uvicorn, one WebSocket per browser tab = one session.

It serves the page (``static/``), checks who is asking (Host, Origin, token), enforces the
limits, paces training and turns a ``Session``'s results into the messages of
docs/playground-protocol.md. All numerics stay in ``session.py``.

Pacing: training runs in slices of a few milliseconds inside the event loop, yielding between
slices, so a pause, a step or an edit is answered at once; at most ``MAX_UNACKED`` frames are
sent before the page acknowledges one, so training never runs ahead of the screen.
"""

import asyncio
import hmac
import json
import logging
import os

from starlette.applications import Starlette
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .protocol import dumps, pack_frame
from .session import Diverged, Session
from .settings import LIMITS, SettingError

logger = logging.getLogger("chainrule.playground")
STATIC = os.path.join(os.path.dirname(__file__), "static")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_UNACKED = 2
SLICE_SECONDS = 0.004  # one slice of training between two looks at the socket
POLICY_VIOLATION = 1008  # WebSocket close codes
TRY_AGAIN_LATER = 1013


def _host_name(host_header):
    """'localhost:8765' -> 'localhost'; '[::1]:8765' -> '[::1]'."""
    if host_header.startswith("["):
        return host_header.split("]")[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


class HostCheck:
    """ASGI middleware: refuse a request whose Host header does not name this server (DNS
    rebinding: a page of evil.example whose name resolves to 127.0.0.1 would send its own)."""

    def __init__(self, app, allowed):
        self.app = app
        self.allowed = allowed  # host names, or None for any (a token guards the server)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and self.allowed is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if _host_name(host) not in self.allowed:
                if scope["type"] == "http":
                    response = PlainTextResponse(f"Host {host!r} refused: this server answers "
                                                 "only to its own address", status_code=403)
                    await response(scope, receive, send)
                else:  # closing before accept: the handshake is refused with 403
                    await send({"type": "websocket.close", "code": POLICY_VIOLATION})
                return
        await self.app(scope, receive, send)


class Playground:
    """The server's state: its options and the live connections."""

    def __init__(self, token=None, max_sessions=20, static_dir=STATIC):
        self.token = token
        self.max_sessions = max_sessions
        self.static_dir = static_dir
        self.connections = set()

    def origin_ok(self, websocket):
        """The page's own origin: http(s)://HOST where HOST is the Host header just checked."""
        origin = websocket.headers.get("origin")
        host = websocket.headers.get("host")
        return origin is not None and host is not None and \
            origin in (f"http://{host}", f"https://{host}")

    def token_ok(self, websocket):
        if self.token is None:
            return True
        given = websocket.query_params.get("token", "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def websocket(self, websocket: WebSocket):
        if not self.origin_ok(websocket) or not self.token_ok(websocket):
            await websocket.close(code=POLICY_VIOLATION)  # before accept: HTTP 403
            return
        await websocket.accept()
        if len(self.connections) >= self.max_sessions:
            await websocket.send_text(dumps({
                "type": "error", "key": "maxSessions",
                "message": f"the server already runs {self.max_sessions} sessions, its limit "
                           "(--max-sessions); try again later"}))
            await websocket.close(code=TRY_AGAIN_LATER)
            return
        connection = Connection(websocket)
        self.connections.add(connection)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)

    async def index(self, request):
        path = os.path.join(self.static_dir, "index.html")
        if not os.path.isfile(path):
            return PlainTextResponse("The playground's page is not installed (static/).",
                                     status_code=404)
        return FileResponse(path, headers={"Cache-Control": "no-cache"})


class Connection:
    """One browser tab: its session, the training task and the frame pacing."""

    def __init__(self, websocket):
        self.ws = websocket
        self.session = None
        self.playing = False
        self.steps = 0  # epochs asked for by "step", each answered by a frame
        self.frame = 0  # the last frame number sent
        self.acked = 0  # the last frame number painted
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()

    async def serve(self):
        trainer = asyncio.create_task(self.train())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    await self.error("messages must be JSON text", "message")
                    continue
                await self.handle(text)
        except WebSocketDisconnect:
            return
        finally:
            trainer.cancel()
            try:
                await trainer
            except (asyncio.CancelledError, Exception):
                pass

    # -- sending ------------------------------------------------------------------------------
    async def send_json(self, message):
        async with self.send_lock:
            await self.ws.send_text(dumps(message))

    async def error(self, message, key=None):
        await self.send_json({"type": "error", "message": message, "key": key})

    async def send_frame(self):
        s = self.session
        header = s.frame_header()
        self.frame += 1
        header.update(frame=self.frame, playing=self.playing)
        payload = pack_frame(header, s.grid())
        async with self.send_lock:
            await self.ws.send_bytes(payload)

    async def send_data(self):
        await self.send_json({"type": "data", **self.session.data_message()})

    # -- receiving ----------------------------------------------------------------------------
    async def handle(self, text):
        if len(text) > LIMITS["messageBytes"]:
            await self.error(f"message too large: {len(text)} bytes, the limit (messageBytes) "
                             f"is {LIMITS['messageBytes']}", "messageBytes")
            return
        try:
            message = json.loads(text)
        except ValueError:
            await self.error("a message must be JSON", "message")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        handler = getattr(self, "on_" + kind, None) if isinstance(kind, str) else None
        if handler is None:
            await self.error(f"unknown message type {kind!r}", "type")
            return
        if self.session is None and kind != "hello":
            await self.error("send hello (with the settings) first", "type")
            return
        try:
            await handler(message)
        except SettingError as e:
            await self.error(str(e), e.key)
        except (ConnectionError, WebSocketDisconnect):
            raise
        except Exception as e:  # a bug must not end the tab's session: say what failed
            logger.exception("playground: %s failed", kind)
            await self.error(f"{kind} failed: {type(e).__name__}: {e}", None)
        self.wake.set()

    async def on_hello(self, message):
        self.session = Session(message.get("state") or {})
        self.playing = False
        await self.send_data()
        await self.send_frame()

    async def on_config(self, message):
        reset, data_changed = self.session.configure(message.get("state") or {})
        await self.send_json({"type": "configured", "reset": reset})
        if data_changed:
            await self.send_data()
        await self.send_frame()

    async def on_play(self, message):
        self._check_sound()
        self.playing = True

    def _check_sound(self):
        if self.session.diverged:
            raise SettingError("diverged", f"training diverged ({self.session.diverged}); "
                                           "restore the last good weights or reset first")

    async def on_pause(self, message):
        self.playing = False
        self.steps = 0

    async def on_step(self, message):
        self._check_sound()
        self.steps += 1

    async def on_reset(self, message):
        self.session.reset()
        self.steps = 0
        await self.send_frame()

    async def on_regenerate(self, message):
        self.session.regenerate()
        await self.send_data()
        await self.send_frame()

    async def on_ack(self, message):
        n = message.get("frame")
        if isinstance(n, int) and not isinstance(n, bool):
            self.acked = max(self.acked, min(n, self.frame))

    async def on_setWeight(self, message):  # noqa: N802 - the protocol's name
        self.session.set_weight(message.get("layer"), message.get("from"), message.get("to"),
                                message.get("value"))
        await self.send_frame()

    async def on_setBias(self, message):  # noqa: N802
        self.session.set_bias(message.get("layer"), message.get("node"), message.get("value"))
        await self.send_frame()

    async def on_uploadCsv(self, message):  # noqa: N802
        self.session.upload_csv(message.get("name"), message.get("text"))
        await self.send_data()
        await self.send_frame()

    async def on_trace(self, message):
        await self.send_json({"type": "trace", **self.session.trace(message.get("index"))})

    async def on_export(self, message):
        what = message.get("what")
        filename, mime, payload = self.session.export(what)
        await self.send_json({"type": "export", "what": what, "filename": filename,
                              "mime": mime, "base64": Session.encode(payload)})

    async def on_restore(self, message):
        self.session.restore()
        await self.send_frame()

    # -- training -----------------------------------------------------------------------------
    async def train(self):
        """Train while playing (or stepping), a slice at a time; a frame after each
        ``epochsPerFrame`` epochs (one epoch for a step), never more than MAX_UNACKED ahead."""
        done = 0
        while True:
            s = self.session
            if s is not None and s.diverged:
                self.playing, self.steps = False, 0
            want = 0 if s is None else 1 if self.steps else \
                s.settings["epochsPerFrame"] if self.playing else 0
            if want == 0 or self.frame - self.acked >= MAX_UNACKED:
                done = 0 if want == 0 else done
                self.wake.clear()
                await self.wake.wait()
                continue
            try:
                done += s.train(epochs=want - done, seconds=SLICE_SECONDS)
            except (ConnectionError, WebSocketDisconnect):
                raise
            except Diverged as e:
                self.playing, self.steps, done = False, 0, 0
                await self.send_json({"type": "diverged", "epoch": s.epoch, "message": str(e),
                                      "canRestore": True})
                await self.send_frame()
                continue
            except Exception as e:  # a bug: pause and say so rather than die silently
                logger.exception("playground: training failed")
                self.playing, self.steps, done = False, 0, 0
                await self.error(f"training failed: {type(e).__name__}: {e}", None)
                continue
            if done >= want:
                done = 0
                if self.steps:
                    self.steps -= 1
                await self.send_frame()
            await asyncio.sleep(0)  # let pause, ack and edits in between slices


def create_app(token=None, max_sessions=20, allowed_hosts=LOOPBACK_NAMES, static_dir=STATIC):
    """The ASGI app. ``allowed_hosts=None`` accepts any Host header (only with a token)."""
    if allowed_hosts is None and token is None:
        raise ValueError("a server that answers to any host name needs an access token")
    playground = Playground(token=token, max_sessions=max_sessions, static_dir=static_dir)
    routes = [Route("/", playground.index), WebSocketRoute("/ws", playground.websocket),
              Mount("/", StaticFiles(directory=static_dir, check_dir=False))]
    app = Starlette(routes=routes)
    app.state.playground = playground
    return HostCheck(app, None if allowed_hosts is None else set(allowed_hosts))
