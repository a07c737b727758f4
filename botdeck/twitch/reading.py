"""Reading the channel's chat: one account's EventSub subscription, failing over to the
next account, and the reading half of the connection state.

One account reads for all (`channel.chat.message`), chosen by `ReaderPool`: the
broadcaster when its token may read, else the first bot that may. When Twitch revokes
the subscription (the reader was banned, its authorization revoked), refuses its token's
refresh, or refuses its subscription twice, the next account reads, and the state says
why ("reader alpha_bot banned: reading as beta_bot"). Sockets are botdeck's (`sockets`):
a watcher looks every `watch_interval`, and a lost one is replaced as the current reader
with a token checked right before (never the app token), backing off from `retry_wait`
to `reconnect_wait`. Moderation and chat-settings subscriptions ride on the same socket
(`channel`), and so do the channel's other events (`live_events`, `events`); every one names that
socket. A subscription Twitch refuses (4xx) is said as such; while reading has never
started, the state's `never_read` keeps why, also in the `ended` state after close.

Reading is live only while the chat subscription itself is: the moderation ones keep the
socket open when Twitch revokes it alone, so any revocation of it (every status Twitch
lists, `version_removed` and `beta_maintenance` too) moves reading to the next reader with
the reason shown. A socket that hears nothing past its keepalive timeout is closed at once
rather than when twitchio notices. Each time chat is not read while it should be, from
the last word the lost socket heard to the next live subscription, is a reading gap: the
state shows it while it lasts and the source delivers a `ReadingGap` when it ends (or when
the run ends blind), for the journal and the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import twitchio
from twitchio.eventsub import ChatMessageSubscription

from botdeck.core.text import clean_text
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ConnectionState, ConnectionStatus
from botdeck.model.live import ReadingGap
from botdeck.twitch.accounts import Accounts
from botdeck.twitch.channel import fetch_chat_settings, subscribe_channel_events
from botdeck.twitch.events import Events, subscribe_reader_events
from botdeck.twitch.http import REQUEST_ERRORS, FailureKind, classify, twitch_message
from botdeck.twitch.link import AccountState, Link, Phase
from botdeck.twitch.live_events import subscribe_live_events
from botdeck.twitch.readers import ReaderPool
from botdeck.twitch.settings import READ_SCOPE, TwitchSetupError
from botdeck.twitch.sockets import (
    CHAT_MESSAGE,
    close_reason,
    is_live,
    last_heard,
    reader_error,
    reader_stopped,
    silent_for,
)

log = logging.getLogger(__name__)

_FAILED_AFTER = 3  # failed subscription attempts before the state says "failed"

# Revocations that re-subscribing as the same account cannot cure.
_REVOKED_READER = {
    "chat_user_banned": "banned",
    "authorization_revoked": "authorization revoked",
    "user_removed": "account removed",
}

StateListener = Callable[[ConnectionState], None]
SettingsListener = Callable[[ChatEvent], None]


class Reading:
    """The reader, its socket and the connection state; `sending()` says how sending does,
    for the same state line."""

    def __init__(
        self,
        link: Link,
        accounts: Accounts,
        queue: asyncio.Queue[ChatEvent | None],
        *,
        sending: Callable[[], str],
        events: Events | None = None,
        put: SettingsListener | None = None,
    ) -> None:
        self._link = link
        self._events = events  # the channel's events: on the reader's socket, and their own
        self._accounts = accounts
        self._queue = queue
        self._put = put or queue.put_nowait  # chat settings read afresh go this way
        self._sending = sending
        self._blind_since: float | None = None  # a reading gap, while it lasts
        self.readers = ReaderPool((), ())
        self.state = ConnectionState(ConnectionStatus.CONNECTING)
        self.listeners: list[StateListener] = []
        self._watcher: asyncio.Task[None] | None = None
        self._subscriber: asyncio.Task[None] | None = None
        self._attempt = 0
        self._reason: str | None = None
        self._ever_connected = False
        self._refused_only = True  # every failed subscription so far was Twitch saying no
        self._next_token_check = 0.0

    # ------------------------------------------------------------- lifecycle
    def choose_readers(self) -> None:
        """The readers in order, from the accounts as checked; none is a TwitchSetupError."""
        link = self._link
        order = [link.settings.channel.lower(), *(bot.login for bot in link.bots)]
        readable = [login for login in order if link.accounts[login].can_read]
        self.readers = ReaderPool(order, readable, refusals_allowed=link.settings.reader_refusals)
        if self.readers.current is None:
            raise TwitchSetupError(
                f"bots: no bot has a token that may read chat ({READ_SCOPE}): run `botdeck auth`"
            )

    async def begin(self) -> None:
        """Subscribe once now, then watch the sockets for as long as the chat runs."""
        await self.subscribe_once()
        self._watcher = asyncio.create_task(self._watch(), name="botdeck-twitch-watch")

    async def stop(self) -> None:
        for task in (self._watcher, self._subscriber):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def end(self) -> None:
        """The `ended` state; why reading never started outlives the connection, so the
        run's summary can say it. A reading gap still open ends here."""
        self._found()
        never_read = None if self._ever_connected else self._reason
        self._set(ConnectionState(ConnectionStatus.ENDED, never_read=never_read))

    # ----------------------------------------------------------- subscribing
    async def subscribe_once(self) -> bool:
        """Subscribe to the channel's chat on a new socket, as the current reader; False
        (with a reason, and the reader set aside if Twitch will not have it) on failure."""
        link = self._link
        client = link.require_client()
        login = self.readers.current
        if login is None:
            self._reason = self.readers.note() or "no account can read chat"
            return False
        account = link.accounts[login]
        user_id = account.user_id or ""
        # Never the app token: twitchio falls back to it without a word when it no longer
        # holds the reader's token (its hourly validation drops a token it cannot refresh).
        if user_id not in client.tokens and not await self._accounts.recover(account):
            self._accounts.revoke(account, "Twitch refused to refresh its token")
            self._bench(account, "token revoked")
            return False
        if user_id not in client.tokens:
            return False
        payload = ChatMessageSubscription(broadcaster_user_id=link.channel_id, user_id=user_id)
        try:
            socket = await client.open_socket(user_id)
            await client.subscribe_websocket(
                payload, token_for=user_id, socket_id=socket.session_id
            )
        except REQUEST_ERRORS as error:
            await self._subscribe_failed(account, error)
            return False
        self.readers.succeeded(login)
        self._reason = None
        session = socket.session_id or ""
        await subscribe_channel_events(client, link.channel_id, user_id, session)
        await subscribe_live_events(
            client,
            link.channel_id,
            user_id,
            session,
            broadcaster=user_id == link.channel_id and account.scopes,
        )
        if self._events is not None:
            await subscribe_reader_events(client, link.channel_id, user_id, session)
        if link.broadcaster is not None:
            settings = await fetch_chat_settings(link.broadcaster)
            if settings is not None:
                self._put(settings)  # the modes may have changed meanwhile
        self.check()
        return True

    async def _subscribe_failed(self, account: AccountState, error: BaseException) -> None:
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
            if error.status in (401, 403) and self.readers.refused(account.login):
                self._bench(account, f"refused by Twitch ({refused})")
        elif failure.kind is FailureKind.REVOKED:
            self._accounts.revoke(account, failure.reason)  # its refresh was refused
            self._bench(account, "token revoked")
        for socket in self._link.require_client().sockets(account.user_id or ""):
            if socket.subscription_count == 0:  # connected, but of no use
                await socket.close()
        self.check()

    async def on_revoked(self, payload: Any) -> None:
        """twitchio's `event_subscription_revoked`: Twitch ended a subscription."""
        raw = payload.raw if isinstance(payload.raw, dict) else {}
        status = getattr(payload.status, "value", str(payload.status))
        self._revoked(str(getattr(payload, "type", "")), status, raw.get("condition"))

    async def on_raw_revocation(self, subscription: dict[str, Any]) -> None:
        """A revocation twitchio could not read (a status its enum lacks)."""
        sub_type, status = subscription.get("type"), subscription.get("status")
        self._revoked(str(sub_type or ""), str(status or "unknown"), subscription.get("condition"))

    def _revoked(self, sub_type: str, status: str, condition: Any) -> None:
        user_id = condition.get("user_id") if isinstance(condition, dict) else None
        account = self._link.account_by_id(user_id)
        status = clean_text(status, max_chars=60)
        log.warning("twitch: subscription %s revoked (%s)", clean_text(sub_type), status)
        if account is None:
            return
        why = _REVOKED_READER.get(status)
        if sub_type == CHAT_MESSAGE and why is None:
            # The chat subscription alone (the others keep the socket open): reading is
            # not live, whatever the status; the next reader takes over, saying why.
            why = f"chat subscription revoked ({status})"
        if why is None:
            return  # one of the channel's other events: logged, chat goes on
        if status == "authorization_revoked":
            self._accounts.revoke(account, "the authorization was revoked")
        self._bench(account, why)

    def _bench(self, account: AccountState, why: str) -> None:
        """`account` stops reading; the next reader (if any) takes over at once."""
        was = self.readers.current
        self.readers.bench(account.login, why)
        note = self.readers.note()
        log.warning("twitch: %s", note or f"reader {account.login} {why}")
        if was == account.login:
            self._reason = note or f"reader {account.login} {why}"
            if self.state.status is ConnectionStatus.CONNECTED:
                self._lost()
                self._attempt = 1
                self._show(ConnectionStatus.RECONNECTING, 1, self._reason)

    # -------------------------------------------------------------- watching
    async def _watch(self) -> None:
        while self._link.phase is Phase.RUNNING:
            await self._watch_once()
            await asyncio.sleep(self._link.settings.watch_interval)

    async def _watch_once(self) -> None:
        client = self._link.require_client()
        reader = self._reader_id()
        grace = self._link.settings.silence_grace
        for user_id, socket in client.all_sockets():
            if user_id != reader and not socket._closing and not socket._closed:
                await socket.close()  # a reader set aside: its socket is of no use
            elif reader_stopped(socket):
                error = reader_error(socket)
                what = f" ({type(error).__name__})" if error else ""
                self._reason = f"a message from Twitch could not be read{what}"
                log.warning("twitch: %s; connecting afresh", self._reason)
                await socket.close()
            elif (quiet := silent_for(socket, grace)) is not None:
                self._reason = f"no word from Twitch for {quiet:.0f} s"
                log.warning("twitch: %s; connecting afresh", self._reason)
                if is_live(socket):
                    self._lost(last_heard(socket))
                await socket.close()
        self.check()
        if not self._live() and self._subscriber is None:
            self._subscriber = asyncio.create_task(self._resubscribe(), name="botdeck-twitch-sub")
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_token_check:
            self._next_token_check = loop.time() + self._link.settings.token_check_interval
            await self._accounts.recheck()

    def _reader_id(self) -> str | None:
        login = self.readers.current
        return self._link.accounts[login].user_id if login is not None else None

    def _live(self) -> bool:
        """A socket of the reader is live with the chat on it (a socket that lost it, or
        has only other subscriptions, does not read chat)."""
        reader = self._reader_id()
        return reader is not None and any(
            is_live(s) for s in self._link.require_client().sockets(reader)
        )

    async def _resubscribe(self) -> None:
        """No live socket: subscribe afresh, backing off, until it works."""
        try:
            delay = self._link.settings.retry_wait
            while self._link.phase is Phase.RUNNING:
                self._attempt += 1
                if self.state.status is not ConnectionStatus.FAILED:
                    waiting = ConnectionStatus.RECONNECTING
                    if not self._ever_connected:
                        waiting = ConnectionStatus.CONNECTING
                    self._show(waiting, self._attempt, self._reason)
                reader = self.readers.current
                if await self.subscribe_once():
                    return
                if self.readers.current not in (reader, None):
                    continue  # that reader was set aside: the next one tries at once
                if self.readers.current is None:  # everyone was stopped: all again, later
                    self._show(ConnectionStatus.FAILED, self._attempt, self._reason)
                    await asyncio.sleep(self._link.settings.reconnect_wait)
                    self.readers.retry_all()
                    continue
                if self._attempt >= _FAILED_AFTER:
                    self._show(ConnectionStatus.FAILED, self._attempt, self._reason)
                await asyncio.sleep(delay)
                delay = min(self._link.settings.reconnect_wait, delay * 2)
        finally:
            self._subscriber = None

    # ----------------------------------------------------------------- state
    def check(self) -> None:
        """Set the state from the sockets: live (with a subscription), or being
        re-established; "failed" stays until a socket is live again."""
        if self._link.phase is not Phase.RUNNING:
            return
        if self._live():
            self._attempt, self._reason, self._ever_connected = 0, None, True
            self._found()
            self._show(ConnectionStatus.CONNECTED, 0, self.readers.note())
        elif self.state.status is ConnectionStatus.CONNECTED:
            self._attempt = 1
            reader = self._reader_id()
            sockets = self._link.require_client().sockets(reader) if reader else []
            self._lost(max((last_heard(s) or 0.0 for s in sockets), default=0.0) or None)
            self._reason = self._reason or close_reason(sockets)
            self._show(ConnectionStatus.RECONNECTING, 1, self._reason)

    def publish(self) -> None:
        """Show a change on the sending side (the reading side stays as it is)."""
        if self._link.phase is Phase.RUNNING:
            state = self.state
            self._show(state.status, state.attempt, state.reason)

    def _show(self, status: ConnectionStatus, attempt: int = 0, reason: str | None = None) -> None:
        never_read = None if self._ever_connected else reason
        state = ConnectionState(
            status,
            attempt,
            reason,
            self._sending(),
            never_read=never_read,
            blind_since=self._blind_since,
        )
        self._set(state)

    # ------------------------------------------------------------- reading gaps
    def _lost(self, since: float | None = None) -> None:
        """Chat that was read is not now: a reading gap from `since` (the lost socket's
        last word), or now."""
        if self._ever_connected and self._blind_since is None:
            now = time.time()
            self._blind_since = min(since, now) if since else now

    def _found(self) -> None:
        """Reading is back (or the run ends): the gap goes to the engine."""
        since, self._blind_since = self._blind_since, None
        if since is not None:
            self._queue.put_nowait(ReadingGap(since, max(since, time.time())))

    def _set(self, state: ConnectionState) -> None:
        if state != self.state:
            log.info("twitch connection: %s", state.describe())
            self.state = state
            for listener in self.listeners:
                try:
                    listener(state)
                except Exception:
                    log.exception("connection state listener failed")


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
