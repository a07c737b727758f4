"""EventSub notifications botdeck reads itself, as plain `ChannelEvent`s.

twitchio builds a model for every notification and drops the notification (with a log
line) when one field it expects is missing: `channel.chat.notification` as Twitch's
reference documents it lacks fields twitchio 3.3 requires (`shared_chat_*`), and Twitch
adds notice types over time. So the sockets hand these types over raw (`sockets`), and
this module reads them tolerantly: a notice type it does not know, or a field it needs
that is missing or of the wrong type, is an `UNSUPPORTED` event saying which (journaled,
shown once, and the reader goes on); a notice botdeck has no use for (`unraid`, a charity
donation) or one from a shared chat partner channel is nothing. Text is cleaned here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from botdeck.core.text import clean_text
from botdeck.model.stream import ChannelEvent, EventKind, Reward, StreamInfo

CHAT_NOTIFICATION = "channel.chat.notification"
RAID = "channel.raid"
FOLLOW = "channel.follow"
CHEER = "channel.cheer"
REDEMPTION = "channel.channel_points_custom_reward_redemption.add"
ONLINE = "stream.online"
OFFLINE = "stream.offline"
UPDATE = "channel.update"
# Read raw, never by twitchio; `stream.offline` is not among them: twitchio tries it and
# its raw handler (`incoming.on_raw_offline`) reads what twitchio cannot.
READ_RAW = frozenset({CHAT_NOTIFICATION, RAID, FOLLOW, CHEER, REDEMPTION, ONLINE, UPDATE})

# Notices botdeck takes no interest in (nothing to react to), and those of partner
# channels in a shared chat session (their subs are theirs to thank).
IGNORED_NOTICES = frozenset({"unraid", "charity_donation", "watch_streak", "modiversary"})
SHARED_PREFIX = "shared_chat_"
MAX_TEXT = 500


class _Missing(Exception):
    """A field the event needs is missing or of the wrong type."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def read_notification(
    message: Mapping[str, Any], channel_id: str, now: float
) -> ChannelEvent | None:
    """One raw EventSub `notification` message (metadata and payload) as a botdeck event;
    None when it is not for our channel, or a notice botdeck has no use for."""
    metadata = _mapping(message.get("metadata"))
    payload = _mapping(message.get("payload"))
    event = _mapping(payload.get("event"))
    kind = str(metadata.get("subscription_type") or "")
    message_id = _text(metadata.get("message_id")) or f"{kind}-{now}"
    if not _ours(kind, event, channel_id):
        return None
    try:
        return _read(kind, event, message_id, now)
    except _Missing as missing:
        where = f"{kind} ({event.get('notice_type')})" if kind == CHAT_NOTIFICATION else kind
        return _unsupported(message_id, now, f"{where}: no usable {missing.name}")


def _ours(kind: str, event: Mapping[str, Any], channel_id: str) -> bool:
    key = "to_broadcaster_user_id" if kind == RAID else "broadcaster_user_id"
    return str(event.get(key) or "") == channel_id


def _read(kind: str, event: Mapping[str, Any], message_id: str, now: float) -> ChannelEvent | None:
    if kind == CHAT_NOTIFICATION:
        return _chat_notification(event, now)
    if kind == RAID:
        return ChannelEvent(
            EventKind.RAID,
            message_id,
            now,
            user=_login(event, "from_broadcaster_user_login"),
            display_name=_name(event, "from_broadcaster_user_name"),
            count=_count(event, "viewers"),
        )
    if kind == FOLLOW:
        return ChannelEvent(
            EventKind.FOLLOW,
            message_id,
            now,
            user=_login(event, "user_login"),
            display_name=_name(event, "user_name"),
        )
    if kind == CHEER:
        anonymous = bool(event.get("is_anonymous"))
        return ChannelEvent(
            EventKind.CHEER,
            message_id,
            now,
            user="" if anonymous else _login(event, "user_login"),
            display_name="" if anonymous else _name(event, "user_name"),
            count=_count(event, "bits"),
            message=_said(event.get("message")),
        )
    if kind == REDEMPTION:
        reward = _mapping(event.get("reward"))
        return ChannelEvent(
            EventKind.REDEEM,
            _required_text(event, "id"),
            now,
            user=_login(event, "user_login"),
            display_name=_name(event, "user_name"),
            message=_said(event.get("user_input")),
            reward=Reward(
                _required_text(reward, "id"),
                clean_text(_required_text(reward, "title"), max_chars=100),
                _count(reward, "cost", required=False),
            ),
        )
    if kind == ONLINE:
        started = unix_time(event.get("started_at")) or now
        return ChannelEvent(
            EventKind.ONLINE, message_id, now, stream=StreamInfo(live=True, started_at=started)
        )
    if kind == OFFLINE:
        return ChannelEvent(EventKind.OFFLINE, message_id, now, stream=StreamInfo(live=False))
    if kind == UPDATE:
        game = clean_text(_text(event.get("category_name")), max_chars=100)
        title = clean_text(_required_text(event, "title"), max_chars=140)
        return ChannelEvent(
            EventKind.UPDATE, message_id, now, stream=StreamInfo(game=game, title=title)
        )
    return _unsupported(message_id, now, f"subscription type {kind!r}")


def _chat_notification(event: Mapping[str, Any], now: float) -> ChannelEvent | None:
    """One notice of `channel.chat.notification`: its `notice_type` says which field
    holds its details (the others are null)."""
    notice = _text(event.get("notice_type"))
    event_id = _required_text(event, "message_id")
    if notice in IGNORED_NOTICES or notice.startswith(SHARED_PREFIX):
        return None
    anonymous = bool(event.get("chatter_is_anonymous"))
    said = ChannelEvent(  # who the notice is about, and what they wrote with it
        EventKind.SUB,
        event_id,
        now,
        user="" if anonymous else _login(event, "chatter_user_login"),
        display_name="" if anonymous else _name(event, "chatter_user_name"),
        message=_said(_mapping(event.get("message")).get("text")),
    )
    if notice in ("sub", "resub", "gift_paid_upgrade", "prime_paid_upgrade"):
        details = _details(event, notice)
        months = 1
        if notice == "resub":
            months = _count(details, "cumulative_months")
        elif notice == "sub":
            months = max(1, _count(details, "duration_months"))
        return replace(said, count=months)
    if notice == "sub_gift":
        details = _details(event, notice)
        _count(details, "duration_months")  # a gift names its length: a check it is one
        group = _text(details.get("community_gift_id"))
        return replace(said, kind=EventKind.GIFT, count=1, group=group, message="")
    if notice == "community_sub_gift":
        details = _details(event, notice)
        total = _count(details, "total")
        group = _required_text(details, "id")
        return replace(
            said, kind=EventKind.GIFT, count=total, group=group, bundle=total, message=""
        )
    if notice == "pay_it_forward":
        _details(event, notice)
        # The gift paid forward is told as its own `sub_gift`: this one adds no count.
        return replace(said, kind=EventKind.GIFT, count=0, message="")
    if notice == "raid":
        details = _details(event, notice)
        return ChannelEvent(
            EventKind.RAID,
            event_id,
            now,
            user=_login(details, "user_login"),
            display_name=_name(details, "user_name"),
            count=_count(details, "viewer_count"),
        )
    if notice == "announcement":
        _details(event, notice)
        return replace(said, kind=EventKind.ANNOUNCEMENT)
    if notice == "bits_badge_tier":
        tier = _count(_details(event, notice), "tier")
        return replace(
            said,
            kind=EventKind.CHEER,
            message=_said(event.get("system_message")),
            detail=f"bits badge tier {tier}",
        )
    return _unsupported(event_id, now, f"{CHAT_NOTIFICATION} notice type {notice!r}")


def _unsupported(event_id: str, now: float, detail: str) -> ChannelEvent:
    return ChannelEvent(
        EventKind.UNSUPPORTED, event_id, now, detail=clean_text(detail, max_chars=200)
    )


# ------------------------------------------------------------------ fields
def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _details(event: Mapping[str, Any], notice: str) -> Mapping[str, Any]:
    details = event.get(notice)
    if not isinstance(details, Mapping):
        raise _Missing(notice)
    return details


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _Missing(key)
    return value


def _login(data: Mapping[str, Any], key: str) -> str:
    return clean_text(_required_text(data, key), max_chars=64).lower()


def _name(data: Mapping[str, Any], key: str) -> str:
    return clean_text(_text(data.get(key)), max_chars=64)


def _said(value: object) -> str:
    return clean_text(_text(value), max_chars=MAX_TEXT)


def _count(data: Mapping[str, Any], key: str, *, required: bool = True) -> int:
    value = data.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)  # Twitch gives a reward's cost as text in places
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        if required:
            raise _Missing(key)
        return 0
    return value


def unix_time(value: object) -> float | None:
    """An RFC 3339 time as Unix seconds (None when it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
