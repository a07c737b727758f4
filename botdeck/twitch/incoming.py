"""What the reader hears, as botdeck's events: chat lines and the channel's other events.

A chat line is kept only for our channel, once (EventSub may deliver a message twice),
and not from a partner channel in a shared chat session unless `shared_chat = "answer"`
(answering would reach viewers of channels that did not ask for our bots). Its text is
cleaned and cut for the screen, with the mentions found on the whole line first; the
badges on a bot's own message tell the send limiter its role. Moderators' actions and
chat settings are read by `channel`, shared chat and a moderator's removal by
`live_events`, the stream going offline by `stream`. Everything goes onto the source's
queue; the parts that look further (follows when followers-only mode turns on, a bot's
timeout) hear what they need through `watchers`.

A chat line twitchio could not read is read again raw (`on_raw_chat`), never lost.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botdeck.core.mentions import MentionFinder
from botdeck.core.text import MAX_SCAN_CHARS, clean_text, cut_text
from botdeck.model.channel import ChatEvent, ChatSettings, UserCleared
from botdeck.model.chat import ChatMessage
from botdeck.twitch.channel import channel_event
from botdeck.twitch.link import Link
from botdeck.twitch.live_events import removed_moderator, repaired_chat, shared_chat
from botdeck.twitch.roles import Roles
from botdeck.twitch.stream import offline_from_payload, offline_from_raw

Watcher = Callable[[ChatEvent], None]

_SEEN_IDS = 4096


class Incoming:
    """twitchio's `event_message` and channel events for one channel, onto `queue`."""

    def __init__(self, link: Link, roles: Roles, queue: asyncio.Queue[ChatEvent | None]) -> None:
        self._link = link
        self._roles = roles
        self._queue = queue
        self._mentions = MentionFinder(link.settings.bots)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.shared_ignored = 0  # partner channels' lines left alone (shared_chat = "ignore")
        self.watchers: list[Watcher] = []  # hear chat settings and removed users first

    async def on_chat(self, payload: Any) -> None:
        """twitchio's `event_message`: one EventSub chat message, any chatter."""
        channel_id = self._link.channel_id
        if getattr(payload.broadcaster, "id", None) != channel_id:
            return
        source = getattr(payload, "source_broadcaster", None)
        partner = source is not None and source.id != channel_id
        if partner and self._link.settings.shared_chat == "ignore":
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
        self._roles.seen(login, (badge.set_id for badge in payload.badges))
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

    async def on_channel_event(self, payload: Any) -> None:
        """A moderator's action or new chat settings in our channel."""
        if getattr(payload.broadcaster, "id", None) != self._link.channel_id:
            return
        event = channel_event(payload)
        if event is not None:
            self.put(event)

    def put(self, event: ChatEvent) -> None:
        """Onto the queue; the watchers hear chat settings and removed users."""
        if isinstance(event, ChatSettings | UserCleared):
            for watcher in self.watchers:
                watcher(event)
        self._queue.put_nowait(event)

    async def on_shared_chat(self, payload: Any) -> None:
        """A shared chat session began, changed or ended (`channel.shared_chat.*`)."""
        event = shared_chat(payload, self._link.channel_id)
        if event is not None:
            self._queue.put_nowait(event)

    async def on_moderator_removed(self, payload: Any) -> None:
        """`channel.moderator.remove`: one of our bots drops to the viewer's pace now."""
        login = removed_moderator(payload, self._link.channel_id)
        if login is not None:
            self._roles.demoted(login)

    async def on_stream_offline(self, payload: Any) -> None:
        event = offline_from_payload(payload, self._link.channel_id)
        if event is not None:
            self._queue.put_nowait(event)

    async def on_raw_offline(self, event: dict[str, Any]) -> bool:
        """A `stream.offline` twitchio could not read (its model wants a stream id)."""
        offline = offline_from_raw(event, self._link.channel_id)
        if offline is not None:
            self._queue.put_nowait(offline)
        return offline is not None

    async def on_raw_chat(self, event: dict[str, Any]) -> bool:
        """A `channel.chat.message` twitchio could not read: read again with its missing
        optional fields filled in (False: a required one is missing too)."""
        try:
            payload = repaired_chat(event, self._link.require_client()._http)
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        await self.on_chat(payload)
        return True
