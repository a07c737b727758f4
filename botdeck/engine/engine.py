"""The engine façade: everything the dashboard, the headless runner and the tests may do.

Observe: `snapshot()` (polled), `subscribe(listener)` (the event stream: chat lines, job
changes, state changes), `waiting_jobs()`/`running_jobs()`. Command: `drain`, `stop`,
`pause`, `resume`, `start`, the limits, `cancel_job`, `handle` (inject a chat line),
`bring_raid`. Run: `connect()` before, `run_chat()` during, `close()` after.

Nothing outside `botdeck.engine` reaches into the scheduler, the pipeline or the parts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from botdeck.ai.base import Responder
from botdeck.ai.safety import SafetyGate
from botdeck.chat.base import ChatSetupError, ChatSink
from botdeck.config import ConfigError
from botdeck.core.jobs import Job
from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.engine.admission import SendWindowAdmission
from botdeck.engine.events import EventHub, Subscription
from botdeck.engine.intake import ChatIntake
from botdeck.engine.journal import Journal
from botdeck.engine.parts import SourceParts
from botdeck.engine.pipeline import reply_echo
from botdeck.engine.usage import UsageMeter
from botdeck.model.chat import ChatMessage
from botdeck.model.events import JobChanged, Listener, StateChanged
from botdeck.model.jobs import JobStage, JobView, Outcome, Priority, ReplyContext, RouterState
from botdeck.model.journal import Reason
from botdeck.model.snapshot import ChatCounts, EngineSnapshot

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


class Engine:
    def __init__(
        self,
        *,
        channel: str,
        scheduler: Scheduler[ReplyContext],
        intake: ChatIntake,
        events: EventHub,
        source: SourceParts,
        sink: ChatSink,
        responder: Responder,
        safety: SafetyGate,
        limiter: SendLimiter | None,
        usage: UsageMeter,
        admission: SendWindowAdmission,
        journal: Journal,
        clock: Callable[[], float] = time.time,
        closers: Sequence[Closer] = (),
    ) -> None:
        self.channel = channel
        self._scheduler = scheduler
        self._intake = intake
        self._events = events
        self._source = source
        self._sink = sink
        self._responder = responder
        self._safety = safety
        self._limiter = limiter
        self._usage = usage
        self._admission = admission
        self._journal = journal
        self._clock = clock
        self._closers = list(closers)
        self._by: str | None = None  # who the next state change is by (a moderator)
        self._answered = 0
        scheduler.add_job_listener(self._on_job)
        scheduler.add_state_listener(self._on_state)

    # ----------------------------------------------------------- observing
    @property
    def bots(self) -> tuple[str, ...]:
        return self._scheduler.bots

    @property
    def state(self) -> RouterState:
        return self._scheduler.state

    @property
    def global_limit(self) -> int:
        return self._scheduler.global_limit

    @property
    def journaling(self) -> bool:
        return self._journal.enabled

    @property
    def journal_notices(self) -> tuple[str, ...]:
        """Why the journal stopped being written during the run, if it did (a full disk)."""
        return self._journal.notices

    @property
    def source_warnings(self) -> Sequence[str]:
        """What the chat source left out (a replay's skipped lines), to show before a run."""
        return self._source.warnings

    @property
    def can_raid(self) -> bool:
        return self._source.bring_raid is not None

    def subscribe(self, listener: Listener) -> Subscription:
        """Hear every chat line, job change and state change from now on."""
        return self._events.subscribe(listener)

    def snapshot(self) -> EngineSnapshot:
        """Every number the dashboard shows; cheap enough to poll at 10 Hz."""
        limiter = self._limiter
        intake = self._intake
        return EngineSnapshot(
            queues=self._scheduler.snapshot(),
            connection=self._source.source.connection,
            responder=self._responder.label,
            channel=self.channel,
            usage=dict(self._usage.per_bot),
            budgets={bot: limiter.budget(bot) for bot in self.bots} if limiter else {},
            notices=(
                *self._source.source.notices,
                *self._responder.notices,
                *self._safety.notices,
                *self._journal.notices,  # a journal that could not be written
            ),
            chat=ChatCounts(intake.lines, intake.duplicates, intake.mentions, self._answered),
            passed=dict(self._admission.passed),
        )

    def waiting_jobs(self, bot: str | None = None) -> list[JobView]:
        """Waiting jobs in the order each bot would take them."""
        return list(self._scheduler.waiting_jobs(bot))

    def running_jobs(self) -> list[JobView]:
        return list(self._scheduler.running_jobs())

    async def wait_idle(self) -> None:
        """Return once nothing waits and nothing runs."""
        await self._scheduler.on_idle()

    # ------------------------------------------------------------ commands
    def handle(self, message: ChatMessage) -> list[JobView]:
        """One chat line in, as if the source had delivered it; the jobs it created."""
        return list(self._intake.handle(message))

    def drain(self, by: str | None = None) -> bool:
        """Accept nothing new; finish what is queued and running, then `drained`."""
        return self._command(self._scheduler.drain, by)

    def stop(self, reason: str = Reason.STOPPED, by: str | None = None) -> int:
        """Emergency stop: every queued and running reply is cancelled before this returns."""
        self._by = by
        try:
            return self._scheduler.stop(reason)
        finally:
            self._by = None

    def pause(self, by: str | None = None) -> bool:
        return self._command(self._scheduler.pause, by)

    def resume(self, by: str | None = None) -> bool:
        return self._command(self._scheduler.resume, by)

    def toggle_pause(self, by: str | None = None) -> bool:
        return self.pause(by) or self.resume(by)

    def start(self, by: str | None = None) -> bool:
        """Accept chat again after a drain or a stop (or resume, when paused)."""
        return self._command(self._scheduler.start, by) or self.resume(by)

    def set_global_limit(self, limit: int) -> None:
        self._scheduler.set_global_limit(limit)

    def set_bot_limit(self, bot: str, limit: int) -> None:
        self._scheduler.set_bot_limit(bot, limit)

    def cancel_job(self, job_id: int, reason: str = Reason.OPERATOR) -> bool:
        """End one unsent job now (`skipped` with `reason`); False if it is not waiting or
        running, or its send has begun."""

        def match(job: Job[ReplyContext]) -> str | None:
            return reason if job.id == job_id else None

        return bool(self._scheduler.cancel(match))

    def bring_raid(self) -> bool:
        """The demo's raid: a burst of new viewers mentioning the bots. False if the chat
        source cannot simulate one."""
        if self._source.bring_raid is None:
            return False
        self._source.bring_raid()
        return True

    # ----------------------------------------------------------- lifecycle
    async def connect(self) -> None:
        """Connect what needs connecting (Twitch) before the run, so a bad channel or a
        refused client stops the run at once with a clear error (ConfigError)."""
        try:
            await self._source.source.start()
        except ChatSetupError as error:
            raise ConfigError(str(error)) from None

    async def run_chat(self) -> None:
        """Read the chat source into the engine until it ends."""
        async for message in self._source.source:
            self._intake.handle(message)

    async def close(self) -> None:
        """Release everything held open and flush the journal; safe to call twice."""
        await self._source.source.close()
        self._safety.close()
        closers, self._closers = self._closers, []
        for close in closers:
            await close()
        self._journal.close()

    # ----------------------------------------------------------- internals
    def _command(self, command: Callable[[], bool], by: str | None) -> bool:
        self._by = by
        try:
            return command()
        finally:
            self._by = None

    def _on_state(self, state: RouterState) -> None:
        self._events.publish(StateChanged(state, self._by))

    def _on_job(self, stage: JobStage, job: Job[ReplyContext]) -> None:
        if self._events:
            self._events.publish(JobChanged(stage, job))
        if stage is not JobStage.FINISHED or job.outcome is not Outcome.SENT:
            return
        if job.priority is Priority.HIGH:
            self._answered += 1
        if not self._sink.echoes and job.carrier is None:
            # The reply re-enters the chat as a bot line, so bots can answer each other.
            line = reply_echo(job, job.result_id or f"reply-{job.id}", self._clock())
            self._intake.handle(line)
