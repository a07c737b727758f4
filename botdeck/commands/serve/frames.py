"""Frames from the page, checked before anything reaches the dashboard.

A websocket message is one of the commands textual-serve's page sends (`stdin`,
`resize`, `ping`, `focus`/`blur`) with the right data, or `Ignored` saying why (binary,
not UTF-8, not JSON, over 64 KiB, an unknown command): ignored frames are logged once per
kind, never with their text (it may be keystrokes), and the page stays.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

MAX_INPUT = 64 * 1024  # what one frame may carry to the dashboard (keys, a paste)
MIN_SIZE, MAX_SIZE = (2, 2), (1000, 500)  # a page's size in cells, clamped to these

log = logging.getLogger(__name__)


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
    return clamp(width, height)


def clamp(width: int, height: int) -> tuple[int, int]:
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


def page_size(request: web.Request) -> tuple[int, int]:
    """The size the page asked for in its websocket's URL, clamped; 80x24 without one."""
    width, height = (request.query.get(key, "") for key in ("width", "height"))
    if not (width.isdigit() and height.isdigit() and len(width + height) < 12):
        return 80, 24
    return clamp(int(width), int(height))
