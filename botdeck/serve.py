"""`botdeck serve`: the dashboard in a browser (a tablet, a second laptop) via textual-serve.

textual-serve runs the dashboard command in a subprocess for each browser session and
relays its screen and keys over a websocket. What botdeck adds is who may connect, since
the page can drain and stop the bots:

- bound to this machine (127.0.0.1, localhost, ::1, the default) it answers only requests
  addressed to this machine (no DNS rebinding), and websockets only from its own page (no
  other site open in the browser can drive it);
- bound to any other address it requires an access token, printed once at start (or
  taken from $BOTDECK_SERVE_TOKEN, for a bookmark that survives restarts). The printed
  link carries it once; the server answers with an HttpOnly cookie and a redirect to the
  bare address, so the token does not stay in the address bar, and then checks the
  cookie (or `?token=`) on every request, the websocket included;
- one session at a time: a second browser is refused while the first is open (each
  session is a run of its own, and two runs would answer chat twice).

The access log is off: request URLs may carry the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import secrets
import shlex
import socket
import sys
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from botdeck.config import ConfigError
from botdeck.engine import SignalRoute

TOKEN_ENV = "BOTDECK_SERVE_TOKEN"
COOKIE = "botdeck_access"
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
SESSION_HANDOVER = 5.0  # seconds a new session waits for a closing one (a page reload)

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


class DashboardServer(Server):
    """textual-serve's server with botdeck's access rules and one session at a time."""

    def __init__(self, command: str, access: Access, port: int, out: TextIO) -> None:
        super().__init__(command, host=access.host, port=port, title="botdeck")
        self.access = access
        self.out = out
        self._session: asyncio.Event | None = None  # set when the open session has ended
        self._socket: web.WebSocketResponse | None = None
        self._signals: SignalRoute | None = None

    # ------------------------------------------------------------ guarding requests
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
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

    # ------------------------------------------------------------ one session
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's session (a dashboard process relayed over this websocket), one
        at a time, ended cleanly when serving stops."""
        if self._session is not None:
            with contextlib.suppress(TimeoutError):  # a reload: the old page is closing
                await asyncio.wait_for(self._session.wait(), SESSION_HANDOVER)
        if self._session is not None:
            raise web.HTTPConflict(
                text="botdeck: the dashboard is already open in another browser; close it first\n"
            )
        ended = self._session = asyncio.Event()
        websocket = self._socket = web.WebSocketResponse(heartbeat=15)
        session: Session | None = None
        try:
            await websocket.prepare(request)

            async def close() -> None:
                await websocket.close()

            session = Session(self.command, write_bytes=websocket.send_bytes,
                              write_str=websocket.send_str, close=close,
                              download_manager=self.download_manager)  # fmt: skip
            await session.start(_size(request, "width", 80), _size(request, "height", 24))
            await self._process_messages(websocket, session)
        finally:
            if session is not None:
                await session.stop()  # the dashboard quits; wait for it
            self._session = self._socket = None
            ended.set()
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        """Serving stops (Ctrl+C): end the open session before handlers are cancelled, so
        its dashboard quits and is waited for rather than left running."""
        if self._signals is not None:
            self._signals.remove()
        session, socket_ = self._session, self._socket
        if session is None or socket_ is None:
            return
        await socket_.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.wait(), 15)

    # ------------------------------------------------------------ the page
    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, its URLs taken from the address the browser used (the
        public URL it would otherwise use is the bind address, say 0.0.0.0)."""
        base = f"{request.scheme}://{request.host}"
        static = request.app.router["static"].url_for(filename="/")
        websocket = request.app.router["websocket"].url_for()
        return {
            "font_size": 16,
            "app_websocket_url": f"ws://{request.host}{websocket}",
            "config": {"static": {"url": f"{base}{static}".rstrip("/") + "/"}},
            "application": {"name": "botdeck"},
        }

    # ------------------------------------------------------------ running
    async def on_startup(self, app: web.Application) -> None:
        """Quit signals end serving, routed as every botdeck command routes them
        (`SignalRoute`: on the loop, with a fallback where the loop cannot take them). One
        is enough: the session's own dashboard drains its run when it is told to quit.
        What to open was said before (textual-serve's banner would name the command)."""
        self._signals = SignalRoute(lambda _signal: self.request_exit())
        self._signals.install()

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
        print("  one browser at a time; Ctrl+C here ends serving", file=self.out, flush=True)

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


class Session(AppService):
    """textual-serve's app process, in a process group of its own: Ctrl+C in the terminal
    reaches `botdeck serve` alone, which then ends the session in order."""

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

    async def stop(self) -> None:
        """Ask the dashboard to quit, then reap it: textual-serve stops at the end of its
        output, and a process not yet reaped when the loop closes is left to the garbage
        collector (a traceback, and possibly an orphan)."""
        await super().stop()
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def _size(request: web.Request, key: str, default: int) -> int:
    value = request.query.get(key, "")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else default


def dashboard_command(arguments: Sequence[str]) -> str:
    """The command textual-serve runs for each session: this botdeck, this Python."""
    return "exec " + shlex.join([sys.executable, "-m", "botdeck", *arguments])


def serve(arguments: Sequence[str], host: str, port: int, *, out: TextIO = sys.stdout) -> int:
    """Check the access rules and the port, then serve the dashboard until interrupted."""
    access = access_for(host)
    os.environ.pop(TOKEN_ENV, None)  # the dashboard processes have no use for it
    listener = bind(host, port)
    server = DashboardServer(dashboard_command(arguments), access, port, out)
    with listener:
        server.serve_on(listener)
    return 0
