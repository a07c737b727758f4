"""Twitch chat through twitchio 3: one EventSub subscription in, each bot's own identity out.

One `twitchio.Client` runs inside the app's loop (`login()`, never `run()`) and holds the
user token of every bot. Chat arrives through a single `channel.chat.message` websocket
subscription, read as the first authorized bot; replies go out through Helix as the bot
that wrote them, always with `token_for` set to that bot's user id. twitchio would
otherwise use the app token without a word, so a bot without a usable token fails its
jobs ("bot X is not authorized: run `botdeck auth`") and never borrows another identity.
`send_as = "app"` is the one explicit exception: the app token, with Twitch's Chat Bot
badge, which needs `user:bot` from the bots and `channel:bot` from the broadcaster.

Twitch's rejections become `SendError` with Twitch's reason; a rate-limit rejection (HTTP
429 or a rate-limit drop) waits and is retried once. Keeping within the limits in the
first place is the send limiter's job (`botdeck.core.ratelimit`), which this module feeds
with the role shown by the badges on the bots' own messages.

Reconnects are twitchio's: after a dropped socket it reconnects and resubscribes, and on
`session_reconnect` it moves to the new URL. This module watches the sockets to show the
connection state, makes replies wait while the connection is being re-established, and
subscribes afresh only when twitchio has given up (e.g. Twitch closed with 4003, or a
socket died on a message it could not parse).

The endpoints (`[twitch] api_url`, `auth_url`, `eventsub_url`) are class and module
globals in twitchio; they are set while a client runs and restored afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import aiohttp
import twitchio
import twitchio.eventsub.websockets as twitchio_websockets
from twitchio.eventsub import ChatMessageSubscription
from twitchio.http import Route

from botdeck.chat.base import ChatSetupError, ChatSource, SendError
from botdeck.core.mentions import MentionFinder
from botdeck.core.text import MAX_SCAN_CHARS, clean_text, cut_text
from botdeck.logs import redact
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus, Role

log = logging.getLogger(__name__)

READ_SCOPE = "user:read:chat"
WRITE_SCOPE = "user:write:chat"
BOT_SCOPE = "user:bot"
CHANNEL_BOT_SCOPE = "channel:bot"
BOT_SCOPES = (READ_SCOPE, WRITE_SCOPE, BOT_SCOPE)
BROADCASTER_SCOPES = (CHANNEL_BOT_SCOPE,)

_SEEN_IDS = 4096
_FAILED_AFTER = 3  # failed subscription attempts before the state says "failed"


def unauthorized(bot: str) -> str:
    return f"bot {bot} is not authorized: run `botdeck auth`"


class TwitchSetupError(ChatSetupError):
    """Twitch refused what the config asks for (unknown channel, rejected client): exit 2."""


# ----------------------------------------------------------------- settings
@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's tokens; `origin` says where they came from ("store" or "env:VAR")."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    origin: str = "store"


@dataclass(frozen=True, slots=True)
class Endpoints:
    api_url: str = "https://api.twitch.tv/helix/"
    auth_url: str = "https://id.twitch.tv/"
    eventsub_url: str = "wss://eventsub.wss.twitch.tv/ws"

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


@dataclass(frozen=True, slots=True)
class TwitchSettings:
    client_id: str
    client_secret: str = field(repr=False)
    channel: str  # the broadcaster's login
    bots: Mapping[str, Credentials | None]  # every configured bot; None: no token
    endpoints: Endpoints = Endpoints()
    send_as: Literal["user", "app"] = "user"
    threaded_replies: bool = False
    rate_limit_retry_after: float = 2.0  # seconds before the one retry after a 429
    reconnect_wait: float = 30.0  # how long a reply waits for a lost connection
    watch_interval: float = 0.1  # how often the sockets are looked at
    resubscribe_backoff: float = 2.0  # first wait between own subscription attempts


# -------------------------------------------------------- twitchio bookkeeping
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


class _Client(twitchio.Client):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._websockets = _SocketRegistry()  # type: ignore[assignment]

    def sockets(self, user_id: str) -> list[Any]:
        return list(self._websockets.get(user_id, {}).values())


class _Phase(StrEnum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    CLOSED = "closed"


@dataclass(slots=True)
class _Bot:
    name: str
    credentials: Credentials | None
    user_id: str | None = None
    scopes: frozenset[str] = frozenset()
    problem: str | None = "no token"  # why it may not send; None when it may

    @property
    def authorized(self) -> bool:
        return self.problem is None


RoleListener = Callable[[str, Role], None]
TokenListener = Callable[[str, Credentials], None]


class TwitchChat(ChatSource):
    """The Twitch channel as a chat source and sink (it echoes our own messages back)."""

    echoes = True

    def __init__(
        self,
        settings: TwitchSettings,
        *,
        on_role: RoleListener | None = None,
        on_tokens_refreshed: TokenListener | None = None,
    ) -> None:
        self.settings = settings
        self._on_role = on_role
        self._on_tokens_refreshed = on_tokens_refreshed
        self._bots = {name: _Bot(name, creds) for name, creds in settings.bots.items()}
        self._mentions = MentionFinder(self._bots)
        self._phase = _Phase.NEW
        self._state = ConnectionState(ConnectionStatus.CONNECTING)
        self._connected = asyncio.Event()
        self._queue: asyncio.Queue[ChatMessage | None] = asyncio.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._client: _Client | None = None
        self._endpoints: contextlib.ExitStack | None = None
        self._channel_id = ""
        self._reader_id = ""
        self._broadcaster: twitchio.PartialUser | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._subscriber: asyncio.Task[None] | None = None
        self._attempt = 0
        self._reason: str | None = None
        self._ever_connected = False
        self._state_listeners: list[Callable[[ConnectionState], None]] = []
        self._start_lock = asyncio.Lock()
        redact(settings.client_secret)
        for creds in settings.bots.values():
            if creds is not None:
                redact(creds.access_token, creds.refresh_token)

    # ------------------------------------------------------------- observing
    @property
    def connection(self) -> ConnectionState:
        return self._state

    def add_state_listener(self, listener: Callable[[ConnectionState], None]) -> None:
        """Called with every new connection state (the dashboard may also just poll)."""
        self._state_listeners.append(listener)

    @property
    def notices(self) -> tuple[str, ...]:
        """One line per bot that may not send, for the dashboard."""
        if self._phase in (_Phase.NEW, _Phase.STARTING):
            return ()
        bots = self._bots.values()
        return tuple(f"{unauthorized(b.name)} ({b.problem})" for b in bots if b.problem)

    def bot_problems(self) -> dict[str, str | None]:
        """Why each bot may not send (None when it may), e.g. for a notice."""
        return {name: bot.problem for name, bot in self._bots.items()}

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Log in, check every bot's token, resolve the channel, subscribe to its chat.

        Raises TwitchSetupError when Twitch refuses the setup itself; a bot without a
        usable token only fails its own replies, and a websocket that cannot connect
        yet is retried in the background (the state shows it).
        """
        async with self._start_lock:
            if self._phase is not _Phase.NEW:
                return
            self._phase = _Phase.STARTING
            self._endpoints = contextlib.ExitStack()
            self._endpoints.enter_context(use_endpoints(self.settings.endpoints))
            try:
                await self._login()
                await self._add_tokens()
                await self._resolve_users()
            except BaseException:
                await self._shutdown()
                raise
            self._phase = _Phase.RUNNING
            await self._subscribe_once()
            self._watcher = asyncio.create_task(self._watch(), name="botdeck-twitch-watch")

    async def close(self) -> None:
        """Close the client and its sockets, restore twitchio's endpoints, end the stream."""
        if self._phase is _Phase.CLOSED:
            return
        await self._shutdown()

    async def _shutdown(self) -> None:
        self._phase = _Phase.CLOSED
        for task in (self._watcher, self._subscriber):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._client is not None:
            try:
                await self._client.close()
            except Exception:
                log.warning("closing the twitchio client failed", exc_info=True)
        if self._endpoints is not None:
            self._endpoints.close()
            self._endpoints = None
        self._set(ConnectionState(ConnectionStatus.ENDED))
        self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[ChatMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[ChatMessage]:
        if self._phase is _Phase.NEW:
            await self.start()
        while True:
            message = await self._queue.get()
            if message is None:
                return
            yield message

    # ---------------------------------------------------------------- setup
    async def _login(self) -> None:
        settings = self.settings
        self._client = client = _Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            fetch_client_user=False,
        )
        client.add_listener(self._on_chat, event="event_message")
        client.add_listener(self._on_token_refreshed, event="event_token_refreshed")
        try:
            # No token file: tokens come from botdeck's store or the environment.
            await client.login(load_tokens=False, save_tokens=False)
        except twitchio.HTTPException as error:
            raise TwitchSetupError(
                f"twitch.client_id: Twitch refused the client id or secret"
                f" (HTTP {error.status}: {_twitch_message(error)})"
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            raise TwitchSetupError(
                f"twitch.auth_url: cannot reach Twitch at {settings.endpoints.auth_url}"
                f" ({type(error).__name__})"
            ) from None

    async def _add_tokens(self) -> None:
        client = self._require_client()
        for bot in self._bots.values():
            creds = bot.credentials
            if creds is None or not creds.access_token:
                bot.problem = "no token"
                continue
            try:
                valid = await client.add_token(creds.access_token, creds.refresh_token)
            except twitchio.HTTPException as error:  # the message may hold the token
                bot.problem = f"token rejected by Twitch (HTTP {error.status})"
                continue
            except (aiohttp.ClientError, OSError) as error:
                bot.problem = f"token not checked: {type(error).__name__}"
                continue
            if not valid.user_id or (valid.login or "").lower() != bot.name:
                bot.problem = f"the token is for {valid.login or 'an app'}, not {bot.name}"
                continue
            bot.user_id = valid.user_id
            bot.scopes = frozenset(valid.scopes)
            needed = WRITE_SCOPE if self.settings.send_as == "user" else BOT_SCOPE
            bot.problem = None if needed in bot.scopes else f"the token lacks {needed}"
        for bot in self._bots.values():
            if bot.problem:
                log.warning("%s", f"{unauthorized(bot.name)} ({bot.problem})")

    async def _resolve_users(self) -> None:
        client = self._require_client()
        channel = self.settings.channel.lower()
        logins = [channel, *self._bots]
        try:
            users = await client.fetch_users(logins=logins)
        except twitchio.HTTPException as error:
            raise TwitchSetupError(
                f"chat.channel: Twitch did not look up {channel!r}"
                f" (HTTP {error.status}: {_twitch_message(error)})"
            ) from None
        by_login = {(user.name or "").lower(): user for user in users}
        if channel not in by_login:
            raise TwitchSetupError(f"chat.channel: there is no Twitch channel {channel!r}")
        self._channel_id = by_login[channel].id
        self._broadcaster = client.create_partialuser(self._channel_id, channel)
        for bot in self._bots.values():
            user = by_login.get(bot.name)
            if user is None:
                bot.problem = "no such Twitch account"
            elif bot.user_id is None:
                bot.user_id = user.id  # known, though it cannot send as a user
                if self.settings.send_as == "app" and bot.problem == "no token":
                    bot.problem = None  # the app token sends; Twitch checks user:bot
        readers = [
            b for b in self._bots.values() if b.user_id and READ_SCOPE in b.scopes and b.credentials
        ]
        if not readers:
            raise TwitchSetupError(
                f"bots: no bot has a token that may read chat ({READ_SCOPE}): run `botdeck auth`"
            )
        self._reader_id = readers[0].user_id or ""

    # -------------------------------------------------------------- reading
    async def _on_chat(self, payload: Any) -> None:
        """twitchio's `event_message`: one EventSub chat message, any chatter."""
        if getattr(payload.broadcaster, "id", None) != self._channel_id:
            return
        message_id = str(payload.id)
        if message_id in self._seen:
            return
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        chatter = payload.chatter
        login = (chatter.name or "").lower()
        if login in self._bots and self._on_role is not None:
            self._on_role(login, Role.from_badges(badge.set_id for badge in payload.badges))
        mentions: list[str] = []
        for fragment in payload.fragments:
            mentioned = fragment.mention
            name = (getattr(mentioned, "name", None) or "").lower() if mentioned else ""
            if name and name not in mentions:
                mentions.append(name)
        whole = clean_text(payload.text or "", max_chars=MAX_SCAN_CHARS)
        text = cut_text(whole)
        if text != whole:  # mentions past the display cut are still mentions
            mentions += [name for name in self._mentions.find(whole) if name not in mentions]
        self._queue.put_nowait(
            ChatMessage(
                id=message_id,
                user=login,
                text=text,
                timestamp=time.time(),
                display_name=clean_text(chatter.display_name or "", max_chars=64),
                mentions=tuple(mentions),
            )
        )

    async def _on_token_refreshed(self, payload: Any) -> None:
        redact(payload.token, payload.refresh_token)
        for bot in self._bots.values():
            if bot.user_id == payload.user_id and bot.credentials is not None:
                bot.credentials = Credentials(
                    payload.token, payload.refresh_token, bot.credentials.origin
                )
                if self._on_tokens_refreshed is not None:
                    self._on_tokens_refreshed(bot.name, bot.credentials)

    # ----------------------------------------------------------- connection
    async def _subscribe_once(self) -> bool:
        """Subscribe to the channel's chat on a new socket; False (with a reason) on failure."""
        client = self._require_client()
        payload = ChatMessageSubscription(
            broadcaster_user_id=self._channel_id, user_id=self._reader_id
        )
        try:
            await client.subscribe_websocket(payload, token_for=self._reader_id)
        except twitchio.HTTPException as error:
            self._reason = f"subscription refused (HTTP {error.status}: {_twitch_message(error)})"
        except twitchio.WebsocketConnectionException:
            self._reason = "cannot connect to the EventSub websocket"
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            self._reason = f"cannot reach Twitch ({type(error).__name__})"
        else:
            self._check()
            return True
        for socket in client.sockets(self._reader_id):
            if socket.subscription_count == 0:  # connected, but of no use
                await socket.close()
        self._check()
        return False

    async def _watch(self) -> None:
        while self._phase is _Phase.RUNNING:
            await self._watch_once()
            await asyncio.sleep(self.settings.watch_interval)

    async def _watch_once(self) -> None:
        client = self._require_client()
        for socket in client.sockets(self._reader_id):
            listener = socket._listen_task
            reading = listener is not None and not listener.done()
            if socket.connected and not socket._connecting and not reading:
                # Its reader died (twitchio stops on a message it cannot parse); twitchio
                # would notice only after its keepalive timeout.
                error = listener.exception() if listener and not listener.cancelled() else None
                what = f" ({type(error).__name__})" if error else ""
                self._reason = f"a message from Twitch could not be read{what}"
                log.warning("twitch: %s; connecting afresh", self._reason)
                await socket.close()
        self._check()
        if not client.sockets(self._reader_id) and self._subscriber is None:
            self._subscriber = asyncio.create_task(self._resubscribe(), name="botdeck-twitch-sub")

    def _check(self) -> None:
        """Set the state from the sockets: live, or being re-established (by twitchio or
        by `_resubscribe`); "failed" stays until a socket is live again."""
        if self._phase is not _Phase.RUNNING:
            return
        sockets = self._require_client().sockets(self._reader_id)
        live = any(
            s.connected and not s._connecting and s._listen_task and not s._listen_task.done()
            for s in sockets
        )
        status = self._state.status
        if live:
            self._attempt, self._reason, self._ever_connected = 0, None, True
            self._set(ConnectionState(ConnectionStatus.CONNECTED))
        elif status is ConnectionStatus.CONNECTED:
            self._attempt = 1
            self._reason = self._reason or _close_reason(sockets)
            self._set(ConnectionState(ConnectionStatus.RECONNECTING, 1, self._reason))

    async def _resubscribe(self) -> None:
        """twitchio gave up on the socket: subscribe afresh, backing off, until it works."""
        try:
            delay = self.settings.resubscribe_backoff
            while self._phase is _Phase.RUNNING:
                self._attempt += 1
                if self._state.status is not ConnectionStatus.FAILED:
                    waiting = ConnectionStatus.RECONNECTING
                    if not self._ever_connected:
                        waiting = ConnectionStatus.CONNECTING
                    self._set(ConnectionState(waiting, self._attempt, self._reason))
                if await self._subscribe_once():
                    return
                if self._attempt >= _FAILED_AFTER:
                    self._set(ConnectionState(ConnectionStatus.FAILED, self._attempt, self._reason))
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
        finally:
            self._subscriber = None

    def _set(self, state: ConnectionState) -> None:
        if state != self._state:
            log.info("twitch connection: %s", state.describe())
            self._state = state
            for listener in self._state_listeners:
                try:
                    listener(state)
                except Exception:
                    log.exception("connection state listener failed")
        if state.status is ConnectionStatus.CONNECTED:
            self._connected.set()
        else:
            self._connected.clear()

    # -------------------------------------------------------------- sending
    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        """Send `text` as `bot` (its own token, or the app token with send_as = "app")."""
        account = self._bots.get(bot)
        if account is None or not account.authorized or account.user_id is None:
            raise SendError(unauthorized(bot))
        await self._wait_connected()
        client, broadcaster = self._require_client(), self._broadcaster
        assert broadcaster is not None
        as_user = self.settings.send_as == "user"
        thread = reply_to if self.settings.threaded_replies else None
        for attempt in (1, 2):
            # twitchio falls back to the app token when it has no token for `token_for`:
            # check right before the request (no await in between), never borrow one.
            if as_user and account.user_id not in client.tokens:
                self._revoke(account, "twitchio dropped the token (refresh failed)")
                raise SendError(unauthorized(bot))
            try:
                sent = await broadcaster.send_message(
                    text,
                    sender=account.user_id,
                    token_for=account.user_id if as_user else None,
                    reply_to_message_id=thread,
                )
            except twitchio.MessageRejectedError as error:
                reason = _drop_reason(error.code, error.message)
                if attempt == 1 and _is_rate_limit(error.code):
                    await asyncio.sleep(self.settings.rate_limit_retry_after)
                    continue
                raise SendError(reason) from None
            except twitchio.HTTPException as error:
                if error.status == 429 and attempt == 1:
                    await asyncio.sleep(self.settings.rate_limit_retry_after)
                    continue
                why = _auth_failure(error)
                if why:
                    self._revoke(account, why)
                    raise SendError(unauthorized(bot)) from None
                raise SendError(_http_reason(error)) from None
            except ValueError as error:  # twitchio's own length check
                raise SendError(str(error)) from None
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise SendError(f"cannot reach Twitch ({type(error).__name__})") from None
            if not sent.sent:
                raise SendError("not sent: Twitch gave no reason")
            return str(sent.id)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_connected(self) -> None:
        """Replies made while the connection is being re-established go out after it."""
        if self._connected.is_set():
            return
        try:
            await asyncio.wait_for(self._connected.wait(), self.settings.reconnect_wait)
        except TimeoutError:
            raise SendError(f"not connected to Twitch: {self._state.describe()}") from None

    def _revoke(self, account: _Bot, why: str) -> None:
        if account.problem is None:
            account.problem = why
            log.warning("%s", f"{unauthorized(account.name)} ({why})")

    def _require_client(self) -> _Client:
        if self._client is None:
            raise RuntimeError("the Twitch client is not started")
        return self._client


# ------------------------------------------------------------------ helpers
def _twitch_message(error: twitchio.HTTPException) -> str:
    extra = error.extra if isinstance(error.extra, dict) else {}
    message = extra.get("message") or extra.get("error") or ""
    return clean_text(str(message), max_chars=200) or "no reason given"


def _http_reason(error: twitchio.HTTPException) -> str:
    if error.status == 429:
        return f"rate limited by Twitch (HTTP 429: {_twitch_message(error)})"
    return f"Twitch refused the message (HTTP {error.status}: {_twitch_message(error)})"


def _auth_failure(error: twitchio.HTTPException) -> str | None:
    """Why the token failed, for a 401 or for the refresh twitchio tries after one."""
    route = error.route
    if route is not None and route.path.startswith("oauth2/"):
        return f"the token expired or was revoked and did not refresh (HTTP {error.status})"
    if error.status == 401:
        return f"Twitch refused the token (HTTP 401: {_twitch_message(error)})"
    return None


def _drop_reason(code: str | None, message: str | None) -> str:
    text = clean_text(message or "", max_chars=300)
    if code and text:
        return f"{code}: {text}"
    return code or text or "dropped by Twitch"


def _is_rate_limit(code: str | None) -> bool:
    return code is not None and ("ratelimit" in code or "rate_limit" in code)


def _close_reason(sockets: list[Any]) -> str:
    for socket in sockets:
        raw = socket._socket
        if raw is not None and raw.close_code is not None:
            return f"the connection closed (code {raw.close_code})"
    return "the connection was lost"
