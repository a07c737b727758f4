"""The engine façade: everything the dashboard, the headless runner and the tests may do.

Observe: `snapshot()` (polled), `subscribe(listener)` (the event stream: chat lines, job
changes, state changes, review verdicts, bot changes), `waiting_jobs()`/`running_jobs()`,
`jobs_of(bot)`, `find_job(id)`, `reviews()`. Command the router: `drain`, `stop`, `pause`,
`resume`, `start`, the limits, `handle` (inject a chat line), `bring_raid`. Command single
replies and bots (the operator's console): `cancel_job`, `cancel_viewer`, `job_to_front`,
`pause_bot`/`resume_bot`, `mute_bot`/`unmute_bot`, `set_review`, `approve`/`edit`/`reject`,
`say`. Run: `connect()` before, `run_chat()` during, `close()` after.

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
from botdeck.engine.events import EventHub, Subscription
from botdeck.engine.intake import ChatIntake
from botdeck.engine.journal import Journal
from botdeck.engine.parts import SourceParts
from botdeck.engine.pipeline import ReplyPipeline, reply_echo
from botdeck.engine.review import ReviewDesk
from botdeck.engine.usage import UsageMeter
from botdeck.model.chat import ChatMessage
from botdeck.model.events import BotChanged, JobChanged, Listener, StateChanged
from botdeck.model.jobs import JobStage, JobView, Outcome, Priority, ReplyContext, RouterState
from botdeck.model.journal import Reason
from botdeck.model.review import PendingReview, Verdict
from botdeck.model.snapshot import ChatCounts, EngineSnapshot

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


class Engine:
    def __init__(
        self,
        *,
        channel: str,
        scheduler: Scheduler[ReplyContext],
        pipeline: ReplyPipeline,
        review: ReviewDesk,
        intake: ChatIntake,
        events: EventHub,
        source: SourceParts,
        sink: ChatSink,
        responder: Responder,
        safety: SafetyGate,
        limiter: SendLimiter | None,
        usage: UsageMeter,
        journal: Journal,
        clock: Callable[[], float] = time.time,
        closers: Sequence[Closer] = (),
    ) -> None:
        self.channel = channel
        self._scheduler = scheduler
        self._pipeline = pipeline
        self._review = review
        self._intake = intake
        self._events = events
        self._source = source
        self._sink = sink
        self._responder = responder
        self._safety = safety
        self._limiter = limiter
        self._usage = usage
        self._journal = journal
        self._clock = clock
        self._closers = list(closers)
        self._by: str | None = None  # who the next state change is by (a moderator)
        self._answered = 0
        self._said = 0
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
            ),
            chat=ChatCounts(intake.lines, intake.duplicates, intake.mentions, self._answered),
            reviewing=self._review.reviewing,
            reviews=len(self._review),
        )

    def waiting_jobs(self, bot: str | None = None) -> list[JobView]:
        """Waiting jobs in the order each bot would take them."""
        return list(self._scheduler.waiting_jobs(bot))

    def running_jobs(self) -> list[JobView]:
        return list(self._scheduler.running_jobs())

    def jobs_of(self, bot: str) -> list[JobView]:
        """One bot's unfinished replies as its queue shows them: running ones (each
        followed by the waiting mentions its merged reply carries) in the order they
        started, then waiting ones in the order they will start."""
        jobs: list[JobView] = []
        for job in self._scheduler.running_jobs():
            if job.bot == bot:
                jobs.append(job)
                jobs.extend(other for other in job.carried if other.outcome is None)
        jobs.extend(self._scheduler.waiting_jobs(bot))
        return jobs

    def find_job(self, job_id: int) -> JobView | None:
        """A waiting or running reply by id; None once it has ended."""
        return self._scheduler.find(job_id)

    def reviews(self) -> list[PendingReview]:
        """Replies held for the operator's verdict, oldest first."""
        return self._review.pending()

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

    def cancel_viewer(self, viewer: str, reason: str = Reason.OPERATOR) -> int:
        """End every unsent reply to this viewer, for every bot (`skipped` with
        `reason`); how many ended."""
        viewer = viewer.lower()

        def match(job: Job[ReplyContext]) -> str | None:
            return reason if job.viewer == viewer else None

        return len(self._scheduler.cancel(match))

    def job_to_front(self, job_id: int) -> bool:
        """A waiting reply becomes the next its bot starts at its priority; False if it
        is not waiting."""
        return self._scheduler.to_front(job_id)

    def pause_bot(self, bot: str) -> bool:
        """This bot starts no replies (they wait, shown `paused` on its card) until
        `resume_bot`; the others carry on. A drain still finishes its replies."""
        return self._bot_command(bot, self._scheduler.pause_bot(bot))

    def resume_bot(self, bot: str) -> bool:
        return self._bot_command(bot, self._scheduler.resume_bot(bot))

    def toggle_bot_pause(self, bot: str) -> bool:
        """Pause the bot, or resume it when paused; True when it is paused now."""
        if not self.pause_bot(bot):
            self.resume_bot(bot)
        return self._scheduler.paused_bot(bot)

    def mute_bot(self, bot: str) -> int:
        """This bot takes no replies until `unmute_bot`: the unsent ones end `skipped`
        (reason `muted`) now, later ones as they come; how many ended now."""
        self._intake.orchestrator.muted.add(bot)
        ended = len(self._scheduler.mute_bot(bot))
        self._events.publish(BotChanged(bot))
        return ended

    def unmute_bot(self, bot: str) -> bool:
        self._intake.orchestrator.muted.discard(bot)
        return self._bot_command(bot, self._scheduler.unmute_bot(bot))

    def toggle_mute(self, bot: str) -> bool:
        """Mute the bot, or unmute it when muted; True when it is muted now."""
        if self._scheduler.muted_bot(bot):
            self.unmute_bot(bot)
            return False
        self.mute_bot(bot)
        return True

    def set_review(self, bot: str | None, on: bool) -> None:
        """Hold this bot's replies (every bot's, with None) for the operator, or not."""
        for name in self.bots if bot is None else (bot,):
            self._review.set_review(name, on)

    def reviewing(self, bot: str) -> bool:
        return self._review.wants(bot)

    def approve(self, job_id: int) -> bool:
        """Send a reply held for review as it is; False if it is not held."""
        return self._review.decide(job_id, Verdict.APPROVED)

    def edit(self, job_id: int, text: str) -> bool:
        """Send this text instead (shaped and checked again; a refusal keeps the reply
        held with the reason); False if it is not held."""
        return self._review.decide(job_id, Verdict.EDITED, text)

    def reject(self, job_id: int) -> bool:
        """Do not send a reply held for review (`skipped`, reason `rejected`)."""
        return self._review.decide(job_id, Verdict.REJECTED)

    def say(self, bot: str, text: str) -> JobView:
        """Send a line as this bot at once, through the same shaping, safety gate, send
        limit and duplicate guard as its replies (journaled `sent` with `manual: true`)."""
        if bot not in self.bots:
            raise ValueError(f"unknown bot {bot!r}")
        self._said += 1
        line = ChatMessage(f"manual-{self._said}", bot, text, self._clock(), is_bot=True)
        context = ReplyContext(line, depth=0, manual=True)
        return self._scheduler.run_now(bot, Priority.NORMAL, context, self._pipeline.say)

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

    def _bot_command(self, bot: str, changed: bool) -> bool:
        if changed:
            self._events.publish(BotChanged(bot))
        return changed

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
