"""twitchio's EventSub websockets, as botdeck uses them: opened by botdeck, never revived
by twitchio, and kept in a registry that works around twitchio 3.3's bookkeeping bugs.

A socket is opened with `reconnect_attempts=0`: when it drops, twitchio closes it rather
than reconnecting and resubscribing on its own. twitchio's own resubscribe uses the token
it holds for the reader, and when its hourly validation has dropped that token it
silently uses the app token, which Twitch refuses for websockets (the socket then looked
connected with no subscription on it). So botdeck's watcher opens every socket itself,
as the reader it chooses, with a token it has checked. `session_reconnect` still works:
twitchio moves the subscriptions to the new URL.

Notifications of the types a client names in `raw_types` are handed over as the raw
message (`event_raw_notification`) instead of twitchio's model, which drops a whole
notification over one field it expects and Twitch did not send (`notifications`). Every
socket registered with the client reads that way, those twitchio opens on a
`session_reconnect` too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import twitchio
from twitchio.eventsub.websockets import Websocket


class EventSocket(Websocket):
    """A twitchio websocket that hands the client's `raw_types` over raw (no new state:
    a socket twitchio made becomes one when it is registered)."""

    __slots__ = ()

    async def _process_notification(self, data: Any) -> None:
        client = self._client
        kind = data.get("metadata", {}).get("subscription_type") if isinstance(data, dict) else None
        if isinstance(client, SocketClient) and kind in client.raw_types:
            client.dispatch("raw_notification", payload=data)
            return
        await super()._process_notification(data)


def _reading_raw(socket: Any) -> Any:
    if type(socket) is Websocket:
        socket.__class__ = EventSocket
    return socket


class _Sockets(dict[str, Any]):
    """One user's EventSub sockets, as twitchio's Client keeps them (by session id).

    Works around two twitchio 3.3 bookkeeping bugs. After a `session_reconnect` Twitch
    keeps the session id: twitchio registers the new socket under it, then the old
    socket's cleanup pops that id and orphans the live socket (never closed by
    `Client.close`, invisible to anyone looking). After a reconnect from a dropped
    connection the socket stays registered under its old session id, so its eventual
    cleanup pops nothing and a dead socket lingers. So a cleanup here removes every
    socket that is closing, whatever its key, and never an open one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for socket in self.values():
            _reading_raw(socket)

    def __setitem__(self, key: str, socket: Any) -> None:
        super().__setitem__(key, _reading_raw(socket))

    def pop(self, key: str, *default: Any) -> Any:
        found = default[0] if default else None
        for name, socket in list(self.items()):
            if socket._closing or socket._closed:
                removed = super().pop(name)
                if name == key:
                    found = removed
        return found


class _SocketRegistry(dict[str, _Sockets]):
    """`Client._websockets` with `_Sockets` values, whatever twitchio assigns."""

    def __missing__(self, key: str) -> _Sockets:
        sockets = self[key] = _Sockets()
        return sockets

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        super().__setitem__(key, value if isinstance(value, _Sockets) else _Sockets(value))


class SocketClient(twitchio.Client):
    """A twitchio Client whose websockets botdeck opens (see the module docstring)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._websockets = _SocketRegistry()  # type: ignore[assignment]
        self.raw_types: frozenset[str] = frozenset()  # notifications handed over raw

    def sockets(self, user_id: str) -> list[Any]:
        return list(self._websockets.get(user_id, {}).values())

    def all_sockets(self) -> list[tuple[str, Any]]:
        """Every (user id, socket) pair, whichever user it reads as."""
        return [(uid, s) for uid, sockets in self._websockets.items() for s in sockets.values()]

    async def open_socket(self, user_id: str) -> Any:
        """A new EventSub websocket for `user_id`, connected and registered, that twitchio
        will close rather than revive when it drops."""
        socket = EventSocket(client=self, token_for=user_id, http=self._http, reconnect_attempts=0)
        await socket.connect(fail_once=True)
        self._websockets[user_id][socket.session_id or ""] = socket
        return socket


def is_live(socket: Any) -> bool:
    """Connected, reading, and carrying a subscription (else Twitch sends it nothing)."""
    listener = socket._listen_task
    return bool(
        socket.connected
        and not socket._connecting
        and listener is not None
        and not listener.done()
        and socket.subscription_count > 0
    )


def reader_stopped(socket: Any) -> bool:
    """The socket is open but its reader is gone (twitchio stops reading on a message it
    cannot parse, and would notice only after its keepalive timeout)."""
    listener = socket._listen_task
    reading = listener is not None and not listener.done()
    return bool(socket.connected and not socket._connecting and not reading)


def reader_error(socket: Any) -> BaseException | None:
    listener: asyncio.Task[None] | None = socket._listen_task
    if listener is None or not listener.done() or listener.cancelled():
        return None
    return listener.exception()


def carries(socket: Any, kind: str) -> bool:
    """Whether the socket holds a subscription of this type (twitchio keeps each one's
    request, type included)."""
    return any(
        getattr(sub.get("type"), "value", sub.get("type")) == kind
        for sub in socket._subscriptions.values()
        if isinstance(sub, dict)
    )


def close_reason(sockets: list[Any]) -> str:
    for socket in sockets:
        raw = socket._socket
        if raw is not None and raw.close_code is not None:
            return f"the connection closed (code {raw.close_code})"
    return "the connection was lost"
