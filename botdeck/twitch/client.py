"""Twitch chat through twitchio 3: one EventSub reader in, each bot's own identity out.

`TwitchChat` is what the engine sees of Twitch: a `ChatSource` and the sink its replies go
to (Twitch echoes our own messages back). It owns the lifecycle and nothing else: one
`twitchio.Client` runs inside the app's loop (`login()`, never `run()`, no token file)
and holds the user token of every bot (and of the broadcaster, when `botdeck auth`
stored one), pointed at `[twitch]`'s endpoints (`endpoints`) while it runs. The work is
done by one part each, on shared state (`link`):

- `accounts`: every token checked against its account, and recovered when it comes back;
- `roles`: each bot's send limit as Twitch confirms it;
- `reading`: the reader's subscription, failover to the next reader, the state line;
- `incoming`: what the reader hears, as botdeck's events;
- `sending`: each reply as its bot, and what a failure means;
- `events`: the channel's events (raids, subs, channel points, the stream) and the game
  and title at start; `rewards`: channel points' redemptions settled;
- `follows`, `timeouts`: whether each bot follows (followers-only mode), how long a bot
  is timed out, asked of Helix when the channel's events call for it;
- `automod`: each bot's AutoMod verdicts, on a socket of its own;
- `grants`: with `send_as = "app"`, the grants its sends need, checked at start.

A tending task looks after what runs beside reading: the AutoMod sockets, the
broadcaster's events socket, Get Moderated Channels again every `role_check_interval`,
in followers-only mode the follows of bots that did not follow every
`follow_check_interval`, and a timed-out bot's timeout every `timeout_check_interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import twitchio

from botdeck.chat.base import ChatSource
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ConnectionState
from botdeck.model.stream import RedemptionStatus, Reward
from botdeck.storage.logs import redact
from botdeck.twitch.accounts import Accounts, CredentialsLookup, TokenListener
from botdeck.twitch.automod import HOLD_EVENT, UPDATE_EVENT, AutoModWatch
from botdeck.twitch.channel import CHANNEL_EVENTS
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.events import Events
from botdeck.twitch.follows import Follows
from botdeck.twitch.grants import missing_app_grants
from botdeck.twitch.helix import Helix
from botdeck.twitch.http import NETWORK_ERRORS, traced_session, twitch_message
from botdeck.twitch.incoming import Incoming
from botdeck.twitch.link import Link, Phase
from botdeck.twitch.live_events import MODERATOR_REMOVE_EVENT, SHARED_CHAT_EVENTS
from botdeck.twitch.notifications import READ_RAW
from botdeck.twitch.reading import Reading
from botdeck.twitch.rewards import Rewards
from botdeck.twitch.roles import RoleListener, Roles
from botdeck.twitch.sending import Sending
from botdeck.twitch.settings import TwitchSettings, TwitchSetupError, unauthorized
from botdeck.twitch.sockets import CHAT_MESSAGE, SocketClient
from botdeck.twitch.stream import STREAM_OFFLINE, STREAM_OFFLINE_EVENT
from botdeck.twitch.timeouts import Timeouts

log = logging.getLogger(__name__)


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
        self._link = link = Link(settings)
        self._queue: asyncio.Queue[ChatEvent | None] = asyncio.Queue()
        self._accounts = Accounts(
            link,
            reload=reload_credentials,
            on_tokens_refreshed=on_tokens_refreshed,
            changed=self._publish,
            usable=self._usable,
        )
        self._roles = Roles(link, on_role)
        self._automod = AutoModWatch(link, self._queue)
        helix = Helix()
        self._timeouts = Timeouts(link, helix, self._queue)
        self._sending = Sending(
            link,
            self._accounts,
            changed=self._publish,
            held=self._automod.want,
            removed=self._timeouts.refused,
        )
        self._incoming = Incoming(link, self._roles, self._queue)
        self._events = Events(link, self._queue)
        self._rewards = Rewards(link)
        self._reading = Reading(
            link,
            self._accounts,
            self._queue,
            sending=self._sending.summary,
            put=self._incoming.put,
            events=self._events,
        )
        self._follows = Follows(link, helix, self._queue)
        self._incoming.watchers += [self._follows.seen, self._timeouts.seen]
        self._tending: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._endpoints: contextlib.ExitStack | None = None
        self._start_lock = asyncio.Lock()
        redact(settings.client_secret)
        for account in link.accounts.values():
            if account.credentials is not None:
                redact(account.credentials.access_token, account.credentials.refresh_token)

    # ------------------------------------------------------------- observing
    @property
    def settings(self) -> TwitchSettings:
        return self._link.settings

    @settings.setter
    def settings(self, settings: TwitchSettings) -> None:
        """Before `start` only (the tests shorten the waits this way)."""
        self._link.settings = settings

    @property
    def connection(self) -> ConnectionState:
        return self._reading.state

    def add_state_listener(self, listener: Callable[[ConnectionState], None]) -> None:
        """Called with every new connection state (the dashboard may also just poll)."""
        self._reading.listeners.append(listener)

    @property
    def notices(self) -> tuple[str, ...]:
        """One line per bot that may not send, the events twitchio could not read
        (counted: never lost in silence), and follows that cannot be checked in
        followers-only mode, for the dashboard."""
        if self._link.phase in (Phase.NEW, Phase.STARTING):
            return ()
        bots = self._link.bots
        found = [f"{unauthorized(b.login)} ({b.problem})" for b in bots if b.problem]
        unread = self._link.client.unread if self._link.client is not None else None
        if unread:
            recovered = self._link.require_client().recovered
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(unread.items()))
            found.append(
                f"twitch: {sum(unread.values())} events twitchio could not read"
                f" ({sum(recovered.values())} read anyway): {kinds}"
            )
        if (follows := self._follows.notice()) is not None:
            found.append(follows)
        return (*found, *self._events.notices, *self._rewards.notices)

    @property
    def unreadable(self) -> dict[str, tuple[int, int]]:
        """Events twitchio could not read, by type: (seen, read by botdeck anyway)."""
        client = self._link.client
        if client is None:
            return {}
        return {kind: (n, client.recovered[kind]) for kind, n in client.unread.items()}

    def bot_problems(self) -> dict[str, str | None]:
        """Why each bot may not send (None when it may), e.g. for a notice."""
        return {bot.login: bot.problem for bot in self._link.bots}

    @property
    def reader(self) -> str | None:
        """The account reading chat now (None: nobody can)."""
        return self._reading.readers.current

    @property
    def shared_ignored(self) -> int:
        """Partner channels' lines left alone (shared_chat = "ignore")."""
        return self._incoming.shared_ignored

    @property
    def _client(self) -> SocketClient | None:
        """The twitchio client once logged in (the tests look into it)."""
        return self._link.client

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Log in, check every token, resolve the channel, confirm roles, start reading.

        Raises TwitchSetupError when Twitch refuses the setup itself; a bot without a
        usable token only fails its own replies, and a websocket that cannot connect
        yet is retried in the background (the state shows it).
        """
        link = self._link
        async with self._start_lock:
            if link.phase is not Phase.NEW:
                return
            link.phase = Phase.STARTING
            self._endpoints = contextlib.ExitStack()
            self._endpoints.enter_context(use_endpoints(link.settings.endpoints))
            try:
                await self._login()
                await self._accounts.check_all()
                await self._accounts.resolve()
                self._reading.choose_readers()
                await self._roles.confirm()
                self._check_app_grants()
                self._events.wanted()  # says now which events the broadcaster cannot give
                await self._events.start()  # the game and title, live or not
                await self._rewards.load()  # which rewards botdeck may settle
            except BaseException:
                await self._shutdown()
                raise
            for bot in link.bots:
                if bot.problem:
                    log.warning("%s", f"{unauthorized(bot.login)} ({bot.problem})")
            link.phase = Phase.RUNNING
            self._publish()  # sending is ready, whatever reading does next
            await self._reading.begin()
            self._tending = asyncio.create_task(self._tend(), name="botdeck-twitch-tend")

    def _check_app_grants(self) -> None:
        """`send_as = "app"`: a missing grant stops the start, one line each."""
        if self._link.settings.send_as != "app":
            return
        moderators = {bot for bot, role in self._roles.told.items() if role.moderates}
        lines = missing_app_grants(self._link, moderators)
        if lines:
            raise TwitchSetupError("\n".join(lines))

    async def _tend(self) -> None:
        """The AutoMod sockets, the broadcaster's events socket, and on a schedule the
        bots' moderator status, in followers-only mode the follows of bots that did not
        follow, and the timeouts of timed-out bots."""
        link = self._link
        loop = asyncio.get_running_loop()
        next_roles = loop.time() + link.settings.role_check_interval
        next_follows = loop.time() + link.settings.follow_check_interval
        next_timeouts = loop.time() + link.settings.timeout_check_interval
        while link.phase is Phase.RUNNING:
            await self._automod.tend()
            await self._events.tend()
            if loop.time() >= next_roles:
                next_roles = loop.time() + link.settings.role_check_interval
                await self._roles.recheck()
            if loop.time() >= next_follows:
                next_follows = loop.time() + link.settings.follow_check_interval
                if self._follows.waiting():
                    await self._follows.check()
            if loop.time() >= next_timeouts:
                next_timeouts = loop.time() + link.settings.timeout_check_interval
                if self._timeouts.waiting():
                    await self._timeouts.recheck()
            await asyncio.sleep(link.settings.watch_interval)

    async def close(self) -> None:
        """Close the client and its sockets, restore twitchio's endpoints, end the stream."""
        if self._link.phase is Phase.CLOSED:
            return
        await self._shutdown()

    async def _shutdown(self) -> None:
        self._link.phase = Phase.CLOSED
        if self._tending is not None:
            self._tending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tending
        await self._follows.close()
        await self._timeouts.close()
        await self._reading.stop()
        if self._link.client is not None:
            try:
                await self._link.client.close()
            except Exception:
                log.warning("closing the twitchio client failed", exc_info=True)
        if self._session is not None:
            await self._session.close()
        if self._endpoints is not None:
            self._endpoints.close()
            self._endpoints = None
        self._reading.end()
        self._queue.put_nowait(None)

    def undelivered(self) -> tuple[ChatEvent, ...]:
        """What was queued and not read when the run closed (a reading gap ending with
        it); taken once."""
        found = []
        ended = False
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if event is None:
                ended = True
            else:
                found.append(event)
        if ended:
            self._queue.put_nowait(None)  # the stream still ends for whoever reads it
        return tuple(found)

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[ChatEvent]:
        if self._link.phase is Phase.NEW:
            await self.start()
        while True:
            message = await self._queue.get()
            if message is None:
                return
            yield message

    async def _login(self) -> None:
        settings = self._link.settings
        self._session = traced_session()
        self._link.client = client = SocketClient(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            fetch_client_user=False,
            session=self._session,
        )
        incoming = self._incoming
        client.add_listener(incoming.on_chat, event="event_message")
        for event in CHANNEL_EVENTS:
            client.add_listener(incoming.on_channel_event, event=event)
        for event in SHARED_CHAT_EVENTS:
            client.add_listener(incoming.on_shared_chat, event=event)
        client.add_listener(incoming.on_moderator_removed, event=MODERATOR_REMOVE_EVENT)
        client.add_listener(incoming.on_stream_offline, event=STREAM_OFFLINE_EVENT)
        client.add_listener(self._automod.on_hold, event=HOLD_EVENT)
        client.add_listener(self._automod.on_update, event=UPDATE_EVENT)
        client.raw_types = READ_RAW  # the channel's events, read from Twitch's own words
        client.add_listener(self._events.on_raw, event="event_raw_notification")
        client.add_listener(self._accounts.on_token_refreshed, event="event_token_refreshed")
        client.add_listener(self._reading.on_revoked, event="event_subscription_revoked")
        client.raw_revocation = self._reading.on_raw_revocation
        client.on_raw(CHAT_MESSAGE, incoming.on_raw_chat)  # what twitchio cannot read
        client.on_raw(STREAM_OFFLINE, incoming.on_raw_offline)
        await log_in_app(client, settings.endpoints.auth_url)

    # --------------------------------------------------------------- sending
    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        """Send `text` as `bot`; see `sending.Sending.send`."""
        return await self._sending.send(bot, text, reply_to)

    async def settle(self, redemption: str, reward: Reward, status: RedemptionStatus) -> str | None:
        """A redemption's fate to Twitch (the `RewardDesk`); see `rewards.Rewards.settle`."""
        return await self._rewards.settle(redemption, reward, status)

    def _publish(self) -> None:
        self._reading.publish()

    def _usable(self, login: str) -> None:
        self._reading.readers.restore(login)


async def log_in_app(client: twitchio.Client, auth_url: str) -> None:
    """botdeck's application logs in (client id and secret; no token file: tokens come
    from botdeck's store or the environment). A refusal names the key to fix."""
    try:
        await client.login(load_tokens=False, save_tokens=False)
    except twitchio.HTTPException as error:
        raise TwitchSetupError(
            f"twitch.client_id: Twitch refused the client id or secret"
            f" (HTTP {error.status}: {twitch_message(error)})"
        ) from None
    except NETWORK_ERRORS as error:
        raise TwitchSetupError(
            f"twitch.auth_url: cannot reach Twitch at {auth_url} ({type(error).__name__})"
        ) from None
