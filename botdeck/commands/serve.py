"""`botdeck serve`: the dashboard in a browser (a tablet, a second laptop) via textual-serve.

textual-serve relays a Textual app's screen and keys between a subprocess and a page over
a websocket, one process per page. botdeck keeps its page, its packet format and its app
service, but the dashboard process (the run) outlives its pages, because a run answers
chat and closing a tab must not cancel the queued replies:

- closing or reloading the page, or a dropped connection (a tablet's Wi-Fi), ends that
  *view*, never the run. With no page the run's output is still read (and discarded), so
  it never blocks on a full pipe, and it is parked at a size no page has;
- a page opened again reattaches: it gets the terminal modes the first page was given,
  then a resize from the parked size to its own, which Textual repaints in full (a resize
  to the size it already has would be ignored), and its keys drive the run again;
- the run ends when the operator quits it on the page (the page says so; the next page
  starts a new run), or when `botdeck serve` is stopped: the dashboard is then sent
  SIGTERM, which drains before it quits, and waited for; Ctrl+C again stops it at once;
- a dashboard that fails closes its screen but its process carries the run on without
  one (`botdeck.tui.run`). No page can show that run, and no second run starts beside
  it (both would answer chat): a new page is told why until it has ended.

Frames from the page are checked before anything reaches the dashboard: one that is not
a known command with the right data is ignored and logged once per kind (never its text,
which may be keystrokes), and the page stays. Only a frame over 16 MiB, which aiohttp
refuses, closes that page's socket; the run goes on. Output goes to a page through a
queue of its own, so a slow page never makes the dashboard wait: one far behind is
dropped.

Who may connect, since the page can drain and stop the bots:

- bound to this machine (127.0.0.1, localhost, ::1, the default) it answers only requests
  addressed to this machine (no DNS rebinding), and websockets only from its own page (no
  other site open in the browser can drive it);
- bound to any other address it requires an access token, printed once at start (or
  taken from $BOTDECK_SERVE_TOKEN, for a bookmark that survives restarts). The printed
  link carries it once; the server answers with an HttpOnly cookie and a redirect to the
  bare address, so the token does not stay in the address bar, and then checks the
  cookie (or `?token=`) on every request, the websocket included;
- one page at a time: a new page waits up to 5 s for the shown one to close (a reload)
  and gets 409 if that one answers a ping (another browser); one that does not answer
  (a connection that died unnoticed) is dropped for the new page. The page closes its
  socket when it is left, even into the back-forward cache.

The access log is off: request URLs may carry the token.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import secrets
import shlex
import signal
import socket
import sys
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMessage, WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager
from textual_serve.server import Server

from botdeck.commands.inputs import checked_themes, files_read, load_checked
from botdeck.config import ConfigError, find_config
from botdeck.engine import SignalRoute
from botdeck.storage.files import FileRefused, check_writable_target

TOKEN_ENV = "BOTDECK_SERVE_TOKEN"
COOKIE = "botdeck_access"
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
HANDOVER = 5.0  # seconds a new page waits for the shown one to close (a reload) or answer
HEARTBEAT = 15.0  # seconds of silence before a page is pinged; it must answer in half that
MAX_FRAME = 16 * 1024 * 1024  # a bigger frame closes that page's socket (1009): aiohttp's rule
MAX_INPUT = 64 * 1024  # what one frame may carry to the dashboard (keys, a paste)
MAX_BACKLOG = 4 * 1024 * 1024  # output a page may fall behind by before it is dropped
MIN_SIZE, MAX_SIZE = (2, 2), (1000, 500)  # a page's size in cells, clamped to these
PARKED = (1, 1)  # the run's size with no page: never a page's, so the next page repaints all
EXIT_WAIT = 15.0  # seconds a dashboard that closed its screen may take to exit
# What the page shows when its socket is closed (a close reason: at most 123 bytes).
SCREEN_CLOSED = "The dashboard has closed. Reconnect to open it again."
SCREENLESS = (
    "The dashboard failed; its bots carry on without it. Stopping botdeck serve drains them."
)
SERVING_ENDED = "botdeck serve has stopped."
# DEC private modes a page's terminal needs to show the run as the first page did (alternate
# screen, cursor, mouse, bracketed paste, focus): set once at start, so given to every page.
TERMINAL_MODES = re.compile(rb"\x1b\[\?(1049|25|1000|1002|1003|1004|1006|1015|2004)([hl])")

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Access:
    """Who may connect: with `token` None only this machine, through its own page."""

    host: str
    token: str | None

    @property
    def local(self) -> bool:
        return self.token is None


def access_for(host: str, environ: Mapping[str, str] = os.environ) -> Access:
    """No token on this machine's own addresses; any other needs one (given or new)."""
    if host in LOCAL_NAMES:
        return Access(host, None)
    given = environ.get(TOKEN_ENV)
    if given is None:
        return Access(host, secrets.token_urlsafe(24))
    if not TOKEN_PATTERN.fullmatch(given):
        raise ConfigError(
            f"{TOKEN_ENV}: expected 16-128 letters, digits, '-' or '_' (the value is not shown)"
        )
    return Access(host, given)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line ConfigError (a port in use, an unknown host)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise ConfigError(f"--host: cannot resolve {host!r}") from None
    try:
        return socket.create_server((host, port), family=family, reuse_port=False)
    except OSError as error:
        if error.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ConfigError(
                f"--port: {host}:{port} is already in use (another botdeck serve?);"
                " choose another with --port"
            ) from None
        raise ConfigError(f"--host: cannot listen on {host}:{port}: {error.strerror}") from None


def _url_host(host: str) -> str:
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    return host


# ---------------------------------------------------------------- frames from the page
@dataclass(frozen=True, slots=True)
class Keys:
    """What was typed or pasted, for the dashboard's stdin (UTF-8)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Resize:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Ping:
    """The page measures its round trip: answered with a pong."""

    data: str


@dataclass(frozen=True, slots=True)
class Focus:
    focused: bool


@dataclass(frozen=True, slots=True)
class Ignored:
    """A frame that is not a command: `kind` says why, for a log line once per kind."""

    kind: str


Frame = Keys | Resize | Ping | Focus | Ignored


def read_frame(message: WSMessage) -> Frame:
    """What a websocket message from the page asks for (text frames are read undecoded,
    so that invalid UTF-8 is ignored here instead of closing the socket)."""
    if message.type is WSMsgType.BINARY:
        return Ignored("a binary frame")
    if message.type is WSMsgType.ERROR:
        return Ignored("a frame over 16 MiB or a broken one (aiohttp closed that socket)")
    if message.type is not WSMsgType.TEXT:
        return Ignored(f"a {message.type.name} frame")
    raw = message.data
    if len(raw) > MAX_INPUT:
        return Ignored("a frame over 64 KiB")
    try:
        envelope = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        return Ignored("text that is not UTF-8")
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        return Ignored("text that is not JSON")
    if not (isinstance(envelope, list) and envelope and isinstance(envelope[0], str)):
        return Ignored("JSON that is not a [command, data] list")
    return _command(envelope[0], envelope[1:])


def _command(name: str, args: list[Any]) -> Frame:
    data = args[0] if len(args) == 1 else None
    if name == "stdin":
        return _keys(data)
    if name == "resize":
        size = _cells(data)
        return Resize(*size) if size else Ignored("resize without a width and height")
    if name == "ping":
        return Ping(data) if isinstance(data, str) else Ignored("ping without text")
    if name in ("focus", "blur"):
        return Focus(name == "focus")
    return Ignored("an unknown command")


def _keys(data: object) -> Frame:
    if not isinstance(data, str):
        return Ignored("stdin without text")
    try:
        return Keys(data.encode("utf-8"))
    except UnicodeEncodeError:  # JSON may spell half a surrogate pair ("\ud800")
        return Ignored("stdin that is not Unicode text")


def _cells(data: object) -> tuple[int, int] | None:
    """A page's size from `{"width": W, "height": H}`, clamped: a terminal of a million
    rows would cost the dashboard its memory, and `PARKED` stays a size no page has."""
    if not isinstance(data, dict):
        return None
    width, height = data.get("width"), data.get("height")
    if type(width) is not int or type(height) is not int or width < 1 or height < 1:
        return None  # (type(): True is an int too)
    return _clamp(width, height)


def _clamp(width: int, height: int) -> tuple[int, int]:
    return (
        min(max(width, MIN_SIZE[0]), MAX_SIZE[0]),
        min(max(height, MIN_SIZE[1]), MAX_SIZE[1]),
    )


class WarnOnce:
    """One WARNING per kind of ignored frame: a process sending garbage in a loop must not
    fill the terminal, and a frame's text (keystrokes) is never logged."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def __call__(self, kind: str) -> None:
        if kind not in self._seen:
            self._seen.add(kind)
            log.warning("botdeck serve: ignored %s from the page (said once a kind)", kind)


# ---------------------------------------------------------------- a page, and the run
class View:
    """One page showing the run. Output goes out through a queue and a task of its own, so
    a slow or dead connection never makes the dashboard wait on a full pipe; one that falls
    `MAX_BACKLOG` behind is dropped (its next page repaints everything anyway)."""

    def __init__(self, websocket: web.WebSocketResponse, request: web.Request) -> None:
        self.websocket = websocket
        self._transport = request.transport
        self._queue: asyncio.Queue[bytes | str | tuple[WSCloseCode, str]] = asyncio.Queue()
        self._backlog = 0
        self._closing = False
        self.answered = asyncio.Event()  # the page said something since it was last asked
        self.ended = asyncio.Event()  # its socket is done and the run no longer shows on it
        self._sender = asyncio.create_task(self._send())

    def send(self, data: bytes | str) -> None:
        if self._closing or self._sender.done():
            return
        self._backlog += len(data)
        if self._backlog > MAX_BACKLOG:
            self.drop("it fell more than 4 MiB behind")
            return
        self._queue.put_nowait(data)

    def close(self, code: WSCloseCode, reason: str) -> None:
        """Close after what is queued has gone out; the page shows `reason`."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait((code, reason))

    def drop(self, why: str) -> None:
        """End the connection at once, without a closing handshake (it is not answering)."""
        log.warning("botdeck serve: closed the page's connection: %s; the run goes on", why)
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    async def _send(self) -> None:
        websocket = self.websocket
        with contextlib.suppress(ConnectionError, RuntimeError):  # the connection went away
            while True:
                item = await self._queue.get()
                if isinstance(item, tuple):
                    await websocket.close(code=item[0], message=item[1].encode())
                    return
                self._backlog -= len(item)
                if isinstance(item, bytes):
                    await websocket.send_bytes(item)
                else:
                    await websocket.send_str(item)

    async def answers(self, within: float) -> bool:
        """Whether the page is still there: pinged, it answers within `within` seconds
        (False once it has closed, as a reloaded page's socket does)."""
        self.answered.clear()
        if not self.websocket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.websocket.ping()
        waits = [asyncio.ensure_future(event.wait()) for event in (self.answered, self.ended)]
        try:
            await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return self.answered.is_set() and not self.ended.is_set()

    async def finish(self) -> None:
        """The page's socket is done: let a close under way finish, then stop sending."""
        if self._closing and not self._sender.done():
            await asyncio.wait([self._sender], timeout=2)
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender


class Run(AppService):
    """The dashboard process: textual-serve's app service, shown on at most one page at a
    time. Its output is read all the time (discarded while no page shows it), in a process
    group of its own, so a Ctrl+C in the terminal reaches `botdeck serve` alone, which then
    asks the dashboard to quit in order."""

    def __init__(self, command: str, downloads: DownloadManager) -> None:
        super().__init__(
            command,
            write_bytes=self._to_view,
            write_str=self._to_view,
            close=self._close_view,
            download_manager=downloads,
        )
        self.view: View | None = None
        self.modes: dict[bytes, bytes] = {}  # terminal mode -> b"h" | b"l", as last set
        self.started = asyncio.Event()  # the process was started (or failed to start)
        self.ended = asyncio.Event()  # the process has exited and been reaped
        # The dashboard closed its screen (textual-serve's exit packet): it quit, and the
        # process exits once the run is closed; or it failed, and the process carries the
        # run on without a screen until it drains (botdeck.tui.run).
        self.screen_gone = False
        self._quits = 0

    # ------------------------------------------------------------ the process
    async def start(self, width: int, height: int) -> None:
        try:
            await super().start(width, height)
        except BaseException:
            self.ended.set()
            raise
        finally:
            self.started.set()

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """textual-serve's output loop, which ends with the output; then the process is
        reaped (one left to the garbage collector is a traceback, and possibly an orphan)
        and the page, if any, is told the session ended."""
        try:
            await super().run()
        finally:
            await self._reap()
            self.ended.set()
            await self._close_view()

    async def _reap(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            await asyncio.wait_for(process.wait(), EXIT_WAIT)  # its output closed: exiting
        except TimeoutError:
            process.kill()
            await process.wait()

    @property
    def showable(self) -> bool:
        """A page can show it: running, with its screen."""
        return self.started.is_set() and not self.ended.is_set() and not self.screen_gone

    def request_quit(self) -> None:
        """As SIGTERM does in a terminal: the first drains, then the dashboard quits; the
        second stops it at once; a third kills a dashboard that does not end."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        self._quits += 1
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM if self._quits < 3 else signal.SIGKILL)

    async def finish(self) -> None:
        """Ask the dashboard to quit (it drains first) and wait until it has exited. One
        that closed its screen is given `EXIT_WAIT` to exit by itself first: while it
        closes its run it has no handler for SIGTERM, which would cut its journal short."""
        await self.started.wait()
        if self.screen_gone:
            await self.exited_within(EXIT_WAIT)
        self.request_quit()
        await self.ended.wait()

    async def exited_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ended.wait(), seconds)
        return self.ended.is_set()

    # ------------------------------------------------------------ its pages
    async def attach(self, view: View, width: int, height: int) -> None:
        """Show the run on a page: the terminal modes the first page was given, then a
        resize from the parked size, which makes Textual repaint the whole screen."""
        self.view = view
        if self.modes:
            replay = b"".join(b"\x1b[?%s%s" % item for item in self.modes.items())
            view.send(replay)
        await self.set_terminal_size(width, height)

    async def detach(self, view: View) -> None:
        """No page shows the run: park it at a size no page has, so that the next page's
        own size is a change (Textual ignores a resize to its current size)."""
        if self.view is not view:
            return
        self.view = None
        if self.showable:
            await self.set_terminal_size(*PARKED)

    async def on_data(self, payload: bytes) -> None:
        if b"\x1b[?" in payload:
            for mode, state in TERMINAL_MODES.findall(payload):
                self.modes[mode] = state
        await self._to_view(payload)

    async def on_meta(self, data: bytes) -> None:
        if json.loads(data).get("type") == "exit":
            self.screen_gone = True
        await super().on_meta(data)

    async def _to_view(self, data: bytes | str) -> None:
        if self.view is not None:
            self.view.send(data)

    async def _close_view(self) -> None:
        if self.view is not None:
            self.view.close(WSCloseCode.OK, SCREEN_CLOSED)


class DashboardServer(Server):
    """textual-serve's server with botdeck's access rules, one page at a time, and a run
    that outlives its pages (see the module docstring)."""

    def __init__(self, command: str, access: Access, port: int, out: TextIO) -> None:
        super().__init__(command, host=access.host, port=port, title="botdeck")
        self.access = access
        self.out = out
        self._run: Run | None = None  # the dashboard process, with or without a page
        self._view: View | None = None  # the page showing it
        self._turn = asyncio.Lock()  # one new page at a time decides whether it may show
        self._stopping = False
        self._ignored = WarnOnce()
        self._signals: SignalRoute | None = None

    # ------------------------------------------------------------ guarding requests
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        app.on_cleanup.append(self._stop_routing_signals)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            log.warning("botdeck serve: refused %s %s from %s: %s", request.method,
                        request.path, request.remote, refusal)  # fmt: skip
            return web.Response(status=403, text=f"botdeck: {refusal}\n")
        token = self.access.token
        if token is not None and request.query.get("token") and request.path == "/":
            # The link's token becomes a cookie, and the address bar loses it.
            response = web.HTTPFound("/")
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
            return response
        return await handler(request)

    def _refusal(self, request: web.Request) -> str | None:
        """Why this request may not be answered, or None."""
        if self.access.local and not self._addressed_here(request.host):
            return f"this dashboard answers only at 127.0.0.1:{self.port}"
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin is not None and origin != f"http://{request.host}":
            return "the dashboard's websocket accepts only its own page"
        token = self.access.token
        if token is not None:
            given = request.query.get("token") or request.cookies.get(COOKIE) or ""
            if not secrets.compare_digest(given.encode(), token.encode()):
                return "wrong or missing access token: open the link botdeck serve printed"
        return None

    def _addressed_here(self, host: str) -> bool:
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        return name.strip("[]") in LOCAL_NAMES and port == str(self.port)

    # ------------------------------------------------------------ pages and the run
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A page: shows the run (started for it if none is running) until its socket
        ends; the run goes on without it."""
        async with self._turn:
            if not self._stopping and not await self._free_for_a_page():
                raise web.HTTPConflict(
                    text="botdeck: the dashboard is already open in another browser;"
                    " close it first\n"
                )
            if self._stopping:
                raise web.HTTPServiceUnavailable(text="botdeck: serving is stopping\n")
            websocket = web.WebSocketResponse(
                heartbeat=HEARTBEAT, autoping=False, max_msg_size=MAX_FRAME, decode_text=False
            )
            await websocket.prepare(request)
            view = self._view = View(websocket, request)
        run: Run | None = None
        try:
            run = await self._show(view, *_page_size(request))
            if run is not None:
                await self._relay(view, run)
        finally:
            if self._view is view:
                self._view = None
            try:
                if run is not None:
                    await run.detach(view)
                await view.finish()
            finally:
                view.ended.set()
        return websocket

    async def _free_for_a_page(self) -> bool:
        """No page shows the run, or the one that did is gone: it closed (a reload closes
        the old page's socket as the new one opens), or it did not answer a ping within
        `HANDOVER` (a dropped connection). A page that answers is another browser."""
        view = self._view
        if view is None:
            return True
        if await view.answers(HANDOVER):
            return False
        if not view.ended.is_set():
            view.drop("a new page opened and this one did not answer")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(view.ended.wait(), HANDOVER)
        return True

    async def _show(self, view: View, width: int, height: int) -> Run | None:
        """The running dashboard shown on this page, or a new run for it once the last
        one has exited (never two at once: both would answer chat). None, and the page
        closed with the reason, while serving stops or a run goes on without a screen."""
        run = self._run
        if run is not None:
            await run.started.wait()
            if run.screen_gone:  # quit: it exits soon; failed: it carries on without one
                await run.exited_within(EXIT_WAIT)
        if self._stopping:
            view.close(WSCloseCode.GOING_AWAY, SERVING_ENDED)
            return None
        if run is not None and run.showable:
            await run.attach(view, width, height)
            return run
        if run is not None and not run.ended.is_set():
            view.close(WSCloseCode.TRY_AGAIN_LATER, SCREENLESS)
            return None
        run = self._run = Run(self.command, self.download_manager)
        run.view = view  # its first screen goes to this page
        await run.start(width, height)
        return run

    async def _relay(self, view: View, run: Run) -> None:
        """The page's frames, checked, to the dashboard; ends when the socket does."""
        websocket = view.websocket
        with contextlib.suppress(ConnectionError):  # a pong to a page that has just gone
            async for message in websocket:
                view.answered.set()
                if message.type is WSMsgType.PING:
                    await websocket.pong(message.data)
                elif message.type is not WSMsgType.PONG:
                    await self._carry_out(read_frame(message), view, run)

    async def _carry_out(self, frame: Frame, view: View, run: Run) -> None:
        if isinstance(frame, Ignored):
            self._ignored(frame.kind)
        elif isinstance(frame, Ping):
            view.send(json.dumps(["pong", frame.data]))
        elif not run.showable:
            return  # the dashboard has closed its screen: nothing more to tell it
        elif isinstance(frame, Keys):
            await run.send_bytes(frame.data)
        elif isinstance(frame, Resize):
            await run.set_terminal_size(frame.width, frame.height)
        elif frame.focused:
            await run.focus()
        else:
            await run.blur()

    # ------------------------------------------------------------ stopping
    def request_exit(self) -> None:
        """Ctrl+C or SIGTERM: the first ends serving (the dashboard drains first), a
        further one is passed on to the dashboard (a stop at once)."""
        if not self._stopping:
            self._stopping = True
            raise GracefulExit()
        if self._run is not None and not self._run.ended.is_set():
            print("botdeck serve: stopping the bots at once", file=self.out, flush=True)
            self._run.request_quit()

    async def on_shutdown(self, app: web.Application) -> None:
        """Serving stops: close the page (before aiohttp cancels its handler), then ask
        the dashboard to quit as SIGTERM does in a terminal, and wait for it."""
        self._stopping = True
        if self._view is not None:
            self._view.close(WSCloseCode.GOING_AWAY, SERVING_ENDED)
        run = self._run
        if run is None or run.ended.is_set():
            return
        print("botdeck serve: stopping; the bots finish their queued replies first"
              " (Ctrl+C again stops them at once)", file=self.out, flush=True)  # fmt: skip
        await run.finish()

    # ------------------------------------------------------------ the page
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, its URLs taken from the address the browser used (the
        public URL it would otherwise use is the bind address, say 0.0.0.0), adapted to a
        run that outlives it (`_for_a_run_that_goes_on`)."""
        base = f"{request.scheme}://{request.host}"
        static = request.app.router["static"].url_for(filename="/")
        websocket = request.app.router["websocket"].url_for()
        context = {
            "font_size": 16,
            "app_websocket_url": f"ws://{request.host}{websocket}",
            "config": {"static": {"url": f"{base}{static}".rstrip("/") + "/"}},
            "application": {"name": "botdeck"},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.text = _for_a_run_that_goes_on(response.text or "")
        return response

    # ------------------------------------------------------------ running
    async def on_startup(self, app: web.Application) -> None:
        """Quit signals reach `request_exit` on the loop through the route every botdeck
        command uses (`SignalRoute`, with its fallback where the loop cannot take them),
        until serving has ended: a second Ctrl+C during the drain must still arrive. What
        to open was said before (textual-serve's banner would name the command)."""
        self._signals = SignalRoute(lambda _signal: self.request_exit())
        self._signals.install()

    async def _stop_routing_signals(self, app: web.Application) -> None:
        if self._signals is not None:
            self._signals.remove()

    def announce(self, port: int) -> None:
        where = f"http://{_url_host(self.access.host)}:{port}/"
        if self.access.token is None:
            print(f"botdeck serve: open {where} in a browser on this machine", file=self.out)
        else:
            print(f"botdeck serve: open {where}?token={self.access.token}", file=self.out)
            print(
                "  the access token is shown only now; anyone with the link can drain and"
                " stop your bots (set $BOTDECK_SERVE_TOKEN to keep one across restarts)",
                file=self.out,
            )
        print(
            "  one browser at a time; closing the page leaves the bots running (open it"
            " again to return); Ctrl+C here drains them and ends serving",
            file=self.out,
            flush=True,
        )

    def serve_on(self, listener: socket.socket) -> None:
        """Serve until a quit signal on an already bound socket (bind errors come first)."""
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        self.port = listener.getsockname()[1]
        self.announce(self.port)
        loop = asyncio.new_event_loop()
        web.run_app(
            self._make_app(),
            sock=listener,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,  # URLs may carry the token
        )


# The page closes its socket when it is left: one kept in the back-forward cache would go
# on answering pings, and a new page would be refused while nobody sees the old one. Once
# closed, its dialog says why: the reason the server gave, else that the bots go on.
_PAGE_SCRIPT = """<script>
(() => {
  const Native = window.WebSocket;
  const open = new Set();
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      open.add(this);
      this.addEventListener("close", (event) => {
        open.delete(this);
        const message = document.querySelector(".closed-dialog .message");
        const button = document.querySelector(".closed-dialog button");
        if (message) message.textContent = event.reason || DISCONNECTED;
        if (button) button.textContent = "Reconnect";
      });
    }
  };
  window.addEventListener("pagehide", () => open.forEach((socket) => socket.close()));
})();
</script>""".replace("DISCONNECTED", json.dumps("Disconnected: the bots are still running."))


def _for_a_run_that_goes_on(page: str) -> str:
    """textual-serve's page with `_PAGE_SCRIPT`, first in its head (before textual.js
    opens the socket)."""
    return page.replace("<head>", "<head>\n" + _PAGE_SCRIPT, 1)


def _page_size(request: web.Request) -> tuple[int, int]:
    """The size the page asked for in its websocket's URL, clamped; 80x24 without one."""
    width, height = (request.query.get(key, "") for key in ("width", "height"))
    if not (width.isdigit() and height.isdigit() and len(width + height) < 12):
        return 80, 24
    return _clamp(int(width), int(height))


def dashboard_command(arguments: Sequence[str]) -> str:
    """The command textual-serve runs for each run: this botdeck, this Python."""
    return "exec " + shlex.join([sys.executable, "-m", "botdeck", *arguments])


def serve_command(args: argparse.Namespace) -> int:
    """Everything the dashboard would refuse is refused here, before a browser connects."""
    if args.demo:
        command = ["demo"]
    else:
        path = find_config(args.config)
        load_checked(path)
        command = ["run", "--config", str(path.resolve())]
    if args.theme is not None:
        checked_themes(args.theme)
        command += ["--theme", args.theme]
    if args.journal is not None:
        try:  # each session appends to it: refused now, not once a browser connects
            check_writable_target(args.journal, files_read(args), "journal")
        except FileRefused as error:
            raise ConfigError(f"--journal: {error}") from None
        command += ["--journal", str(args.journal.resolve())]
    return serve(command, args.host, args.port)


def serve(arguments: Sequence[str], host: str, port: int, *, out: TextIO = sys.stdout) -> int:
    """Check the access rules and the port, then serve the dashboard until interrupted."""
    access = access_for(host)
    os.environ.pop(TOKEN_ENV, None)  # the dashboard processes have no use for it
    listener = bind(host, port)
    server = DashboardServer(dashboard_command(arguments), access, port, out)
    with listener:
        server.serve_on(listener)
    return 0
