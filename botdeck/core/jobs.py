"""Reply jobs: the unit of work the scheduler runs, and the words that describe their life."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any


class Priority(IntEnum):
    """Dispatch order; the value indexes the scheduler's per-priority queues (lower runs first)."""

    HIGH = 0  # an @mention: always answered
    NORMAL = 1  # a random reply to an ordinary line
    LOW = 2  # bot-to-bot or ambient

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Priority:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown priority {text!r}: expected high, normal or low") from None


class Phase(StrEnum):
    """Where a job is in its life. Started jobs move DELAYING -> GENERATING -> SENDING."""

    QUEUED = "queued"
    CARRIED = "carried"  # lifted out of the queue: another job's reply answers it too
    DELAYING = "delaying"
    GENERATING = "generating"
    SENDING = "sending"
    DONE = "done"


class Outcome(StrEnum):
    """How a job ended. Every accepted job ends with exactly one of these."""

    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class JobSkipped(Exception):
    """Raised by a job body to end the job as skipped (e.g. a blocked reply); carries the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobFailed(Exception):
    """Raised by a job body to end the job as failed with a clean, user-facing reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True, eq=False)
class Job:
    """One reply to produce. Times are event-loop seconds (`loop.time()`).

    Identity equality (eq=False) keeps jobs hashable so they can sit in sets and dicts.
    """

    id: int
    bot: str
    priority: Priority
    delay: float
    context: Any = None
    created_at: float = 0.0
    viewer: str | None = None  # who it answers, for fairness between viewers
    started_at: float | None = None
    deadline: float | None = None
    finished_at: float | None = None
    phase: Phase = Phase.QUEUED
    outcome: Outcome | None = None
    reason: str | None = None
    result: Any = None  # what the job produced (the reply text)
    result_id: str | None = None  # the id the channel gave it
    send_wait_until: float | None = None
    send_wait: float | None = None  # seconds waited for the send limiter (None: no limiter)
    tokens_in: int = 0  # what the responder reported for this job's reply (billed even if
    tokens_out: int = 0  # the reply was not sent)
    expired: bool = False
    carried: tuple[Job, ...] = ()  # jobs this one's reply answers too (coalesced)
    carrier: int | None = None  # the id of the job whose reply answered this one

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def check_live(self) -> None:
        """Raise if the job has already ended; called right before an irreversible send."""
        if self.outcome is not None:
            raise JobFailed(f"job already {self.outcome}")
