"""What happens on the channel besides chat: raids, subs, gifts, follows, cheers, channel
points, announcements, and the stream itself (live or not, its game and title).

Sources deliver a `ChannelEvent` next to chat lines (Twitch's EventSub notifications, a
replayed log, a simulated raid, a test fired from the dashboard), so the engine reacts to
all of them the same way. The platform's own words stay in its adapter: here an event is
a kind, who did it, a count and what they wrote.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never


class EventKind(StrEnum):
    """What happened (the journal's `channel_event` lines carry it as `kind`)."""

    RAID = "raid"  # another channel raided this one: `count` viewers
    SUB = "sub"  # a sub, a resub, a gift or Prime upgrade: `count` months
    GIFT = "gift"  # gifted subs: `count` of them (a community gift is one event)
    FOLLOW = "follow"
    CHEER = "cheer"  # `count` bits
    REDEEM = "redeem"  # a channel-point reward redeemed: `reward`, `message` its input
    ANNOUNCEMENT = "announcement"  # a moderator's announcement: `message`
    ONLINE = "online"  # the stream went live (`stream.started_at`)
    OFFLINE = "offline"  # the stream ended
    UPDATE = "update"  # the game or title changed (`stream`)
    UNSUPPORTED = "unsupported"  # a notification botdeck cannot read: `detail` says what

    @property
    def reacts(self) -> bool:
        """Whether a reaction can be configured for it (`[events.<kind>]`)."""
        match self:
            case (
                EventKind.RAID
                | EventKind.SUB
                | EventKind.GIFT
                | EventKind.FOLLOW
                | EventKind.CHEER
                | EventKind.REDEEM
                | EventKind.ANNOUNCEMENT
            ):
                return True
            case EventKind.ONLINE | EventKind.OFFLINE | EventKind.UPDATE | EventKind.UNSUPPORTED:
                return False
            case _:
                assert_never(self)


REACTION_KINDS: tuple[EventKind, ...] = tuple(kind for kind in EventKind if kind.reacts)


@dataclass(frozen=True, slots=True)
class Reward:
    """A channel-point reward as a redemption names it."""

    id: str
    title: str
    cost: int = 0


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """The stream as far as the platform said: its game and title, whether it is live
    (None: not known, e.g. simulated chat) and since when (Unix seconds)."""

    game: str = ""
    title: str = ""
    live: bool | None = None
    started_at: float | None = None

    def line(self, now: float | None = None) -> str:
        """The one short line every prompt carries ("" when nothing is known)."""
        parts = []
        if self.game:
            parts.append(f"playing {self.game}")
        if self.title:
            parts.append(f'title "{self.title}"')
        if self.live and self.started_at is not None:
            minutes = max(0, int(((now or time.time()) - self.started_at) // 60))
            hours, rest = divmod(minutes, 60)
            parts.append(f"live for {hours} h {rest:02d} min" if hours else f"live for {rest} min")
        elif self.live is False:
            parts.append("offline")
        return f"Stream: {', '.join(parts)}" if parts else ""


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    """One thing that happened on the channel. `id` is the platform's (a resend keeps
    it); `user` is who did it (the raiding channel, the subscriber, the gifter; "" when
    anonymous or nobody); text fields are already cleaned."""

    kind: EventKind
    id: str
    timestamp: float  # Unix seconds
    user: str = ""  # login, lower case
    display_name: str = ""
    count: int = 0  # raid viewers, months subscribed, subs gifted, bits
    message: str = ""  # what they wrote: a resub message, a cheer, a redemption's input
    group: str = ""  # gifts that belong together (a community gift's id)
    bundle: int = 0  # a community gift's size, on the event that announces it (its
    # single gifts follow it as GIFT events of the same `group`)
    reward: Reward | None = None  # the redeemed reward (REDEEM)
    stream: StreamInfo | None = None  # the stream as it is now (UPDATE, ONLINE, OFFLINE)
    detail: str = ""  # what an unsupported notification was, or the field it lacked
    test: bool = False  # fired by the operator to see the reaction (never real)

    @property
    def author(self) -> str:
        return self.display_name or self.user


class RedemptionStatus(StrEnum):
    """A redemption's fate on the platform (the journal's `redemption` lines): fulfilled
    once its answer was sent, canceled (points refunded) when it ended any other way."""

    FULFILLED = "FULFILLED"
    CANCELED = "CANCELED"


PLACEHOLDERS = ("user", "count", "message")  # what a reaction's prompt or text may use


def placeholder_problem(template: str) -> str | None:
    """Why a reaction's prompt or text cannot be filled in, or None: only `{user}`,
    `{count}` and `{message}` (`{{` and `}}` for braces), no formats or attributes."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        return f"{error} (write {{{{ and }}}} for a brace)"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return f"{shown} is not one of {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
    return None


def fill(template: str, *, user: str, count: int, message: str) -> str:
    """The template with its placeholders filled in; anything else in braces is kept as
    written (the config refuses it, so this never sees one but a test's)."""
    values = {"user": user, "count": str(count), "message": message}
    out = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    for literal, name, _, _ in parts:
        out.append(literal)
        if name is not None:
            out.append(values.get(name, "{" + name + "}"))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Reaction:
    """What a reaction job answers instead of a chat line: an event (or, with no kind, a
    timer), and the configured `template`, a prompt for the AI or (`fixed`) the text to
    send. Its counts may grow while it waits (a gift bomb merged per gifter)."""

    kind: EventKind | None  # None: a timer
    template: str
    fixed: bool  # the template is the text to send; else a prompt for the AI
    user: str = ""  # the name the template's {user} stands for
    count: int = 0
    message: str = ""
    address: str = ""  # who the reply names first ("" nobody: anonymous, a timer, a text)
    reward: Reward | None = None  # REDEEM: the reward whose redemption this answers
    redemption: str = ""  # REDEEM: the redemption's id, settled by the reply's outcome
    test: bool = False  # fired by the operator: nothing is settled on the platform

    def render(self) -> str:
        return fill(self.template, user=self.user, count=self.count, message=self.message)
