"""twitchio's EventSub websockets, as botdeck uses them: opened by botdeck, never revived
by twitchio, and kept in a registry that works around twitchio 3.3's bookkeeping bugs.

A socket is opened with `reconnect_attempts=0`: when it drops, twitchio closes it rather
than reconnecting and resubscribing on its own. twitchio's own resubscribe uses the token
it holds for the reader, and when its hourly validation has dropped that token it
silently uses the app token, which Twitch refuses for websockets (the socket then looked
connected with no subscription on it). So botdeck's watcher opens every socket itself,
as the reader it chooses, with a token it has checked. `session_reconnect` still works:
twitchio moves the subscriptions to the new URL.

Every subscription names its socket (`subscribe_websocket` refuses one that does not):
given none, twitchio would open a default socket of its own that reconnects without
limit. Each socket has a purpose: `read` (the reader's: chat, moderation, the channel's
events), `automod` (one bot's AutoMod verdicts) or `events` (the broadcaster's own
events: follows, cheers, channel points); reading is live only while a read
socket carries the chat subscription itself, whatever else it carries.

A socket is silent when no message (a keepalive at least) came within the keepalive
timeout Twitch announced in its welcome: a network blip that twitchio notices only after
that timeout plus its own check period. The watchers close it at once.

A notification twitchio cannot read (its models require fields Twitch leaves out: a
`channel.chat.message` of an older shape without `channel_points_animation_id`, any
`stream.offline`, which has no stream id) would be logged and lost inside twitchio; here
the client counts it and hands the raw event to whoever registered for its type.

The types a client names in `raw_types` (the channel's events, `notifications`) are
handed over raw (`event_raw_notification`) without twitchio trying at all: its models
drop a whole notification over one field they expect and Twitch did not send.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import twitchio
from twitchio.eventsub.websockets import Websocket

log = logging.getLogger(__name__)

READ = "read"  # the reader's socket: chat, moderation, the channel's events
AUTOMOD = "automod"  # one bot's AutoMod holds and verdicts
EVENTS = "events"  # the broadcaster's own events: follows, cheers, channel points
CHAT_MESSAGE = "channel.chat.message"

RawHandler = Callable[[dict[str, Any]], Awaitable[bool]]


class BotdeckSocket(Websocket):
    """A twitchio websocket that knows its purpose and the keepalive timeout Twitch gave
    it, and hands the client the notifications twitchio cannot read."""

    __slots__ = ("keepalive_seconds", "purpose")

    def __init__(self, *, purpose: str = READ, **options: Any) -> None:
        super().__init__(**options)
        self.purpose = purpose
        self.keepalive_seconds: float | None = None

    async def _process_welcome(self, data: Any) -> None:
        # A reconnect's welcome says none: the old one stands.
        with contextlib.suppress(KeyError, TypeError, ValueError):
            self.keepalive_seconds = float(data["payload"]["session"]["keepalive_timeout_seconds"])
        await super()._process_welcome(data)

    async def _process_revocation(self, data: Any) -> None:
        """twitchio's, for any status: its enum lacks some Twitch lists (`beta_maintenance`)
        and an unknown one killed its listener with the revocation unheard."""
        try:
            await super()._process_revocation(data)
        except Exception:
            subscription = _mapping(_mapping(data.get("payload")).get("subscription"))
            self._subscriptions.pop(str(subscription.get("id")), None)
            client = self._client
            if isinstance(client, SocketClient) and client.raw_revocation is not None:
                await client.raw_revocation(subscription)
            if not self._subscriptions:
                await self.close()

    async def _process_notification(self, data: Any) -> None:
        client = self._client
        if isinstance(client, SocketClient) and _sub_type(data) in client.raw_types:
            client.dispatch("raw_notification", payload=data)  # read by botdeck alone
            return
        try:
            await super()._process_notification(data)
        except Exception as error:  # twitchio's model refused Twitch's payload
            client = self._client
            if isinstance(client, SocketClient):
                await client.unreadable(data, error)
            else:
                raise

    async def _reconnect(self, url: str) -> None:
        """twitchio's, with a socket of this class (its purpose kept)."""
        socket = BotdeckSocket(
            purpose=self.purpose,
            keep_alive_timeout=self._keep_alive_timeout,
            reconnect_attempts=self._original_attempts,
            client=self._client,
            token_for=self._token_for,
            http=self._http,
            shard_id=self._shard_id,
        )
        socket.keepalive_seconds = self.keepalive_seconds
        socket._subscriptions = self._subscriptions
        try:
            await socket.connect(url=url, reconnect=False, fail_once=True)
        except Exception:
            return await self.connect(reconnect=True)
        if self._client:
            self._client._websockets[self._token_for][socket.session_id] = socket  # type: ignore[index]
        await self.close()


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
        self.raw_types: frozenset[str] = frozenset()  # notifications always handed over raw
        self.unread: Counter[str] = Counter()  # notifications twitchio could not read, by type
        self.recovered: Counter[str] = Counter()  # ... of them, read by botdeck after all
        self._raw: dict[str, RawHandler] = {}
        # Hears a revocation twitchio could not read (its raw `subscription`).
        self.raw_revocation: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    def sockets(self, user_id: str, purpose: str = READ) -> list[Any]:
        return [s for s in self._websockets.get(user_id, {}).values() if _purpose(s) == purpose]

    def all_sockets(self, purpose: str | None = READ) -> list[tuple[str, Any]]:
        """Every (user id, socket) pair of `purpose` (None: any), whichever user it is."""
        return [
            (uid, s)
            for uid, sockets in self._websockets.items()
            for s in sockets.values()
            if purpose is None or _purpose(s) == purpose
        ]

    async def open_socket(self, user_id: str, purpose: str = READ) -> Any:
        """A new EventSub websocket for `user_id`, connected and registered, that twitchio
        will close rather than revive when it drops."""
        socket = BotdeckSocket(
            purpose=purpose, client=self, token_for=user_id, http=self._http, reconnect_attempts=0
        )
        await socket.connect(fail_once=True)
        self._websockets[user_id][socket.session_id or ""] = socket
        return socket

    async def subscribe_websocket(self, payload: Any, **options: Any) -> Any:
        """twitchio's, only on a socket botdeck opened: without `socket_id` twitchio would
        open a default socket of its own (see the module docstring)."""
        if not options.get("socket_id"):
            raise ValueError(f"{payload.type}: a subscription must name botdeck's socket")
        return await super().subscribe_websocket(payload, **options)

    def on_raw(self, sub_type: str, handler: RawHandler) -> None:
        """`handler(event)` hears the raw event of a `sub_type` notification twitchio could
        not read; it returns whether it made something of it."""
        self._raw[sub_type] = handler

    async def unreadable(self, data: Any, error: BaseException) -> None:
        """A notification twitchio's models refused: counted, and handed on raw."""
        try:
            sub_type = str(data["metadata"]["subscription_type"])
            event = data["payload"]["event"]
        except (KeyError, TypeError):
            sub_type, event = "unknown", None
        self.unread[sub_type] += 1
        if self.unread[sub_type] == 1:
            log.warning("twitch: twitchio could not read a %s event (%s)", sub_type,
                        type(error).__name__)  # fmt: skip
        handler = self._raw.get(sub_type)
        if handler is None or not isinstance(event, dict):
            return
        try:
            if await handler(event):
                self.recovered[sub_type] += 1
        except Exception:
            log.warning("twitch: a %s event could not be read", sub_type, exc_info=True)


def _sub_type(data: Any) -> str | None:
    metadata = _mapping(data).get("metadata")
    kind = _mapping(metadata).get("subscription_type")
    return kind if isinstance(kind, str) else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _purpose(socket: Any) -> str:
    return getattr(socket, "purpose", READ)


def carries(socket: Any, sub_type: str) -> bool:
    """Whether the socket holds a subscription of `sub_type`."""
    for sub in list(socket._subscriptions.values()):
        kind = sub.get("type") if isinstance(sub, dict) else None
        if getattr(kind, "value", kind) == sub_type:
            return True
    return False


def is_live(socket: Any, sub_type: str = CHAT_MESSAGE) -> bool:
    """Connected, reading, and carrying the `sub_type` subscription: reading chat is live
    only while the chat subscription itself is (the moderation ones may outlive it)."""
    listener = socket._listen_task
    return bool(
        socket.connected
        and not socket._connecting
        and listener is not None
        and not listener.done()
        and carries(socket, sub_type)
    )


def last_heard(socket: Any) -> float | None:
    """When the socket last heard anything from Twitch (Unix seconds), if it has."""
    heard = socket._last_keepalive
    return heard.timestamp() if isinstance(heard, datetime.datetime) else None


def silent_for(socket: Any, grace: float) -> float | None:
    """Seconds since the socket last heard Twitch, when that is past the keepalive timeout
    Twitch announced plus `grace` (a connection lost without a word); else None."""
    timeout = getattr(socket, "keepalive_seconds", None)
    heard = last_heard(socket)
    if timeout is None or heard is None or not socket.connected or socket._connecting:
        return None
    quiet = datetime.datetime.now().timestamp() - heard
    return quiet if quiet > timeout + grace else None


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


def close_reason(sockets: list[Any]) -> str:
    for socket in sockets:
        raw = socket._socket
        if raw is not None and raw.close_code is not None:
            return f"the connection closed (code {raw.close_code})"
    return "the connection was lost"
