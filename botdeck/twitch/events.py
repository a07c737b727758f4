"""The channel's events over EventSub: raids, subs and gifts, follows, cheers, channel
points, the stream going live and changing its game, and the stream as it is at start.

Two groups of subscriptions, by whose token Twitch asks for:

- on the reader's socket, beside the chat (`Reading` calls `subscribe_reader_events` each
  time it subscribes, so they follow a failover): `channel.chat.notification` (subs,
  resubs, gifts, community gifts, upgrades, pay-it-forward, raids, announcements, bits
  badges; `user:read:chat` as the reader, like the chat itself), `channel.raid` to this
  channel, `stream.online` and `channel.update` (no scope); `stream.offline` is
  `live_events`' (one subscription: the engine drains on it and pauses the timers);
- on a socket of the broadcaster's own (purpose `events`, opened with the broadcaster's
  token by `tend`, which the client's tending task calls): `channel.follow` (v2, the
  broadcaster as the moderator: `moderator:read:followers`), `channel.cheer` (`bits:read`) and
  `channel.channel_points_custom_reward_redemption.add` (`channel:read:redemptions` or
  `channel:manage:redemptions`), each only when the config enables its reaction and the
  broadcaster granted its scope; the notices say what is missing.

At start, Get Channel Information (game, title) and Get Streams (live, since when) are
asked with the app token and become one `update` event. Notifications of these types
arrive raw (`SocketClient.raw_types`, never tried by twitchio) and are read by
`notifications`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import twitchio
from twitchio.eventsub import (
    ChannelCheerSubscription,
    ChannelFollowSubscription,
    ChannelPointsRedeemAddSubscription,
    ChannelRaidSubscription,
    ChannelUpdateSubscription,
    ChatNotificationSubscription,
    StreamOnlineSubscription,
    SubscriptionPayload,
)
from twitchio.http import Route

from botdeck.core.text import clean_text
from botdeck.model.channel import ChatEvent
from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo
from botdeck.twitch.http import REQUEST_ERRORS, classify
from botdeck.twitch.link import AccountState, Link, Phase
from botdeck.twitch.notifications import read_notification, unix_time
from botdeck.twitch.settings import (
    BROADCASTER_EVENT_SCOPES,
    EVENT_NAMES,
    READ_REDEMPTIONS_SCOPE,
)
from botdeck.twitch.sockets import (
    EVENTS,
    SocketClient,
    is_live,
    reader_stopped,
    silent_for,
)

log = logging.getLogger(__name__)

_ERRORS = (*REQUEST_ERRORS, KeyError, ValueError, TypeError)
FOLLOW, CHEER, REDEEM = "follow", "cheer", "redeem"
_TYPES = {
    FOLLOW: "channel.follow",
    CHEER: "channel.cheer",
    REDEEM: "channel.channel_points_custom_reward_redemption.add",
}


class _RaidTo(ChannelRaidSubscription):
    """`channel.raid` to this channel, with the condition Twitch documents: one of the two
    ids (twitchio also sends the other one, empty)."""

    @property
    def condition(self) -> Any:
        return {"to_broadcaster_user_id": self.to_broadcaster_user_id}


class _Redemptions(ChannelPointsRedeemAddSubscription):
    """Every reward's redemptions (no empty `reward_id` in the condition)."""

    @property
    def condition(self) -> Any:
        return {"broadcaster_user_id": self.broadcaster_user_id}


def reader_subscriptions(channel_id: str, reader: str) -> list[SubscriptionPayload]:
    return [
        ChatNotificationSubscription(broadcaster_user_id=channel_id, user_id=reader),
        _RaidTo(to_broadcaster_user_id=channel_id),
        StreamOnlineSubscription(broadcaster_user_id=channel_id),
        ChannelUpdateSubscription(broadcaster_user_id=channel_id),
    ]


async def subscribe_reader_events(
    client: twitchio.Client, channel_id: str, reader: str, socket_id: str | None
) -> None:
    """The reader's event subscriptions, on the socket that carries its chat (never
    another: twitchio would open one of its own for a socket lost meanwhile); a refused
    one is logged and the chat goes on without it."""
    for payload in reader_subscriptions(channel_id, reader):
        try:
            await client.subscribe_websocket(payload, token_for=reader, socket_id=socket_id)
        except _ERRORS as error:
            log.warning("twitch: no %s events (%s)", payload.type, classify_words(error))


def classify_words(error: BaseException) -> str:
    try:
        return classify(error).reason
    except TypeError:
        return type(error).__name__


class Events:
    """The channel's events for one `TwitchChat`: the start, the broadcaster's socket,
    and the raw notifications onto the source's queue."""

    def __init__(self, link: Link, queue: asyncio.Queue[ChatEvent | None]) -> None:
        self._link = link
        self._queue = queue
        self._missing: dict[str, str] = {}  # event kind -> why it is not followed
        self._next_try = 0.0
        self._wait = 0.0
        self.refused: dict[str, str] = {}  # event kind -> Twitch's no to its subscription

    # ------------------------------------------------------------------ wanted
    @property
    def notices(self) -> tuple[str, ...]:
        """One line per event the config asks for and the broadcaster cannot give."""
        found = [f"{EVENT_NAMES[kind]}: {why}" for kind, why in self._missing.items()]
        found += [f"{EVENT_NAMES[kind]}: {why}" for kind, why in self.refused.items()]
        return tuple(found)

    def _broadcaster(self) -> AccountState:
        return self._link.accounts[self._link.settings.channel.lower()]

    def wanted(self) -> list[str]:
        """The broadcaster's events the config enables and its token allows; why the
        others are not followed goes to `notices`."""
        account = self._broadcaster()
        self._missing = {}
        allowed = []
        for kind in sorted(self._link.settings.events):
            scope = BROADCASTER_EVENT_SCOPES[kind]
            if not account.token_ok or account.user_id is None:
                self._missing[kind] = "need the broadcaster's token: run `botdeck auth`"
            elif scope not in account.scopes and not (
                kind == REDEEM and READ_REDEMPTIONS_SCOPE in account.scopes
            ):
                self._missing[kind] = f"the broadcaster has not granted {scope}: run `botdeck auth`"
            else:
                allowed.append(kind)
        return allowed

    # ------------------------------------------------------------------ start
    async def start(self) -> None:
        """The stream as it is now: game and title, live or not (the app token asks)."""
        link = self._link
        client = link.require_client()
        info = StreamInfo()
        try:
            answer = await client._http.request_json(
                Route("GET", "channels", params={"broadcaster_id": link.channel_id})
            )
            data = (answer.get("data") or [{}])[0]
            info = StreamInfo(
                game=clean_text(str(data.get("game_name") or ""), max_chars=100),
                title=clean_text(str(data.get("title") or ""), max_chars=140),
            )
            streams = await client._http.request_json(
                Route("GET", "streams", params={"user_id": link.channel_id, "type": "live"})
            )
            live = [s for s in streams.get("data") or [] if s.get("type") == "live"]
            started = unix_time(live[0].get("started_at")) if live else None
            info = StreamInfo(info.game, info.title, live=bool(live), started_at=started)
        except (*_ERRORS, AttributeError, IndexError) as error:
            log.warning("twitch: the channel's game and title not read (%s)", type(error).__name__)
            if not (info.game or info.title):
                return
        self._queue.put_nowait(
            ChannelEvent(EventKind.UPDATE, "channel-info", time.time(), stream=info)
        )

    # ------------------------------------------------------------------ raw in
    async def on_raw(self, message: Any) -> None:
        """`event_raw_notification`: one of `READ_RAW`'s notifications, as Twitch sent it."""
        if not isinstance(message, dict):
            return
        event = read_notification(message, self._link.channel_id, time.time())
        if event is not None:
            self._queue.put_nowait(event)

    # ------------------------------------------------------------------ the broadcaster's socket
    def _live(self) -> bool:
        account = self._broadcaster()
        client = self._link.require_client()
        return any(
            is_live(socket, _TYPES[kind])
            for socket in client.sockets(account.user_id or "", EVENTS)
            for kind in _TYPES
        )

    async def tend(self, now: Callable[[], float] = time.monotonic) -> None:
        """Called by the client's tending task: the broadcaster's events on a live socket
        of its own, subscribed afresh (backing off) when it was lost."""
        link = self._link
        if link.phase is not Phase.RUNNING or not link.settings.events:
            return
        wanted = self.wanted()
        account = self._broadcaster()
        user_id = account.user_id or ""
        client = link.require_client()
        for socket in client.sockets(user_id, EVENTS):
            # Silent past Twitch's keepalive, or its reader gone: closed now, as the
            # reading watcher does with the reader's (twitchio would notice much later).
            if silent_for(socket, link.settings.silence_grace) is not None or reader_stopped(
                socket
            ):
                log.warning("twitch: the broadcaster's events socket went quiet; opening anew")
                await socket.close()
        if not wanted or self._live() or now() < self._next_try:
            return
        if user_id not in client.tokens:  # never the app token (it would be refused)
            return
        settings = link.settings
        for socket in client.sockets(user_id, EVENTS):
            await socket.close()  # a dead or empty one of ours
        try:
            socket = await client.open_socket(user_id, EVENTS)
        except _ERRORS as error:
            self._backoff(now, settings.retry_wait, settings.reconnect_wait)
            log.warning("twitch: the broadcaster's events socket: %s", classify_words(error))
            return
        await self._subscribe(client, socket, user_id, wanted)
        if socket.subscription_count == 0:
            await socket.close()
            self._backoff(now, settings.retry_wait, settings.reconnect_wait)
        else:
            self._wait = 0.0

    async def _subscribe(
        self, client: SocketClient, socket: Any, user_id: str, wanted: list[str]
    ) -> None:
        channel = self._link.channel_id
        for kind in wanted:
            payload: SubscriptionPayload
            if kind == FOLLOW:
                payload = ChannelFollowSubscription(
                    broadcaster_user_id=channel, moderator_user_id=user_id
                )
            elif kind == CHEER:
                payload = ChannelCheerSubscription(broadcaster_user_id=channel)
            else:
                payload = _Redemptions(broadcaster_user_id=channel)
            try:
                await client.subscribe_websocket(
                    payload, token_for=user_id, socket_id=socket.session_id
                )
                self.refused.pop(kind, None)
            except _ERRORS as error:
                why = classify_words(error)
                self.refused[kind] = f"Twitch refused the subscription ({why})"
                log.warning("twitch: no %s events (%s)", payload.type, why)

    def _backoff(self, now: Callable[[], float], first: float, longest: float) -> None:
        self._wait = min(longest, self._wait * 2 if self._wait else first)
        self._next_try = now() + self._wait
