"""The operator's console: what a choice at the console does to replies already queued."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class QueuedMentions(StrEnum):
    """What muting a bot does with the mentions it has not answered yet. Its other
    unsent replies (random and bot-to-bot ones) end `skipped: muted` whatever is chosen;
    mentions never end without the operator choosing so."""

    HAND_OVER = "hand_over"  # another bot answers each of them
    FINISH = "finish"  # the bot still answers them, then falls silent
    DROP = "drop"  # they end `skipped`, reason `muted`


@dataclass(frozen=True, slots=True)
class Muted:
    """What a mute did."""

    bot: str
    ended: int  # replies that ended `skipped: muted` now
    handed: int = 0  # mentions handed to `to`
    finishing: int = 0  # mentions the bot still answers before it falls silent
    to: str | None = None  # who took the handed mentions
