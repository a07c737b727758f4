"""Reply jobs: the unit of work the scheduler runs, and the signals a job body raises.

The words for a job's life (priority, phase, outcome) are plain data in `botdeck.model`.
A job's `context` is whatever its submitter attached (the engine attaches a
`ReplyContext`); the scheduler never looks inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from botdeck.model.jobs import Outcome, Phase, Priority

C = TypeVar("C")


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


class JobParked(Exception):
    """Raised by a job body whose message the platform took but holds (AutoMod): the job
    leaves its slots and waits, out of the queue, for `Scheduler.settle`."""


class JobReturned(Exception):
    """Raised by a job body (or `Job.commit`) to put the job back at the front of its
    queue unsent: its bot cannot go on now (a chat mode holds it)."""


@dataclass(slots=True, eq=False)
class Job(Generic[C]):
    """One reply to produce. Times are event-loop seconds (`loop.time()`).

    Identity equality (eq=False) keeps jobs hashable so they can sit in sets and dicts.
    """

    id: int
    bot: str
    priority: Priority
    delay: float
    context: C
    created_at: float = 0.0
    viewer: str | None = None  # who it answers, for fairness between viewers
    started_at: float | None = None
    deadline: float | None = None
    finished_at: float | None = None
    phase: Phase = Phase.QUEUED
    outcome: Outcome | None = None
    reason: str | None = None
    result: str | None = None  # what the job produced (the reply text)
    result_id: str | None = None  # the id the channel gave it
    send_wait_until: float | None = None
    send_wait: float | None = None  # seconds waited for the send limiter (None: no limiter)
    tokens_in: int = 0  # what the responder reported for this job's reply (billed even if
    tokens_out: int = 0  # the reply was not sent)
    expired: bool = False
    carried: tuple[Job[C], ...] = ()  # jobs this one's reply answers too (coalesced)
    carrier: int | None = None  # the id of the job whose reply answered this one
    committed: bool = False  # its send has begun: only an emergency stop may end it now
    deadline_left: float | None = None  # the timeout's rest while a person decides (review)
    direct: bool = False  # started at once by the operator, outside the limits (`run_now`)
    recalled: bool = False  # its bot was held while it ran: it goes back to the queue unsent
    requeued: int = 0  # how many times it went back to the queue after starting

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def hold_deadline(self, now: float) -> None:
        """A person is deciding about this job (review): the job timeout stops running.
        `release_deadline` starts it again with what was left."""
        if self.deadline is not None:
            self.deadline_left = max(0.0, self.deadline - now)
            self.deadline = None

    def release_deadline(self, now: float) -> None:
        if self.deadline_left is not None:
            self.deadline = now + self.deadline_left
            self.deadline_left = None

    def commit(self) -> None:
        """Called right before the irreversible send: raise if the job has already ended,
        else mark it past the point where `Scheduler.cancel` may end it."""
        if self.outcome is not None:
            raise JobFailed(f"job already {self.outcome}")
        if self.recalled:
            raise JobReturned()
        self.committed = True
