"""What the reader hears, as botdeck's events: chat lines and the channel's other events.

A chat line is kept only for our channel, once (EventSub may deliver a message twice),
and not from a partner channel in a shared chat session unless `shared_chat = "answer"`
(answering would reach viewers of channels that did not ask for our bots). Its text is
cleaned and cut for the screen, with the mentions found on the whole line first; the
badges on a bot's own message tell the send limiter its role. Moderators' actions and
chat settings are read by `channel`. Everything goes onto the source's queue.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from botdeck.core.mentions import MentionFinder
from botdeck.core.text import MAX_SCAN_CHARS, clean_text, cut_text
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ChatMessage
from botdeck.twitch.channel import channel_event
from botdeck.twitch.link import Link
from botdeck.twitch.roles import Roles

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
            self._queue.put_nowait(event)
