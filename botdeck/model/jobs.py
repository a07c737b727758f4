"""The words that describe a reply job's life, and the router's state machine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Protocol

from botdeck.model.chat import ChatMessage
from botdeck.model.stream import Reaction


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
    """Where a job is in its life. Started jobs move DELAYING -> GENERATING -> SENDING,
    with REVIEW before SENDING when the operator approves its bot's replies, and
    GENERATING <-> AI_WAIT while an AI outage is waited out."""

    QUEUED = "queued"
    CARRIED = "carried"  # lifted out of the queue: another job's reply answers it too
    DELAYING = "delaying"
    GENERATING = "generating"
    REVIEW = "review"  # written, waiting for the operator to approve, edit or reject it
    AI_WAIT = "ai_wait"  # the AI server is down: waiting it out (`[ai] outage_wait`)
    SENDING = "sending"
    HELD = "held"  # sent, and held by the platform (AutoMod) until its moderators decide
    DONE = "done"


class Outcome(StrEnum):
    """How a job ended. Every accepted job ends with exactly one of these."""

    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class RouterState(StrEnum):
    """The router's state machine (the dashboard's header, the journal's `state` events).

    running <-> paused; running|paused -> draining -> drained; any -> stopped;
    draining|drained|stopped -> running (start).
    """

    RUNNING = "running"  # accepting and dispatching
    PAUSED = "paused"  # accepting, not starting new jobs
    DRAINING = "draining"  # not accepting, finishing what is queued and running
    DRAINED = "drained"  # not accepting, nothing left
    STOPPED = "stopped"  # emergency stop: everything cancelled, not accepting

    @property
    def accepting(self) -> bool:
        return self in (RouterState.RUNNING, RouterState.PAUSED)

    @property
    def ended(self) -> bool:
        """Nothing more will run until someone starts the router again."""
        return self in (RouterState.DRAINED, RouterState.STOPPED)


class JobStage(StrEnum):
    """A job's transitions as the scheduler reports them."""

    ENQUEUED = "enqueued"
    STARTED = "started"
    FINISHED = "finished"  # job.outcome says how


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What a reply job carries: the line it answers and the depth the reply will have.

    A line the operator typed as a bot (`manual`) answers nothing: `message` is that line.
    A reaction to a channel event or a timer carries `reaction`; its `message` then stands
    for the event (its id, who did it, what the reaction says).
    """

    message: ChatMessage
    depth: int
    manual: bool = False
    resumes: int | None = None  # the previous run's job this one takes over (a restart)
    reaction: Reaction | None = None  # a channel event or a timer, not a chat line


class JobView(Protocol):
    """A reply job as observers see it (the dashboard, the journal); read only.

    The scheduler's `Job` has these fields; observers type against this so they do not
    depend on the scheduler.
    """

    @property
    def id(self) -> int: ...
    @property
    def bot(self) -> str: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def delay(self) -> float: ...
    @property
    def context(self) -> ReplyContext: ...
    @property
    def created_at(self) -> float: ...
    @property
    def viewer(self) -> str | None: ...
    @property
    def phase(self) -> Phase: ...
    @property
    def outcome(self) -> Outcome | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def result(self) -> str | None: ...
    @property
    def finished_at(self) -> float | None: ...
    @property
    def send_wait(self) -> float | None: ...
    @property
    def tokens_in(self) -> int: ...
    @property
    def tokens_out(self) -> int: ...
    @property
    def ai_calls(self) -> int: ...
    @property
    def ai_failed(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def carrier(self) -> int | None: ...
    @property
    def carried(self) -> tuple[JobView, ...]: ...
    @property
    def requeued(self) -> int: ...
