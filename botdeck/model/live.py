"""A live channel over hours: what the platform tells the engine about the bots and the
stream besides chat lines and moderators' actions, and what the dashboard shows of it.

Sources deliver these next to `model.channel`'s events (Twitch: follows, timeouts with
their end, AutoMod's verdicts, shared chat sessions, the stream going offline, a time
chat was not read), so the engine reacts the same way to Twitch, a replay or a test.
Plain data; the engine decides (`engine/live.py`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never


@dataclass(frozen=True, slots=True)
class BotFollows:
    """Whether each bot follows the channel, as the platform says: the Unix time it
    followed, or None when it does not. A bot left out was not checked."""

    since: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class BotRemoved:
    """How long a moderator removed one of our bots for: a timeout ends at `until` (Unix
    seconds); a ban has no end (None) and waits for the operator."""

    bot: str
    until: float | None


@dataclass(frozen=True, slots=True)
class ReadingGap:
    """Chat was not read from `since` to `until` (Unix seconds): a connection lost, the
    chat subscription revoked. Mentions in it may never have been seen."""

    since: float
    until: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.until - self.since)


@dataclass(frozen=True, slots=True)
class SharedChat:
    """A shared chat session with other channels began or changed (`partners`, their
    logins), or ended (no partners). A bot's line there reaches every channel in it."""

    partners: tuple[str, ...]

    @property
    def active(self) -> bool:
        return bool(self.partners)


@dataclass(frozen=True, slots=True)
class StreamOffline:
    """The broadcaster ended the stream."""


@dataclass(frozen=True, slots=True)
class AutoModVerdict:
    """Moderators decided about a bot's line AutoMod held: `approved` (it is in chat now,
    as `message_id`), denied (False), or the hold ended undecided (None). `text` (as the
    platform has it) finds the reply."""

    bot: str
    text: str
    message_id: str
    approved: bool | None


LiveEvent = BotFollows | BotRemoved | ReadingGap | SharedChat | StreamOffline | AutoModVerdict
LIVE_EVENTS = (BotFollows, BotRemoved, ReadingGap, SharedChat, StreamOffline, AutoModVerdict)


class OfflineAction(StrEnum):
    """What `[chat] on_offline` does when the stream goes offline."""

    KEEP = "keep"  # the bots keep talking in chat
    DRAIN = "drain"  # finish what is queued, take nothing new


class Removal(StrEnum):
    """How a moderator removed one of our bots."""

    TIMEOUT = "timeout"  # it talks again by itself when the timeout ends
    BAN = "ban"  # only the operator lets it talk again
    UNKNOWN = "unknown"  # the platform did not say (yet)


@dataclass(frozen=True, slots=True)
class BotRemoval:
    """One of our bots a moderator removed: how, and until when (a timeout)."""

    kind: Removal
    until: float | None = None

    def describe(self, bot: str) -> str:
        match self.kind:
            case Removal.TIMEOUT:
                return f"{bot} timed out until {clock(self.until)}: paused, resumes by itself"
            case Removal.BAN:
                return f"{bot} was banned by a moderator: paused until you resume it (b)"
            case Removal.UNKNOWN:
                return (
                    f"{bot} was banned or timed out by a moderator: paused, its replies wait"
                    " (resume it with b once it may talk again)"
                )
            case _:
                assert_never(self.kind)


def clock(ts: float | None) -> str:
    """A Unix time as the local wall clock, `HH:MM:SS`."""
    return "?" if ts is None else time.strftime("%H:%M:%S", time.localtime(ts))


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """What the dashboard shows of a live channel (see the module docstring)."""

    on_offline: OfflineAction = OfflineAction.KEEP
    offline: bool = False  # the stream went offline during the run
    shared_with: tuple[str, ...] = ()  # partner channels of a shared chat session now
    shared_replies: bool = False  # random and bot-to-bot replies go on in shared chat
    removed: Mapping[str, BotRemoval] = field(default_factory=dict)  # our bots moderators removed
    gaps: int = 0  # times reading was lost and came back
    blind_for: float = 0.0  # seconds, all gaps together
    lock: str | None = None  # a note on the run's channel lock (taken over from a crash)

    def shared_banner(self) -> str | None:
        """The shared chat session, while there is one."""
        if not self.shared_with:
            return None
        with_ = ", ".join(f"#{login}" for login in self.shared_with)
        held = "" if self.shared_replies else ": random and bot-to-bot replies held"
        return f"SHARED CHAT with {with_}{held}"
