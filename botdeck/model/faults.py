"""A fault a drill injects (`botdeck.chaos`), as the engine relays it to the journal and
the screen.

A rehearsal or a fire drill plays a fault plan: at planned times the AI server goes down,
reading is lost, sends fail, moderators act, botdeck is killed. The faults themselves are
injected outside the engine, at the adapters' edges; the engine only hears that one
began (`Engine.fault`), journals it (`fault`: `kind`, `ts`, `until` where it lasts) and
shows it, so a journal says which fault a late or lost mention met, and an operator
practising sees each fault on screen while it lasts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum


class FaultEdge(StrEnum):
    """Where a fault is injected: which of botdeck's edges to the outside it hits."""

    AI = "ai"  # the AI server: refused, timing out, rate limiting, slow
    READING = "reading"  # reading chat: lost for a while, the reader banned
    SENDING = "sending"  # sends refused or dropped, a bot timed out or banned
    MODERATORS = "moderators"  # the channel's moderators deleting lines, removing viewers
    CHAT_MODES = "chat_modes"  # followers-only, slow, emote-only, subscribers-only
    CHANNEL = "channel"  # the channel itself: a raid
    PROCESS = "process"  # botdeck killed and started again


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault from the moment it begins: `kind` (the plan's name), from `since` to
    `until` (Unix seconds; None when it does not last, or lasts until someone acts), what
    it is (`detail`, one line for the screen and the report) and its edge."""

    kind: str
    since: float
    until: float | None
    edge: FaultEdge
    detail: str

    def lasts_at(self, now: float) -> bool:
        """Whether the fault is under way at `now`."""
        return self.until is not None and self.since <= now < self.until

    def summary(self) -> str:
        """`AI down (429 storm) until 21:04:10`."""
        until = "" if self.until is None else f" until {clock(self.until)}"
        return f"{self.detail or self.kind}{until}"

    def describe(self) -> str:
        """`drill: AI down (429 storm) until 21:04:10`: the words a summary prints."""
        return f"drill: {self.summary()}"


def clock(ts: float) -> str:
    """A Unix time as the local wall clock, `HH:MM:SS`."""
    return time.strftime("%H:%M:%S", time.localtime(ts))
