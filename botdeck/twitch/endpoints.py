"""Where twitchio sends its requests: Twitch itself, or `[twitch] api_url/auth_url/
eventsub_url` (the loopback fake in the tests, a proxy for a streamer).

twitchio keeps the endpoints as class and module globals (`Route.BASE`, `Route.ID_BASE`,
the EventSub websocket URL), not per client, so they are set while a client runs and put
back afterwards. This is the one module that patches twitchio's globals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import twitchio.eventsub.websockets as twitchio_websockets
from twitchio.http import Route


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Twitch's addresses, or a local mock's (`[twitch] api_url`, ...: the config's defaults
    are Twitch's)."""

    api_url: str
    auth_url: str
    eventsub_url: str

    def __post_init__(self) -> None:
        # twitchio joins these with paths: the bases must end with exactly one slash.
        object.__setattr__(self, "api_url", self.api_url.rstrip("/") + "/")
        object.__setattr__(self, "auth_url", self.auth_url.rstrip("/") + "/")
        object.__setattr__(self, "eventsub_url", self.eventsub_url.rstrip("/"))


_active: list[Endpoints] = []  # endpoints in force, one entry per running user


@contextlib.contextmanager
def use_endpoints(endpoints: Endpoints) -> Iterator[None]:
    """Point twitchio at `endpoints` for as long as the block runs, then restore.

    twitchio keeps them as globals (`Route.BASE`, `Route.ID_BASE`, the websocket URL),
    so two clients with different endpoints cannot run at once in one process.
    """
    if _active and _active[-1] != endpoints:
        raise RuntimeError("another Twitch client with different endpoints is running")
    saved = (Route.BASE, Route.ID_BASE, twitchio_websockets.WSS)
    Route.BASE, Route.ID_BASE = endpoints.api_url, endpoints.auth_url
    twitchio_websockets.WSS = endpoints.eventsub_url
    _active.append(endpoints)
    try:
        yield
    finally:
        _active.pop()
        Route.BASE, Route.ID_BASE, twitchio_websockets.WSS = saved
