"""The engine's snapshot: everything a dashboard or a summary shows, in one polled value.

The scheduler's snapshot holds the queues; the rest comes from the parts around it (the
chat connection, the responder's token usage, each bot's send budget). Every part answers
cheaply, so polling at 10 Hz costs nothing noticeable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from botdeck.core.scheduler import SchedulerSnapshot


class ConnectionStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    SIMULATED = "simulated"  # a local source: nothing to connect to
    REPLAY = "replay"  # a recorded chat log playing
    ENDED = "ended"  # a finite source has played out


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """How a chat source is doing. `status` is about reading; a source whose sending does
    not depend on its reading (Twitch: Helix, whatever the EventSub socket does) also says
    how sending is doing, so the two are shown apart."""

    status: ConnectionStatus
    attempt: int = 0  # reconnect attempt, when reconnecting
    reason: str | None = None  # why it failed or is reconnecting; a note while connected
    sending: str | None = None  # e.g. "ok", "retrying (...)"; None: not separate from reading

    def describe(self) -> str:
        reading = self._reading()
        return reading if self.sending is None else f"reading {reading} · sending {self.sending}"

    def _reading(self) -> str:
        if self.status is ConnectionStatus.RECONNECTING:
            why = f": {self.reason}" if self.reason else ""
            return f"reconnecting (attempt {self.attempt}{why})"
        if self.status is ConnectionStatus.FAILED and self.reason:
            return f"failed: {self.reason}"
        if self.status is ConnectionStatus.CONNECTED and self.reason:
            return f"connected ({self.reason})"
        return self.status.value


@dataclass(frozen=True, slots=True)
class BotUsage:
    """Tokens a bot's replies cost, from the API's `usage` (zero for the offline responder)."""

    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True, slots=True)
class SendBudget:
    """A bot account's send limit in the current window (Twitch: 20 or 100 per 30 s)."""

    used: int
    limit: int
    window: float
    next_free_in: float  # seconds until another message may be sent (0 when one may now)
    waiting: int = 0  # replies waiting for the window (their jobs show as "sending")
    role: str = ""  # the role the limit is sized for (from config, confirmed by badges)

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    queues: SchedulerSnapshot
    connection: ConnectionState
    responder: str  # a model name or "offline"
    channel: str
    usage: Mapping[str, BotUsage] = field(default_factory=dict)
    budgets: Mapping[str, SendBudget] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # standing conditions worth a glance, e.g. a budget reached


@runtime_checkable
class NoticeSource(Protocol):
    """A part with standing conditions worth a glance, collected into `EngineSnapshot.notices`."""

    @property
    def notices(self) -> tuple[str, ...]: ...
