"""Moderators' actions and chat settings, read from what the platform or a log says.

One reading for Twitch's chat settings, whichever way they arrive (Get Chat Settings and
`channel.chat_settings.update`, whose twitchio objects `botdeck.twitch.channel` hands
over as a mapping, or a replayed log), tolerant of what it does not know: an unknown
field is ignored, a missing or ill-typed one counts as "off". It lives here, not in
`botdeck.twitch`, because a replay log speaks Twitch's field names too. And one reading
of a replay log's event lines: `{"event": "delete", "msg": …}`, `{"event": "clear_user",
"user": …}`, `{"event": "clear"}`, `{"event": "chat_settings", <Twitch's fields>}`.
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
EVENTS = ("delete", "clear_user", "clear", "chat_settings")


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


def logged_event(record: Mapping[str, Any]) -> ModerationEvent | ChatSettings:
    """A replay log's event line; ValueError (one line) for one that cannot be played.

    `msg` names a line by its id in the journal (`replay-N`) or by its number N.
    """
    kind = record.get("event")
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
