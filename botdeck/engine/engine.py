"""The engine façade: everything the dashboard, the headless runner and the tests may do.

Observe: `snapshot()` (polled), `subscribe(listener)` (the event stream: chat lines, job
changes, state changes, moderation, chat modes, review verdicts, bot changes),
`waiting_jobs()`/`running_jobs()`, `jobs_of(bot)`, `find_job(id)`, `reviews()`. Command
the router: `drain`, `stop`, `pause`, `resume`, `start`, the limits, `handle` (inject a
chat line), `take` (inject any chat event: a moderator's action, chat modes),
`bring_raid`. Command single replies and bots (the operator's console): `cancel_job`,
`cancel_viewer`, `job_to_front`, `pause_bot`/`resume_bot`, `mute_bot`/`unmute_bot`,
`set_review`, `approve`/`edit`/`reject`, `say`. Run: `connect()` before, `run_chat()`
during, `close()` after. Moderators command the same state changes from chat
(`!botdeck ...`, see `chat_control`).

Nothing outside `botdeck.engine` reaches into the scheduler, the pipeline or the parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from botdeck.ai.base import Responder
from botdeck.ai.safety import SafetyGate
from botdeck.chat.adapter import SourceFailure, SourceParts, classify_failure
from botdeck.config import ConfigError
from botdeck.core.circuit import Circuit, CircuitChange
from botdeck.core.clock import loop_time
from botdeck.core.gate import SendGate
from botdeck.core.jobs import Job
from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.engine.admission import SendWindowAdmission
from botdeck.engine.automod import AutoModDesk
from botdeck.engine.chat_control import ControlLine
from botdeck.engine.cooldowns import CooldownGate
from botdeck.engine.events import EventHub, Subscription
from botdeck.engine.intake import ChatIntake
from botdeck.engine.journal import Journal
from botdeck.engine.journal_files import open_journal
from botdeck.engine.live import LiveChannel
from botdeck.engine.moderation import Moderation
from botdeck.engine.modes import ChatModes
from botdeck.engine.pipeline import ReplyPipeline, reply_echo
from botdeck.engine.raid import RaidPlanner
from botdeck.engine.reactions import Reactions, sample_event
from botdeck.engine.redemptions import Redemptions
from botdeck.engine.resume import OpenJob, ResumePlan, apply_resume
from botdeck.engine.review import ReviewDesk
from botdeck.engine.room import Room
from botdeck.engine.sending import SendWatch
from botdeck.engine.stream import StreamContext
from botdeck.engine.timers import Timers
from botdeck.engine.usage import UsageMeter
from botdeck.model.channel import ChatEvent, ChatSettings
from botdeck.model.chat import ChatMessage
from botdeck.model.console import Muted, QueuedMentions
from botdeck.model.events import (
    AIAvailability,
    AIState,
    BotChanged,
    ChatSeen,
    EngineEvent,
    FaultSeen,
    JobChanged,
    Listener,
    StateChanged,
)
from botdeck.model.faults import Fault
from botdeck.model.jobs import (
    JobStage,
    JobView,
    Outcome,
    Phase,
    Priority,
    ReplyContext,
    RouterState,
)
from botdeck.model.journal import Reason
from botdeck.model.live import LIVE_EVENTS, LiveSnapshot, StreamOffline
from botdeck.model.review import PendingReview, Verdict
from botdeck.model.snapshot import (
    AIStatus,
    ChatCounts,
    EngineSnapshot,
    EventCounts,
    ResumeSummary,
)
from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]
T = TypeVar("T")


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
        modes: ChatModes,
        moderation: Moderation,
        cooldowns: CooldownGate,
        source: SourceParts,
        responder: Responder,
        safety: SafetyGate,
        limiter: SendLimiter | None,
        usage: UsageMeter,
        admission: SendWindowAdmission,
        journal: Journal,
        room: Room | None = None,
        clock: Callable[[], float] = time.time,
        closers: Sequence[Closer] = (),
        resume: ResumePlan | None = None,
        circuit: Circuit | None = None,
        outage_wait: float = 0.0,
        gate: SendGate | None = None,
        sends: SendWatch | None = None,
        classify_source: Callable[[BaseException], SourceFailure] = classify_failure,
        reactions: Reactions | None = None,
        redemptions: Redemptions | None = None,
        stream: StreamContext | None = None,
        raid: RaidPlanner | None = None,
        timers: Timers | None = None,
        asks: Mapping[str, str] | None = None,
        live: LiveChannel,
        automod: AutoModDesk,
    ) -> None:
        self.channel = channel
        self._automod = automod
        self._live = live
        self._live.drain = lambda by: self.drain(by)
        self._scheduler = scheduler
        self._pipeline = pipeline
        self._review = review
        self._intake = intake
        self._events = events
        self._modes = modes
        self._moderation = moderation
        self._cooldowns = cooldowns
        self._source = source
        self._responder = responder
        self._safety = safety
        self._limiter = limiter
        self._usage = usage
        self._admission = admission
        self._room = room
        self._journal = journal
        self._clock = clock
        self._closers = list(closers)
        # Who the next state change is by (a moderator's login) and the chat command.
        self._cause: tuple[str | None, str | None] = (None, None)
        self._answered = 0
        self._said = 0
        self._speaking: set[asyncio.Task[None]] = set()  # answers to `!botdeck status`
        self._resume_plan = resume
        self._circuit = circuit or Circuit()
        self._circuit.add_listener(self._on_circuit)
        self._outage_wait = outage_wait
        self._gate = gate or SendGate()
        self._sends = sends  # sends failing in a row, shown with the chat connection
        self._classify_source = classify_source  # the source adapter's reading of failures
        self._resume: ResumeSummary | None = None
        self._faults: list[Fault] = []  # a drill's faults under way (`fault`)
        self._reactions = reactions
        self._redemptions = redemptions
        self._stream = stream
        self._raid = raid
        self._timers = timers
        self._asks = dict(asks or {})  # "Ask <bot>" reward titles -> their bot
        self._tests = 0  # test events fired by the operator
        if resume is not None:
            scheduler.continue_ids(resume.last_id)  # ids unique within an appended journal
        scheduler.add_job_listener(self._on_job)
        scheduler.add_state_listener(self._on_state)
        intake.on_command = self._chat_command

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
    def resumed(self) -> ResumeSummary | None:
        """What this run took over from the previous one (after `connect()`)."""
        return self._resume

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
        ai = self._ai_status()
        connection = self._source.source.connection
        if self._sends is not None and (failing := self._sends.failing) is not None:
            connection = replace(connection, failing=failing)  # whatever the source says
        return EngineSnapshot(
            queues=self._scheduler.snapshot(),
            connection=connection,
            responder=self._responder.label,
            channel=self.channel,
            usage=dict(self._usage.per_bot),
            budgets={bot: limiter.budget(bot) for bot in self.bots} if limiter else {},
            notices=(
                *self._source.source.notices,
                *self._responder.notices,
                *self._safety.notices,
                *(ai.notices() if ai else ()),
                *self._journal.notices,  # a journal that could not be written
                *self._moderation.notices,  # one of our bots banned or timed out
            ),
            chat=ChatCounts(intake.lines, intake.duplicates, intake.mentions, self._answered),
            reviewing=self._review.reviewing,
            reviews=len(self._review),
            chat_mode=self._modes.settings.describe(),
            cooldown_hits=dict(self._cooldowns.hits),
            passed=dict(self._admission.passed),
            room=self._room.snapshot() if self._room is not None else None,
            resume=self._resume,
            ai=ai,
            sends_held=self._gate.shut,
            stream=self._stream.info if self._stream is not None else StreamInfo(),
            raid=self._raid.snapshot(loop_time()) if self._raid is not None else None,
            events=self._event_counts(),
            live=self._live.snapshot(),
            faults=self._lasting_faults(),
        )

    def _event_counts(self) -> EventCounts:
        """The channel events taken, the reactions made, the redemptions' fates."""
        reactions, redemptions = self._reactions, self._redemptions
        if reactions is None:
            return EventCounts()
        return EventCounts(
            events=reactions.taken,
            reactions=reactions.reactions,
            unsupported=reactions.unsupported,
            fulfilled=redemptions.fulfilled if redemptions else 0,
            refunded=redemptions.refunded if redemptions else 0,
            open_redemptions=redemptions.open if redemptions else 0,
        )

    @property
    def live(self) -> LiveSnapshot:
        """Shared chat, the stream offline, our bots removed, reading gaps, the lock."""
        return self._live.snapshot()

    def note_lock(self, note: str) -> None:
        """What the run's channel lock has to say on the dashboard (a crashed run's lock
        taken over)."""
        log.warning("%s", note)
        self._live.lock = note

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

    @property
    def chat_settings(self) -> ChatSettings:
        """The channel's chat modes as last reported by the chat source."""
        return self._modes.settings

    async def wait_idle(self) -> None:
        """Return once nothing runs and nothing waits that could start: only the replies
        of bots a chat mode holds may still wait (a drain skips them)."""
        await self._scheduler.on_settled()

    async def wait_ended(self) -> None:
        """Return once the router has drained or stopped and every job has unwound."""
        if not self.state.ended:
            ended = asyncio.Event()

            def on_state(event: EngineEvent) -> None:
                if isinstance(event, StateChanged) and event.state.ended:
                    ended.set()

            subscription = self.subscribe(on_state)
            try:
                await ended.wait()
            finally:
                subscription.cancel()
        await self.wait_idle()

    # ------------------------------------------------------------ commands
    def handle(self, message: ChatMessage) -> list[JobView]:
        """One chat line in, as if the source had delivered it; the jobs it created."""
        return list(self._intake.handle(message))

    def take(self, event: ChatEvent) -> None:
        """Any chat event in, as if the source had delivered it: a line, a moderator's
        action (synchronous: nothing it removed is sent afterwards), the chat modes."""
        if isinstance(event, ChatMessage):
            self._intake.handle(event)
        elif isinstance(event, ChatSettings):
            self._modes.apply(event)
        elif isinstance(event, ChannelEvent):
            self._channel_event(event)
        elif isinstance(event, LIVE_EVENTS):
            self._live.apply(event)
            if isinstance(event, StreamOffline) and self._reactions is not None:
                # The stream's end as a channel event too: journaled, the timers paused.
                offline = StreamInfo(live=False)
                at = self._clock()
                self._reactions.handle(
                    ChannelEvent(EventKind.OFFLINE, f"stream.offline-{at}", at, stream=offline)
                )
        else:
            self._moderation.apply(event)

    def _channel_event(self, event: ChannelEvent) -> None:
        """A raid, a sub, the stream's state...: its reaction; the stream going offline
        or live again also reaches the live channel (`[chat] on_offline`, the header)."""
        if self._reactions is not None:
            self._reactions.handle(event)
        if event.test:
            return
        if event.kind is EventKind.OFFLINE:
            self._live.apply(StreamOffline())
        elif event.kind is EventKind.ONLINE:
            self._live.online()

    def fire_event(self, kind: EventKind) -> list[JobView]:
        """A test event of `kind` (the dashboard's "simulate event"): taken like a real
        one, marked `test`, so its reaction is seen and nothing is settled on the
        platform. ValueError for a kind that has no reaction."""
        if self._reactions is None:
            return []
        self._tests += 1
        event = sample_event(kind, self._tests, self._clock(), self.bots, self._asks)
        return list(self._reactions.handle(event))

    def drain(self, by: str | None = None) -> bool:
        """Accept nothing new; finish what is queued and running, then `drained`."""
        return self._command(self._scheduler.drain, by)

    def stop(self, reason: str = Reason.STOPPED, by: str | None = None) -> int:
        """Emergency stop: every queued and running reply is cancelled before this returns."""
        return self._stop(reason, by, None)

    def _stop(self, reason: str, by: str | None, verb: str | None) -> int:
        for task in self._speaking:
            task.cancel()  # nothing more goes out, a status answer included
        try:
            return self._command(lambda: self._scheduler.stop(reason), by, verb)
        finally:
            self._gate.open()  # what waited at it was cancelled; later replies may go

    def hold_sends(self) -> None:
        """From now on no reply begins its send (they wait, their timeout paused) until
        `release_sends` or `stop`: the operator pressed the emergency stop and is asked to
        confirm, and whatever the answer, nothing may leave meanwhile."""
        self._gate.shut_now()

    def release_sends(self) -> None:
        """The stop was not confirmed: replies waiting to send go on, in order."""
        self._gate.open()

    @property
    def sends_held(self) -> bool:
        return self._gate.shut

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
        self._moderation.bot_resumed(bot)
        return self._bot_command(bot, self._scheduler.resume_bot(bot))

    def toggle_bot_pause(self, bot: str) -> bool:
        """Pause the bot, or resume it when paused; True when it is paused now."""
        if not self.pause_bot(bot):
            self.resume_bot(bot)
        return self._scheduler.paused_bot(bot)

    def queued_mentions(self, bot: str) -> int:
        """Mentions this bot has not answered yet and could still lose: waiting, carried
        by a merged reply, or running before their send began."""
        waiting = len(self._scheduler.waiting_jobs(bot, Priority.HIGH))
        running = 0
        for job in self._scheduler.running_jobs():
            if job.bot != bot or job.direct:
                continue
            running += sum(1 for other in job.carried if other.outcome is None)
            if job.priority is Priority.HIGH and not job.committed and job.outcome is None:
                running += 1
        return waiting + running

    def mute_bot(
        self, bot: str, mentions: QueuedMentions = QueuedMentions.DROP, to: str | None = None
    ) -> Muted:
        """This bot takes no replies until `unmute_bot`; later ones end `skipped`
        (reason `muted`) as they come. Its unsent replies that are not mentions end so now;
        its mentions are dropped the same way, left to finish, or handed to bot `to`
        (each ends `skipped: muted` and `to` gets a job for its line, as old as it)."""
        if mentions is QueuedMentions.HAND_OVER:
            if to is None or to == bot or to not in self.bots:
                raise ValueError(f"hand the mentions of {bot!r} to another bot, not {to!r}")
            if self._scheduler.muted_bot(to):
                raise ValueError(f"{to!r} is muted: it cannot take {bot!r}'s mentions")
        keep = None
        if mentions is QueuedMentions.FINISH:

            def keep(job: Job[ReplyContext]) -> bool:
                return job.priority is Priority.HIGH

        ended = self._scheduler.mute_bot(bot, keep=keep)
        handed = 0
        if mentions is QueuedMentions.HAND_OVER and to is not None:
            now = asyncio.get_running_loop().time()
            for job in sorted(ended, key=lambda job: (job.created_at, job.id)):
                if job.priority is not Priority.HIGH or job.context.manual:
                    continue
                age = max(0.0, now - job.created_at)
                taken = self._intake.hand_over(job.context.message, to, age)
                handed += taken.outcome is None  # a drain or the viewer cap may refuse it
        finishing = self.queued_mentions(bot) if mentions is QueuedMentions.FINISH else 0
        self._events.publish(BotChanged(bot))
        return Muted(bot, len(ended), handed, finishing, to if handed else None)

    def unmute_bot(self, bot: str) -> bool:
        return self._bot_command(bot, self._scheduler.unmute_bot(bot))

    def muted(self, bot: str) -> bool:
        return self._scheduler.muted_bot(bot)

    def toggle_mute(self, bot: str) -> bool:
        """Mute the bot (its queued mentions dropped), or unmute it when muted; True when
        it is muted now."""
        if self._scheduler.muted_bot(bot):
            self.unmute_bot(bot)
            return False
        self.mute_bot(bot)
        return True

    def set_review(self, bot: str | None, on: bool) -> None:
        """Hold this bot's replies (every bot's, with None) for the operator, or not.
        Turning it off sends what it held (through the safety gate again)."""
        for name in self.bots if bot is None else (bot,):
            self._review.set_review(name, on)

    def reviewing(self, bot: str) -> bool:
        return self._review.wants(bot)

    def settle_reviews(self, by: str) -> int:
        """Nobody will review any more (the operator is quitting): `[review] on_timeout`
        decides every held reply now, and every later one; how many were held."""
        return self._review.settle(by)

    def reopen_reviews(self) -> None:
        """Replies of reviewed bots wait for the operator again."""
        self._review.reopen()

    def approve(self, job_id: int) -> bool:
        """Send a reply held for review as it is; False if it is not held."""
        return self._review.decide(job_id, Verdict.APPROVED)

    def approve_all(self, job_ids: Sequence[int] | None = None) -> int:
        """Send these held replies (every held reply with None) as they are; how many
        were still held."""
        ids = [review.job for review in self.reviews()] if job_ids is None else job_ids
        return sum(self.approve(job_id) for job_id in ids)

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

    def fault(self, fault: Fault) -> None:
        """A drill injected a fault (`botdeck.chaos`): journaled (`fault`), and shown while
        it lasts. The engine does nothing else about it: the fault itself happens at the
        adapters' edges, where the drill put it, and the engine meets it as it would live."""
        if fault.until is not None and fault.until > self._clock():
            self._faults.append(fault)
        self._events.publish(FaultSeen(fault))

    def _lasting_faults(self) -> tuple[Fault, ...]:
        if not self._faults:
            return ()
        now = self._clock()
        self._faults = [fault for fault in self._faults if fault.until and fault.until > now]
        return tuple(self._faults)

    def crash(self) -> None:
        """Die here, as a killed process would (a drill's crash fault): the journal keeps
        what it has written and writes nothing more, so every open job is left without an
        outcome for the next run to resume; everything running is cancelled unheard, and
        nothing more is sent. The engine is not used again: a restart builds a new one."""
        self._journal.sever()
        for task in self._speaking:
            task.cancel()
        self._scheduler.stop(Reason.STOPPED)  # journaled nowhere: the journal is severed
        self._gate.open()

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
        except Exception as error:
            failure = self.source_failure(error)
            if failure.setup:
                raise ConfigError(failure.reason) from None
            raise
        self._take_over()

    def source_failure(self, error: BaseException) -> SourceFailure:
        """What an exception from the chat source means, as its adapter reads it: one
        line, and whether it is a setup problem (exit 2)."""
        return self._classify_source(error)

    def _take_over(self) -> None:
        """The previous run's unfinished jobs get their outcome, and young mentions are
        submitted again, before any new chat is read (see `botdeck.engine.resume`)."""
        plan, self._resume_plan = self._resume_plan, None
        if plan is None:
            return
        old = self._journal if plan.same_file else self._previous_journal(plan)

        def resubmit(line: ChatMessage, bot: str, age: float, old_id: int) -> int:
            return self._intake.resubmit(line, bot, age, old_id).id

        def close_old(job: OpenJob, reason: Reason, resumed_as: int | None) -> None:
            old.closed_by_restart(job.id, job.bot, job.priority, job.msg, reason, resumed_as)

        now = self._clock()
        if self._limiter is not None:  # the killed run's sends still count at Twitch
            for bot, ts in plan.sends:
                self._limiter.remember(bot, now - ts)
        try:
            self._resume = apply_resume(
                plan,
                now=now,
                channel=self.channel,
                bots=frozenset(self.bots),
                resubmit=resubmit,
                close_old=close_old,
            )
        finally:
            if old is not self._journal:
                old.close()

    def _previous_journal(self, plan: ResumePlan) -> Journal:
        """The previous run's own file, so its jobs' outcomes are where they started; this
        run's journal if that file cannot be written."""
        if not plan.open_in(self.channel):
            return self._journal  # nothing to close there (another channel's is left alone)
        try:
            stream = open_journal(plan.source, "resume")
        except ConfigError as error:
            log.warning("%s: outcomes go to this run's journal", error)
            return self._journal
        return Journal(stream, clock=self._clock, owns=True)

    async def run_chat(self) -> None:
        """Read the chat source into the engine until it ends (the timers run meanwhile)."""
        timers = self._timers
        ticking = asyncio.get_running_loop().create_task(timers.run()) if timers else None
        try:
            async for event in self._source.source:
                self.take(event)
        finally:
            if ticking is not None:
                ticking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking

    async def close(self) -> None:
        """Release everything held open and flush the journal; safe to call twice."""
        for task in self._speaking:
            task.cancel()
        if self._redemptions is not None:
            await self._redemptions.flush()  # every answered redemption settled first
        await self._source.source.close()
        for event in self._source.source.undelivered():
            if not isinstance(event, ChatMessage):  # a gap, a verdict: the run's last words
                self.take(event)
        self._automod.close()  # replies still held get their outcome before the last line
        self._safety.close()
        closers, self._closers = self._closers, []
        for close in closers:
            await close()
        self._journal.close()

    # ----------------------------------------------------------- internals
    def _command(self, command: Callable[[], T], by: str | None, verb: str | None = None) -> T:
        self._cause = (by, verb)
        try:
            return command()
        finally:
            self._cause = (None, None)

    def _bot_command(self, bot: str, changed: bool) -> bool:
        if changed:
            self._events.publish(BotChanged(bot))
        return changed

    def _ai_status(self) -> AIStatus | None:
        circuit = self._circuit
        down_for = circuit.down_for()
        if down_for is None and circuit.refused is None:
            return None
        waiting = sum(1 for job in self._scheduler.running_jobs() if job.phase is Phase.AI_WAIT)
        return AIStatus(down_for, circuit.reason, circuit.refused, waiting, self._outage_wait)

    def _job_ended(self, job: Job[ReplyContext]) -> None:
        """A reaction's job ended: a redemption it answered is settled by its outcome."""
        if self._redemptions is not None:
            self._redemptions.job_ended(job)
        if self._reactions is not None:
            self._reactions.job_ended(job)

    def _on_circuit(self, change: CircuitChange) -> None:
        event = AIAvailability(change.state, change.reason, change.down_for)
        log.log(logging.INFO if change.state is AIState.UP else logging.WARNING, event.describe())
        self._events.publish(event)

    def _on_state(self, state: RouterState) -> None:
        self._events.publish(StateChanged(state, *self._cause))

    # ------------------------------------------------------- chat control
    def _chat_command(self, line: ControlLine) -> None:
        """A moderator's `!botdeck <verb>`: what the dashboard's key does (stop without
        asking: a moderator typing it means it). Journaled as a `state` event with `by`
        and `command`, also when the state does not change."""
        verb, by = line.verb, line.by
        if verb is None:
            log.info("chat control: %s sent no known command", by)
            return
        before = self.state
        if verb == "pause":
            self._command(self._scheduler.pause, by, verb)
        elif verb == "resume":  # resume when paused, start again after a drain or a stop
            self._command(lambda: self._scheduler.start() or self._scheduler.resume(), by, verb)
        elif verb == "drain":
            self._command(self._scheduler.drain, by, verb)
        elif verb == "stop":
            self._stop(Reason.STOPPED, by, verb)
        elif verb == "status":
            self._answer_status()
        if self.state is before:
            self._events.publish(StateChanged(before, by, verb))

    def status_text(self) -> str:
        """What `!botdeck status` answers: the state, the backlog, the chat modes."""
        queues = self._scheduler.snapshot()
        replies = "reply" if queues.size == 1 else "replies"
        text = (
            f"botdeck is {queues.state.value}: {queues.size} {replies} waiting,"
            f" {queues.pending} in progress"
        )
        if mode := self._modes.settings.describe():
            text += f"; chat: {mode}"
        if held := self._modes.held:
            text += f"; held: {', '.join(held)}"
        return text

    def _answer_status(self) -> None:
        speakers = self._modes.speakers()
        if not speakers:
            log.warning("chat control: no bot may talk in this chat mode to answer status")
            return
        task = asyncio.get_running_loop().create_task(self._say(speakers, self.status_text()))
        self._speaking.add(task)
        task.add_done_callback(self._speaking.discard)

    async def _say(self, speakers: Sequence[str], text: str) -> None:
        """Say `text` once, as the first bot that can, through the pipeline's send path;
        a sink that does not echo gets the line into the chat here (no bot answers it)."""
        depth = self._intake.silent_depth
        said = await self._pipeline.announce(speakers, text, depth)
        if said is None:
            log.warning("chat control: no bot could answer status")
        elif not self._pipeline.echoes:
            line = ChatMessage(said.message_id, said.bot, said.text, self._clock(), is_bot=True,
                               depth=depth)  # fmt: skip
            self._events.publish(ChatSeen(line))

    def _on_job(self, stage: JobStage, job: Job[ReplyContext]) -> None:
        if self._events:
            self._events.publish(JobChanged(stage, job))
        if stage is JobStage.FINISHED and job.context.reaction is not None:
            self._job_ended(job)
        if stage is JobStage.FINISHED and self._raid is not None:
            self._raid.job_ended(job)
        if stage is not JobStage.FINISHED or job.outcome is not Outcome.SENT:
            return
        if job.priority is Priority.HIGH and job.context.reaction is None:
            self._answered += 1  # a viewer's mention (a reaction is counted with events)
        if not self._pipeline.echoes and job.carrier is None:
            # The reply re-enters the chat as a bot line, so bots can answer each other.
            line = reply_echo(job, job.result_id or f"reply-{job.id}", self._clock())
            self._intake.handle(line)
