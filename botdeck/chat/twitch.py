"""Twitch chat through twitchio 3: one EventSub reader in, each bot's own identity out.

One `twitchio.Client` runs inside the app's loop (`login()`, never `run()`) and holds the
user token of every bot (and of the broadcaster, when `botdeck auth` stored one).

Reading: one account reads the channel's chat over an EventSub websocket
(`channel.chat.message`), chosen and replaced by `ReaderPool`: the broadcaster when its
token may read, else the first bot that may. When Twitch revokes the subscription (the
reader was banned, its authorization revoked), refuses its token's refresh, or refuses
its subscription twice, the next account reads, and the connection state says why
("reader alpha_bot banned: reading as beta_bot"). Sockets are botdeck's (see
`twitch_sockets`): a lost one is replaced by the watcher, as the current reader, with a
token checked right before; websockets never fall back to the app token.

Sending: each reply goes out through Helix as the bot that wrote it, always with
`token_for` set to that bot's user id (twitchio would otherwise use the app token without
a word), whether or not the socket is up: reading and sending are shown apart.
`send_as = "app"` is the one explicit exception: the app token, with Twitch's Chat Bot
badge and `for_source_only` (a shared chat session's partners do not see the reply).

Failures (see `twitch_http.classify`): a revoked grant marks the bot "not authorized: run
`botdeck auth`" until a new token appears in the token file (picked up without a
restart); Twitch or the network failing is temporary: the send fails with `retry_after`
(backoff) and the engine retries it once more through the send limiter. A 429 waits for
`Ratelimit-Reset`; a rate-limit drop waits `retry_wait`. Drop codes are shown as Twitch
words them. How sends fare in a row (drops included) is counted by the engine for every
sink (`engine/sending.py`); `sending` here says which accounts may send.

A subscription Twitch refuses (4xx) is said as such; while reading has never started,
the state's `never_read` keeps why, also in the `ended` state after `close`, so a run
that read nothing can say why at its end.

Roles are confirmed, not assumed: every bot starts at the viewer's send limit until Get
Moderated Channels or the badges on its own messages show more.

Moderators' actions and the chat modes come in through four more subscriptions on the
same socket, and Get Chat Settings when a subscription starts (`twitch_channel`).

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
from botdeck.chat.twitch_channel import (
    CHANNEL_EVENTS,
    channel_event,
    fetch_chat_settings,
    subscribe_channel_events,
)
from botdeck.chat.twitch_http import (
    NETWORK_ERRORS,
    FailureKind,
    classify,
    traced_session,
    twitch_message,
)
from botdeck.chat.twitch_readers import ReaderPool
from botdeck.chat.twitch_sockets import (
    SocketClient,
    close_reason,
    is_live,
    reader_error,
    reader_stopped,
)
from botdeck.core.mentions import MentionFinder
from botdeck.core.text import MAX_SCAN_CHARS, clean_text, cut_text
from botdeck.logs import redact
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus, Role

log = logging.getLogger(__name__)

READ_SCOPE = "user:read:chat"
WRITE_SCOPE = "user:write:chat"
BOT_SCOPE = "user:bot"
CHANNEL_BOT_SCOPE = "channel:bot"
MODERATED_SCOPE = "user:read:moderated_channels"  # lets a bot's moderator status be confirmed
BOT_SCOPES = (READ_SCOPE, WRITE_SCOPE, BOT_SCOPE, MODERATED_SCOPE)
BROADCASTER_SCOPES = (CHANNEL_BOT_SCOPE, READ_SCOPE)  # the broadcaster reads best: no ban

_SEEN_IDS = 4096
_FAILED_AFTER = 3  # failed subscription attempts before the state says "failed"
_REQUEST_ERRORS = (twitchio.HTTPException, twitchio.WebsocketConnectionException, *NETWORK_ERRORS)

# Revocations that re-subscribing as the same account cannot cure.
_REVOKED_READER = {
    "chat_user_banned": "banned",
    "authorization_revoked": "authorization revoked",
    "user_removed": "account removed",
}


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


@dataclass(frozen=True, slots=True)
class TwitchSettings:
    client_id: str
    client_secret: str = field(repr=False)
    channel: str  # the broadcaster's login
    bots: Mapping[str, Credentials | None]  # every configured bot; None: no token
    endpoints: Endpoints
    send_as: Literal["user", "app"]
    threaded_replies: bool
    shared_chat: Literal["ignore", "answer"]  # partner channels' lines
    retry_wait: float  # first wait before retrying what Twitch failed; doubles
    reconnect_wait: float  # the longest such wait (reading again, a send retry)
    broadcaster: Credentials | None = None  # the channel's own token (it reads best)
    reader_refusals: int = 2  # 401/403 answers to a reader's subscription before the next
    watch_interval: float = 0.1  # how often the sockets are looked at
    token_check_interval: float = 5.0  # how often a broken account's token file is re-read


# -------------------------------------------------------------- accounts
class _Phase(StrEnum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    CLOSED = "closed"


@dataclass(slots=True)
class _Account:
    """A Twitch account botdeck holds a token for: a bot (it sends) or the broadcaster."""

    login: str
    credentials: Credentials | None
    sends: bool
    user_id: str | None = None
    scopes: frozenset[str] = frozenset()
    token_ok: bool = False  # twitchio holds a token for it that Twitch accepted
    problem: str | None = "no token"  # why it may not send; None when it may
    tried: str | None = None  # the access token last tried; a different one is tried again
    temporary: str | None = None  # the last temporary failure, until a request works
    failures: int = 0  # consecutive temporary failures, for the backoff

    @property
    def can_read(self) -> bool:
        return self.token_ok and READ_SCOPE in self.scopes


RoleListener = Callable[[str, Role], None]
TokenListener = Callable[[str, Credentials], None]
CredentialsLookup = Callable[[str], Credentials | None]


class TwitchChat(ChatSource):
    """The Twitch channel as a chat source and sink (it echoes our own messages back)."""

    echoes = True

    def __init__(
        self,
        settings: TwitchSettings,
        *,
        on_role: RoleListener | None = None,
        on_tokens_refreshed: TokenListener | None = None,
        reload_credentials: CredentialsLookup | None = None,
    ) -> None:
        """`reload_credentials(login)` reads an account's tokens afresh (the token file), so
        a token `botdeck auth` fixed in another terminal is used without a restart."""
        self.settings = settings
        self._on_role = on_role
        self._on_tokens_refreshed = on_tokens_refreshed
        self._reload = reload_credentials
        channel = settings.channel.lower()
        self._accounts = {
            name: _Account(name, creds, sends=True) for name, creds in settings.bots.items()
        }
        if channel not in self._accounts:
            self._accounts[channel] = _Account(channel, settings.broadcaster, sends=False)
        self._readers = ReaderPool((), ())
        self._mentions = MentionFinder(settings.bots)
        self._phase = _Phase.NEW
        self._state = ConnectionState(ConnectionStatus.CONNECTING)
        self._queue: asyncio.Queue[ChatEvent | None] = asyncio.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._client: SocketClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._endpoints: contextlib.ExitStack | None = None
        self._channel_id = ""
        self._broadcaster: twitchio.PartialUser | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._subscriber: asyncio.Task[None] | None = None
        self._attempt = 0
        self._reason: str | None = None
        self._ever_connected = False
        self._refused_only = True  # every failed subscription so far was Twitch saying no
        self._next_token_check = 0.0
        self.shared_ignored = 0  # partner channels' lines left alone (shared_chat = "ignore")
        self._state_listeners: list[Callable[[ConnectionState], None]] = []
        self._start_lock = asyncio.Lock()
        redact(settings.client_secret)
        for account in self._accounts.values():
            if account.credentials is not None:
                redact(account.credentials.access_token, account.credentials.refresh_token)

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
        return tuple(f"{unauthorized(b.login)} ({b.problem})" for b in self._bots if b.problem)

    def bot_problems(self) -> dict[str, str | None]:
        """Why each bot may not send (None when it may), e.g. for a notice."""
        return {bot.login: bot.problem for bot in self._bots}

    @property
    def reader(self) -> str | None:
        """The account reading chat now (None: nobody can)."""
        return self._readers.current

    @property
    def _bots(self) -> list[_Account]:
        return [account for account in self._accounts.values() if account.sends]

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Log in, check every token, resolve the channel, confirm roles, start reading.

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
                for account in self._accounts.values():
                    if account.credentials is not None and account.credentials.access_token:
                        await self._check_token(account, account.credentials)
                await self._resolve_users()
                await self._confirm_roles()
            except BaseException:
                await self._shutdown()
                raise
            for bot in self._bots:
                if bot.problem:
                    log.warning("%s", f"{unauthorized(bot.login)} ({bot.problem})")
            self._phase = _Phase.RUNNING
            self._publish()  # sending is ready, whatever reading does next
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
        if self._session is not None:
            await self._session.close()
        if self._endpoints is not None:
            self._endpoints.close()
            self._endpoints = None
        # Why reading never started outlives the connection: the run's summary says it.
        never_read = None if self._ever_connected else self._reason
        self._set(ConnectionState(ConnectionStatus.ENDED, never_read=never_read))
        self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[ChatEvent]:
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
        self._session = traced_session()
        self._client = client = SocketClient(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            fetch_client_user=False,
            session=self._session,
        )
        client.add_listener(self._on_chat, event="event_message")
        for event in CHANNEL_EVENTS:
            client.add_listener(self._on_channel_event, event=event)
        client.add_listener(self._on_token_refreshed, event="event_token_refreshed")
        client.add_listener(self._on_revoked, event="event_subscription_revoked")
        try:
            # No token file: tokens come from botdeck's store or the environment.
            await client.login(load_tokens=False, save_tokens=False)
        except twitchio.HTTPException as error:
            raise TwitchSetupError(
                f"twitch.client_id: Twitch refused the client id or secret"
                f" (HTTP {error.status}: {twitch_message(error)})"
            ) from None
        except NETWORK_ERRORS as error:
            raise TwitchSetupError(
                f"twitch.auth_url: cannot reach Twitch at {settings.endpoints.auth_url}"
                f" ({type(error).__name__})"
            ) from None

    async def _check_token(self, account: _Account, creds: Credentials) -> bool:
        """Give twitchio the account's token if Twitch accepts it for that account."""
        client = self._require_client()
        redact(creds.access_token, creds.refresh_token)
        account.credentials, account.tried = creds, creds.access_token
        try:
            valid = await client.add_token(creds.access_token, creds.refresh_token)
        except _REQUEST_ERRORS as error:  # the message may hold the token: never shown
            failure = classify(error)
            if failure.kind is FailureKind.TEMPORARY:
                account.tried = None  # the same token is worth another try
                account.problem = f"token not checked yet: {failure.reason}"
            elif isinstance(error, twitchio.HTTPException):
                account.problem = f"token rejected by Twitch (HTTP {error.status})"
            else:
                account.problem = "token rejected by Twitch"
            return False
        if not valid.user_id or (valid.login or "").lower() != account.login:
            account.problem = f"the token is for {valid.login or 'an app'}, not {account.login}"
            return False
        account.user_id = valid.user_id
        account.scopes = frozenset(valid.scopes)
        account.token_ok = True
        account.temporary, account.failures = None, 0
        needed = WRITE_SCOPE if self.settings.send_as == "user" else BOT_SCOPE
        account.problem = None if needed in account.scopes else f"the token lacks {needed}"
        return True

    async def _resolve_users(self) -> None:
        client = self._require_client()
        channel = self.settings.channel.lower()
        logins = list(dict.fromkeys([channel, *self._accounts]))
        try:
            users = await client.fetch_users(logins=logins)
        except twitchio.HTTPException as error:
            raise TwitchSetupError(
                f"chat.channel: Twitch did not look up {channel!r}"
                f" (HTTP {error.status}: {twitch_message(error)})"
            ) from None
        by_login = {(user.name or "").lower(): user for user in users}
        if channel not in by_login:
            raise TwitchSetupError(f"chat.channel: there is no Twitch channel {channel!r}")
        self._channel_id = by_login[channel].id
        self._broadcaster = client.create_partialuser(self._channel_id, channel)
        for account in self._accounts.values():
            user = by_login.get(account.login)
            if user is None:
                account.problem = "no such Twitch account"
            elif account.user_id is None:
                account.user_id = user.id  # known, though it cannot send as a user
                if self.settings.send_as == "app" and account.problem == "no token":
                    account.problem = None  # the app token sends; Twitch checks user:bot
        order = [channel, *(bot.login for bot in self._bots)]
        readable = [login for login in order if self._accounts[login].can_read]
        self._readers = ReaderPool(order, readable, refusals_allowed=self.settings.reader_refusals)
        if self._readers.current is None:
            raise TwitchSetupError(
                f"bots: no bot has a token that may read chat ({READ_SCOPE}): run `botdeck auth`"
            )

    async def _confirm_roles(self) -> None:
        """Every bot starts at the viewer's send limit, whatever `role` says, until Twitch
        confirms more: here through Get Moderated Channels (when the token may ask), later
        through the badges on the bot's own messages."""
        if self._on_role is None:
            return
        client = self._require_client()
        for bot in self._bots:
            role = Role.VIEWER
            if bot.user_id == self._channel_id:
                role = Role.BROADCASTER
            elif bot.token_ok and MODERATED_SCOPE in bot.scopes and bot.user_id:
                user = client.create_partialuser(bot.user_id, bot.login)
                try:
                    async for channel in user.fetch_moderated_channels(token_for=bot.user_id):
                        if channel.id == self._channel_id:
                            role = Role.MODERATOR
                            break
                except _REQUEST_ERRORS as error:
                    log.info("%s: moderator status not checked (%s)", bot.login, error)
            self._on_role(bot.login, role)

    # -------------------------------------------------------------- reading
    async def _on_chat(self, payload: Any) -> None:
        """twitchio's `event_message`: one EventSub chat message, any chatter."""
        if getattr(payload.broadcaster, "id", None) != self._channel_id:
            return
        source = getattr(payload, "source_broadcaster", None)
        partner = source is not None and source.id != self._channel_id
        if partner and self.settings.shared_chat == "ignore":
            # Shared chat: a partner channel's viewer. Answering would also reach viewers
            # of channels that did not ask for our bots.
            self.shared_ignored += 1
            return
        message_id = str(payload.id)
        if message_id in self._seen:
            return
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        chatter = payload.chatter
        login = (chatter.name or "").lower()
        account = self._accounts.get(login)
        if account is not None and account.sends and self._on_role is not None:
            self._on_role(login, Role.from_badges(badge.set_id for badge in payload.badges))
        mentions: list[str] = []
        emotes = tuple(dict.fromkeys(f.text for f in payload.fragments if f.type == "emote"))
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
                badges=tuple(badge.set_id for badge in payload.badges),
                emotes=emotes,  # Twitch's own emotes; third-party ones are known by name
            )
        )

    async def _on_channel_event(self, payload: Any) -> None:
        """A moderator's action or new chat settings in our channel."""
        if getattr(payload.broadcaster, "id", None) != self._channel_id:
            return
        event = channel_event(payload)
        if event is not None:
            self._queue.put_nowait(event)

    async def _on_token_refreshed(self, payload: Any) -> None:
        redact(payload.token, payload.refresh_token)
        for account in self._accounts.values():
            if account.user_id == payload.user_id and account.credentials is not None:
                account.credentials = Credentials(
                    payload.token, payload.refresh_token, account.credentials.origin
                )
                account.tried = payload.token
                if self._on_tokens_refreshed is not None:
                    self._on_tokens_refreshed(account.login, account.credentials)

    async def _on_revoked(self, payload: Any) -> None:
        """twitchio's `event_subscription_revoked`: Twitch ended a subscription."""
        condition = payload.raw.get("condition", {}) if isinstance(payload.raw, dict) else {}
        account = self._account_by_id(condition.get("user_id"))
        status = getattr(payload.status, "value", str(payload.status))
        log.warning("twitch: subscription %s revoked (%s)", payload.type, status)
        why = _REVOKED_READER.get(status)
        if account is None or why is None:
            return  # e.g. version_removed: the watcher subscribes afresh
        if status == "authorization_revoked":
            self._revoke(account, "the authorization was revoked")
        self._bench(account, why)

    # ----------------------------------------------------------- connection
    async def _subscribe_once(self) -> bool:
        """Subscribe to the channel's chat on a new socket, as the current reader; False
        (with a reason, and the reader set aside if Twitch will not have it) on failure."""
        client = self._require_client()
        login = self._readers.current
        if login is None:
            self._reason = self._readers.note() or "no account can read chat"
            return False
        account = self._accounts[login]
        user_id = account.user_id or ""
        # Never the app token: twitchio falls back to it without a word when it no longer
        # holds the reader's token (its hourly validation drops a token it cannot refresh).
        if user_id not in client.tokens and not await self._recover(account):
            self._revoke(account, "Twitch refused to refresh its token")
            self._bench(account, "token revoked")
            return False
        if user_id not in client.tokens:
            return False
        payload = ChatMessageSubscription(broadcaster_user_id=self._channel_id, user_id=user_id)
        try:
            socket = await client.open_socket(user_id)
            await client.subscribe_websocket(
                payload, token_for=user_id, socket_id=socket.session_id
            )
        except _REQUEST_ERRORS as error:
            await self._subscribe_failed(account, error)
            return False
        self._readers.succeeded(login)
        self._reason = None
        await subscribe_channel_events(client, self._channel_id, user_id)
        if self._broadcaster is not None:
            settings = await fetch_chat_settings(self._broadcaster)
            if settings is not None:
                self._queue.put_nowait(settings)  # the modes may have changed meanwhile
        self._check()
        return True

    async def _subscribe_failed(self, account: _Account, error: BaseException) -> None:
        failure = classify(error)
        self._reason = failure.reason
        refused = _refusal(error)
        if refused is None:
            self._refused_only = False
        elif not self._ever_connected and self._refused_only:
            # Said this way in the header and, if it never changes, at the end of the run.
            self._reason = f"every EventSub subscription was refused: {refused}"
        else:
            self._reason = f"Twitch refused the chat subscription ({refused})"
        if isinstance(error, twitchio.HTTPException) and _is_subscription_answer(error):
            if error.status in (401, 403) and self._readers.refused(account.login):
                self._bench(account, f"refused by Twitch ({refused})")
        elif failure.kind is FailureKind.REVOKED:
            self._revoke(account, failure.reason)  # its refresh was refused
            self._bench(account, "token revoked")
        for socket in self._require_client().sockets(account.user_id or ""):
            if socket.subscription_count == 0:  # connected, but of no use
                await socket.close()
        self._check()

    def _bench(self, account: _Account, why: str) -> None:
        """`account` stops reading; the next reader (if any) takes over at once."""
        was = self._readers.current
        self._readers.bench(account.login, why)
        note = self._readers.note()
        log.warning("twitch: %s", note or f"reader {account.login} {why}")
        if was == account.login:
            self._reason = note or f"reader {account.login} {why}"
            if self._state.status is ConnectionStatus.CONNECTED:
                self._attempt = 1
                self._show(ConnectionStatus.RECONNECTING, 1, self._reason)

    async def _watch(self) -> None:
        while self._phase is _Phase.RUNNING:
            await self._watch_once()
            await asyncio.sleep(self.settings.watch_interval)

    async def _watch_once(self) -> None:
        client = self._require_client()
        reader = self._reader_id()
        for user_id, socket in client.all_sockets():
            if user_id != reader and not socket._closing and not socket._closed:
                await socket.close()  # a reader set aside: its socket is of no use
            elif reader_stopped(socket):
                error = reader_error(socket)
                what = f" ({type(error).__name__})" if error else ""
                self._reason = f"a message from Twitch could not be read{what}"
                log.warning("twitch: %s; connecting afresh", self._reason)
                await socket.close()
        self._check()
        if not self._live() and self._subscriber is None:
            self._subscriber = asyncio.create_task(self._resubscribe(), name="botdeck-twitch-sub")
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_token_check:
            self._next_token_check = loop.time() + self.settings.token_check_interval
            await self._recheck_tokens()

    def _reader_id(self) -> str | None:
        login = self._readers.current
        return self._accounts[login].user_id if login is not None else None

    def _live(self) -> bool:
        reader = self._reader_id()
        return reader is not None and any(
            is_live(s) for s in self._require_client().sockets(reader)
        )

    def _check(self) -> None:
        """Set the state from the sockets: live (with a subscription), or being
        re-established; "failed" stays until a socket is live again."""
        if self._phase is not _Phase.RUNNING:
            return
        if self._live():
            self._attempt, self._reason, self._ever_connected = 0, None, True
            self._show(ConnectionStatus.CONNECTED, 0, self._readers.note())
        elif self._state.status is ConnectionStatus.CONNECTED:
            self._attempt = 1
            reader = self._reader_id()
            sockets = self._require_client().sockets(reader) if reader else []
            self._reason = self._reason or close_reason(sockets)
            self._show(ConnectionStatus.RECONNECTING, 1, self._reason)

    async def _resubscribe(self) -> None:
        """No live socket: subscribe afresh, backing off, until it works."""
        try:
            delay = self.settings.retry_wait
            while self._phase is _Phase.RUNNING:
                self._attempt += 1
                if self._state.status is not ConnectionStatus.FAILED:
                    waiting = ConnectionStatus.RECONNECTING
                    if not self._ever_connected:
                        waiting = ConnectionStatus.CONNECTING
                    self._show(waiting, self._attempt, self._reason)
                reader = self._readers.current
                if await self._subscribe_once():
                    return
                if self._readers.current not in (reader, None):
                    continue  # that reader was set aside: the next one tries at once
                if self._readers.current is None:  # everyone was stopped: all again, later
                    self._show(ConnectionStatus.FAILED, self._attempt, self._reason)
                    await asyncio.sleep(self.settings.reconnect_wait)
                    self._readers.retry_all()
                    continue
                if self._attempt >= _FAILED_AFTER:
                    self._show(ConnectionStatus.FAILED, self._attempt, self._reason)
                await asyncio.sleep(delay)
                delay = min(self.settings.reconnect_wait, delay * 2)
        finally:
            self._subscriber = None

    def _show(self, status: ConnectionStatus, attempt: int = 0, reason: str | None = None) -> None:
        never_read = None if self._ever_connected else reason
        self._set(ConnectionState(status, attempt, reason, self._sending(), never_read=never_read))

    def _sending(self) -> str:
        """How sending is doing, apart from reading (replies go out through Helix)."""
        bots = self._bots
        able = [bot for bot in bots if bot.problem is None]
        if not able:
            return "no bot may send"
        trouble = next((bot.temporary for bot in able if bot.temporary), None)
        if trouble:
            return f"retrying ({trouble})"
        if len(able) < len(bots):
            return f"ok for {len(able)} of {len(bots)} bots"
        return "ok"

    def _publish(self) -> None:
        """Show a change on the sending side (the reading side stays as it is)."""
        if self._phase is _Phase.RUNNING:
            state = self._state
            self._show(state.status, state.attempt, state.reason)

    def _set(self, state: ConnectionState) -> None:
        if state != self._state:
            log.info("twitch connection: %s", state.describe())
            self._state = state
            for listener in self._state_listeners:
                try:
                    listener(state)
                except Exception:
                    log.exception("connection state listener failed")

    # --------------------------------------------------------------- tokens
    async def _recover(self, account: _Account) -> bool:
        """Try the account's token afresh when there is a new one (`botdeck auth` in
        another terminal) or the last check could not reach Twitch; True when it works."""
        fresh = None
        if self._reload is not None:
            try:
                fresh = self._reload(account.login)
            except Exception as error:  # e.g. a damaged token file: keep what we have
                log.warning("twitch: cannot read %s's tokens again: %s", account.login, error)
        fresh = fresh or account.credentials
        if fresh is None or not fresh.access_token or fresh.access_token == account.tried:
            return False
        if not await self._check_token(account, fresh):
            self._publish()
            return False
        log.warning("twitch: %s has a usable token again", account.login)
        if account.can_read:
            self._readers.restore(account.login)
        self._publish()
        return True

    async def _recheck_tokens(self) -> None:
        for account in list(self._accounts.values()):
            if account.problem is not None or not account.token_ok:
                await self._recover(account)

    def _revoke(self, account: _Account, why: str) -> None:
        account.token_ok = False
        if account.problem is None:
            account.problem = why
            if account.sends:
                log.warning("%s", f"{unauthorized(account.login)} ({why})")
        self._publish()

    def _account_by_id(self, user_id: str | None) -> _Account | None:
        return next((a for a in self._accounts.values() if user_id and a.user_id == user_id), None)

    # -------------------------------------------------------------- sending
    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        """Send `text` as `bot` (its own token, or the app token with send_as = "app"),
        whether or not reading is up. Raises SendError; `retry_after` when worth retrying."""
        account = self._accounts.get(bot)
        if account is None or not account.sends or account.user_id is None:
            raise SendError(unauthorized(bot))
        broadcaster = self._broadcaster
        assert broadcaster is not None
        as_user = self.settings.send_as == "user"
        if not self._may_send(account):
            if account.problem is None:  # twitchio's validation dropped the token
                self._revoke(account, "Twitch refused to refresh its token")
            await self._recover(account)  # a token `botdeck auth` saved meanwhile?
        # twitchio falls back to the app token when it has no token for `token_for`:
        # check right before the request (no await in between), never borrow one.
        if not self._may_send(account):
            raise SendError(unauthorized(bot))
        try:
            sent = await broadcaster.send_message(
                text,
                sender=account.user_id,
                token_for=account.user_id if as_user else None,
                reply_to_message_id=reply_to if self.settings.threaded_replies else None,
                source_only=None if as_user else True,  # only the app token may say so
            )
        except twitchio.MessageRejectedError as error:
            self._worked(account)  # Twitch answered; it dropped this one message
            reason = _drop_reason(error.code, error.message)
            retry = self.settings.retry_wait if _is_rate_limit(error.code, error.message) else None
            raise SendError(reason, retry_after=retry) from None
        except ValueError as error:  # twitchio's own length check
            raise SendError(str(error)) from None
        except _REQUEST_ERRORS as error:
            raise self._send_failed(account, error) from None
        self._worked(account)
        if not sent.sent:
            raise SendError("not sent: Twitch gave no reason")
        return str(sent.id)

    def _may_send(self, account: _Account) -> bool:
        if account.problem is not None:
            return False
        as_user = self.settings.send_as == "user"
        return not as_user or account.user_id in self._require_client().tokens

    def _send_failed(self, account: _Account, error: BaseException) -> SendError:
        failure = classify(error, what="the message")
        if failure.kind is FailureKind.REVOKED:
            self._revoke(account, failure.reason)
            return SendError(unauthorized(account.login))
        if failure.kind is FailureKind.RATE_LIMITED:
            return SendError(failure.reason, retry_after=failure.retry_after or self._backoff(1))
        if failure.kind is FailureKind.TEMPORARY:
            account.failures += 1
            account.temporary = failure.reason
            self._publish()
            return SendError(failure.reason, retry_after=self._backoff(account.failures))
        return SendError(failure.reason)

    def _worked(self, account: _Account) -> None:
        if account.temporary is not None or account.failures:
            account.temporary, account.failures = None, 0
            self._publish()

    def _backoff(self, failures: int) -> float:
        wait: float = self.settings.retry_wait * 2.0 ** max(0, failures - 1)
        return min(self.settings.reconnect_wait, wait)

    def _require_client(self) -> SocketClient:
        if self._client is None:
            raise RuntimeError("the Twitch client is not started")
        return self._client


# ------------------------------------------------------------------ helpers
def _is_subscription_answer(error: BaseException) -> bool:
    """Twitch's own answer to the subscription request (not a refresh made for it)."""
    route = getattr(error, "route", None)
    return route is not None and "eventsub/subscriptions" in route.path


def _refusal(error: BaseException) -> str | None:
    """Twitch's no to a subscription ("HTTP 400: <its words>"); None for any other failure
    (a network error, an outage, a rate limit, a refused token refresh)."""
    if not isinstance(error, twitchio.HTTPException) or not _is_subscription_answer(error):
        return None
    if not 400 <= error.status < 500 or error.status == 429:
        return None
    return f"HTTP {error.status}: {twitch_message(error)}"


def _drop_reason(code: str | None, message: str | None) -> str:
    """Twitch's drop code and words, as text: the codes are undocumented and change."""
    text = clean_text(message or "", max_chars=300)
    code = clean_text(code or "", max_chars=80)
    if code and text:
        return f"{code}: {text}"
    return code or text or "dropped by Twitch"


def _is_rate_limit(code: str | None, message: str | None) -> bool:
    """A drop that says the account sent too much (worded loosely: codes change)."""
    words = f"{code or ''} {message or ''}".lower().replace("_", "").replace(" ", "")
    return "ratelimit" in words or "tooquickly" in words or "toofast" in words
