"""Moderators' actions and chat settings, read from what the platform or a log says.

One reading for Twitch's chat settings, whichever way they arrive (Get Chat Settings and
`channel.chat_settings.update`, whose twitchio objects `botdeck.twitch.channel` hands
over as a mapping, or a replayed log), tolerant of what it does not know: an unknown
field is ignored, a missing or ill-typed one counts as "off". It lives here, not in
`botdeck.twitch`, because a replay log speaks Twitch's field names too. And one reading
of a replay log's event lines: `{"event": "delete", "msg": …}`, `{"event": "clear_user",
"user": …}`, `{"event": "clear"}`, `{"event": "chat_settings", <Twitch's fields>}`, and
the channel's events as the journal names them (`{"event": "raid", "user": …, "count":
…}`; also sub, gift, follow, cheer, announcement with an optional `text`, and `update`
with `game` and `title`), so a rehearsal plays a raid as Twitch tells it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from botdeck.core.text import clean_text
from botdeck.model.channel import (
    ChatCleared,
    ChatSettings,
    MessageDeleted,
    ModerationEvent,
    UserCleared,
)
from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo

# Twitch's field names (Helix's, then EventSub's where they differ).
SETTINGS_FIELDS = (
    "slow_mode",
    "slow_mode_wait_time",
    "slow_mode_wait_time_seconds",
    "follower_mode",
    "follower_mode_duration",
    "follower_mode_duration_minutes",
    "subscriber_mode",
    "emote_mode",
    "unique_chat_mode",
)
DEFAULT_SLOW = 30.0  # Twitch's slow mode when it says "on" without a wait time
# The channel's events a replay log may hold (`EventKind`'s names); redemptions are not
# among them, since a rehearsal has no channel points to settle.
CHANNEL_KINDS = ("raid", "sub", "gift", "follow", "cheer", "announcement", "update")
EVENTS = ("delete", "clear_user", "clear", "chat_settings", *CHANNEL_KINDS)
MAX_EVENT_COUNT = 10_000_000  # viewers, months, gifts or bits: more is not a real event


def _on(value: Any) -> bool:
    return value is True or (isinstance(value, int) and value == 1)


def _amount(data: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value) and value >= 0:
            return float(value)
    return None


def chat_settings(data: Mapping[str, Any]) -> ChatSettings:
    """Twitch's chat settings as botdeck's `ChatSettings` (see the module docstring)."""
    slow = 0.0
    if _on(data.get("slow_mode")):
        wait = _amount(data, "slow_mode_wait_time", "slow_mode_wait_time_seconds")
        slow = DEFAULT_SLOW if wait is None else wait
    followers = _on(data.get("follower_mode"))
    minutes = _amount(data, "follower_mode_duration", "follower_mode_duration_minutes")
    return ChatSettings(
        slow=slow,
        followers_only=followers,
        follow_minutes=int(minutes or 0) if followers else 0,
        subscribers_only=_on(data.get("subscriber_mode")),
        emote_only=_on(data.get("emote_mode")),
        unique=_on(data.get("unique_chat_mode")),
    )


def logged_event(
    record: Mapping[str, Any], number: int = 0
) -> ModerationEvent | ChatSettings | ChannelEvent:
    """A replay log's event line (line `number`); ValueError (one line) for one that
    cannot be played.

    `msg` names a line by its id in the journal (`replay-N`) or by its number N.
    """
    kind = record.get("event")
    if kind in CHANNEL_KINDS:
        return _channel_event(EventKind(kind), record, number)
    if kind == "clear":
        return ChatCleared()
    if kind == "chat_settings":
        return chat_settings(record)
    if kind == "delete":
        msg = record.get("msg")
        if isinstance(msg, int) and not isinstance(msg, bool) and msg >= 1:
            return MessageDeleted(f"replay-{msg}")
        if isinstance(msg, str) and clean_text(msg):
            return MessageDeleted(clean_text(msg))
        raise ValueError('"delete" needs "msg": a line number or id such as "replay-12"')
    if kind == "clear_user":
        user = record.get("user")
        login = clean_text(user).lstrip("@").lower() if isinstance(user, str) else ""
        if not login:
            raise ValueError('"clear_user" needs "user": a login')
        return UserCleared(login)
    raise ValueError(f"unknown event {kind!r} (events: {', '.join(EVENTS)})")


def _channel_event(kind: EventKind, record: Mapping[str, Any], number: int) -> ChannelEvent:
    """A channel event line: `user` (a login; required but for an update), `count`,
    `text`; an update's `game` and `title`. Its id is `id`, else `replay-event-N`."""
    ident = record.get("id")
    ident = clean_text(ident)[:100] if isinstance(ident, str) and clean_text(ident) else ""
    ident = ident or f"replay-event-{number}"
    if kind is EventKind.UPDATE:
        game, title = record.get("game"), record.get("title")
        if not isinstance(game, str) and not isinstance(title, str):
            raise ValueError('"update" needs "game" or "title": text')
        info = StreamInfo(
            game=clean_text(game) if isinstance(game, str) else "",
            title=clean_text(title) if isinstance(title, str) else "",
        )
        return ChannelEvent(kind, ident, 0.0, stream=info)
    user = record.get("user")
    login = clean_text(user).lstrip("@").lower() if isinstance(user, str) else ""
    if not login:
        raise ValueError(f'"{kind}" needs "user": a login')
    count = record.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_EVENT_COUNT:
        raise ValueError(f'"{kind}": "count" must be a whole number 0-{MAX_EVENT_COUNT:,}')
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError(f'"{kind}": "text" must be text')
    display = record.get("display_name")
    return ChannelEvent(
        kind,
        ident,
        0.0,
        user=login,
        display_name=clean_text(display) if isinstance(display, str) else "",
        count=count,
        message=clean_text(text) if text else "",
    )
