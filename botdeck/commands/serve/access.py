"""Who may connect to `botdeck serve`, since the page can drain and stop the bots.

Bound to this machine (127.0.0.1, localhost, ::1) it answers only requests addressed to
this machine (no DNS rebinding), and websockets only from its own page. Bound to any
other address it requires an access token (printed once, or `$BOTDECK_SERVE_TOKEN`):
the printed link carries it once, the answer turns it into an HttpOnly cookie and
redirects to the bare address, and every request, the websocket included, is checked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from botdeck.config import ConfigError

TOKEN_ENV = "BOTDECK_SERVE_TOKEN"
COOKIE = "botdeck_access"
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")

log = logging.getLogger(__name__)


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


def url_host(host: str) -> str:
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    return host


def answer_first(access: Access, port: int, request: web.Request) -> web.StreamResponse | None:
    """What the guard answers before any handler: 403 for a request that may not be
    answered, the redirect that turns the link's token into a cookie; None: go on."""
    why = refusal(access, port, request)
    if why is not None:
        log.warning("botdeck serve: refused %s %s from %s: %s", request.method,
                    request.path, request.remote, why)  # fmt: skip
        return web.Response(status=403, text=f"botdeck: {why}\n")
    token = access.token
    if token is not None and request.query.get("token") and request.path == "/":
        # The link's token becomes a cookie, and the address bar loses it.
        response = web.HTTPFound("/")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response
    return None


def refusal(access: Access, port: int, request: web.Request) -> str | None:
    """Why this request may not be answered, or None."""
    if access.local and not _addressed_here(request.host, port):
        return f"this dashboard answers only at 127.0.0.1:{port}"
    origin = request.headers.get("Origin")
    if request.path == "/ws" and origin is not None and origin != f"http://{request.host}":
        return "the dashboard's websocket accepts only its own page"
    token = access.token
    if token is not None:
        given = request.query.get("token") or request.cookies.get(COOKIE) or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            return "wrong or missing access token: open the link botdeck serve printed"
    return None


def _addressed_here(host: str, port: int) -> bool:
    name, _, given = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    return name.strip("[]") in LOCAL_NAMES and given == str(port)
