"""The reply pipeline: what one job does once the scheduler starts it, stage by stage.

    stale check -> merge (raid mode) -> moderation of the line -> generate -> shape
    -> safety -> review (when the operator reviews the bot) -> a raid's greeting first
    -> send limit -> send

A reaction to a channel event or a timer writes from its `Reaction` instead of a chat
line: the AI gets the configured prompt with the event's fields, or (`text`) nothing is
generated and the text goes on as written; it names who did it, never carries others.

Each stage is one method below, run in that order by `run`. A stage ends the job by
raising `JobSkipped` (a reply we chose not to send: blocked, stale, rejected) or
`JobFailed` (one we could not produce or send); the scheduler turns either into the
job's outcome. A line the operator types as a bot (`say`) takes the last stages only:
shape -> safety -> send limit -> send; a line botdeck says itself (`announce`: the answer
to `!botdeck status`) only send limit -> gate -> send. Nothing reaches the sink but
through here.

Moderators may act while a reply is being written or waits for its send window: when a
line the reply was written from (its context, or a viewer a merged reply answers) is
removed before the send begins, the reply is written again without it, so a removed line
is never quoted and a removed viewer never named. (The line the job answers being removed
ends the job itself: `Scheduler.cancel`.)

Generating goes through the AI circuit (`core.circuit`): while the server is down the job
waits in phase `ai_wait` instead of failing: a mention until it has existed for
`[ai] outage_wait` seconds of the outage (counted from the job's creation or the outage's
start, whichever is later, so jobs queued behind the waiting ones do not wait the whole
time again once they start), then it fails `ai_unavailable`; a random or bot-to-bot
reply only while it is younger than `max_age`, then it is skipped `stale`.

A drain does not wait out an outage (`router_changed`): once the router drains, a reply
that finds the server down fails `ai_unavailable` at once, whether it was waiting, comes
out of its delay, or is about to start (before its delay: a drain never sleeps through
replies that cannot be written). A request already under way ends within its own
deadline (`[ai] timeout`), and if it brings the server back the rest are written as
usual. So with the server down a drain ends within `[ai] timeout` plus the longest reply
delay (twice `[ai] timeout` when the outage is only found during the drain), instead of
holding a rehearsal's `--duration` or a quit for `outage_wait`.

A reply the platform takes but holds for its moderators (AutoMod: `SendHeld`) is neither
sent nor failed: the job parks (`JobParked`) until their verdict (`engine/automod.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.ai.safety import Blocked, SafetyGate
from botdeck.ai.shaping import EmptyReplyError, shape_reply
from botdeck.chat.base import ChatSink, SendError, SendHeld
from botdeck.core.circuit import Circuit, OutageTooLong, Ticket
from botdeck.core.clock import loop_time
from botdeck.core.gate import SendGate
from botdeck.core.jobs import Job, JobFailed, JobParked, JobReturned, JobSkipped
from botdeck.core.ratelimit import SendLimiter
from botdeck.engine.automod import AutoModDesk
from botdeck.engine.conversation import Conversation, EchoDepth
from botdeck.engine.raid import RaidPlanner, address
from botdeck.engine.review import Decision, ReviewDesk
from botdeck.engine.stream import StreamContext
from botdeck.engine.usage import UsageMeter
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Phase, Priority, ReplyContext, RouterState
from botdeck.model.journal import Reason
from botdeck.model.review import Verdict

ReplyJob = Job[ReplyContext]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Said:
    """A line botdeck said in chat of its own accord (`ReplyPipeline.announce`)."""

    bot: str
    text: str  # as sent (the duplicate guard may have changed it)
    message_id: str


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    max_reply_chars: int
    max_age: float | None  # a random or bot-to-bot reply that waited longer is stale
    stale_after_delay: bool  # check staleness here, not in the scheduler's precheck
    send_retries: int  # more attempts for a send the sink says is worth retrying
    outage_wait: float  # seconds a started reply waits out an AI outage (0: none)


class ReplyPipeline:
    def __init__(
        self,
        *,
        personas: Mapping[str, str],
        settings: PipelineSettings,
        conversation: Conversation,
        raid: RaidPlanner,
        responder: Responder,
        safety: SafetyGate,
        usage: UsageMeter,
        limiter: SendLimiter | None,
        sink: ChatSink,
        echoes: EchoDepth,
        review: ReviewDesk,
        circuit: Circuit | None = None,
        gate: SendGate | None = None,
        stream: StreamContext | None = None,
        automod: AutoModDesk | None = None,
        bot_refused: Callable[[str], bool] | None = None,
    ) -> None:
        self._personas = dict(personas)
        self._automod = automod
        self._settings = settings
        self._conversation = conversation
        self._raid = raid
        self._responder = responder
        self._safety = safety
        self._usage = usage
        self._limiter = limiter
        self._sink = sink
        self._echoes = echoes
        self._review = review
        self._circuit = circuit or Circuit()
        self._gate = gate or SendGate()
        # A send refused because the bot is removed: True once the bot is paused for it.
        self._bot_refused = bot_refused or (lambda bot: False)
        self._stream = stream

    @property
    def echoes(self) -> bool:
        """The sink brings what was sent back as chat lines (Twitch); else the engine
        puts them into the chat itself."""
        return self._sink.echoes

    async def run(self, job: ReplyJob) -> None:
        """The whole pipeline for one job (the scheduler's executor)."""
        if self._settings.stale_after_delay and (reason := self.stale(job)):
            raise JobSkipped(reason)
        if self._rejected_unseen(job):
            raise JobSkipped(Reason.REJECTED)
        request = self.merge(job)
        retries: int | None = self._settings.send_retries
        while retries is not None:
            await self.moderate(request)
            written = self.fixed_text(job)
            if written is None:
                written = (await self.generate(job, request)).text
            text = self.shape(job, request, written)
            await self.check_safety(request, text)
            if self._review.wants(job.bot):
                text = await self.review(job, request, text)
            await self._raid.after_greeting(job)  # a raid's greeting goes first
            retries = await self.deliver(job, request, text, retries)
            if retries is not None:  # moderators removed part of the request meanwhile
                request = self.rewrite(job, request)
                job.phase = Phase.GENERATING

    async def say(self, job: ReplyJob) -> None:
        """A line the operator typed as the bot: shaped, checked and sent like a reply."""
        try:
            text = shape_reply(
                job.context.message.text,
                bot=job.bot,
                address=None,
                max_chars=self._settings.max_reply_chars,
            )
        except EmptyReplyError:
            raise JobFailed(Reason.EMPTY_REPLY) from None
        request = ReplyRequest(  # it quotes no chat, so moderators cannot change it
            bot=job.bot,
            persona=self._personas[job.bot],
            message=job.context.message,
            history=(),
            priority=job.priority,
            depth=job.context.depth,
        )
        await self.check_safety(request, text)
        await self.deliver(job, request, text, self._settings.send_retries)

    async def deliver(
        self, job: ReplyJob, request: ReplyRequest, text: str, retries: int
    ) -> int | None:
        """Send, trying again what the sink says is worth it (at most `retries` more
        times); None once sent, or the retries left when moderators removed part of the
        request while it waited (it must be written again)."""
        job.phase = Phase.SENDING
        while self.current(job, request):
            try:
                if await self.send_once(job, request, text):
                    return None
                break
            except SendError as error:
                job.dropped += 1
                if error.removed and self._bot_refused(job.bot):
                    job.committed = False  # refused: nothing went out, so it may wait
                    raise JobReturned() from None  # back to the paused bot's queue
                if error.retry_after is None or retries <= 0:
                    raise JobFailed(error.reason) from None
                retries -= 1
                await self.wait_to_retry(job, error.retry_after)
        return retries

    def precheck(self, job: ReplyJob) -> str | None:
        """Before the delay (the scheduler's precheck): a reason to skip the job at once, so
        a drain never sleeps through replies it would skip anyway. Raises JobFailed for a
        reply a drain cannot have written (the AI server down)."""
        if not self._settings.stale_after_delay and (reason := self.stale(job)):
            return reason
        if self._circuit.down and self._circuit.waits_over():
            raise JobFailed(Reason.AI_UNAVAILABLE)
        return Reason.REJECTED if self._rejected_unseen(job) else None

    def router_changed(self, state: RouterState) -> None:
        """A drain waits out no AI outage: waiting replies end at once, later ones do not
        wait (see the module docstring); accepting again lifts that."""
        if state is RouterState.DRAINING:
            self._circuit.limit_waits(loop_time())
        elif state.accepting:
            self._circuit.limit_waits(None)

    def _rejected_unseen(self, job: ReplyJob) -> bool:
        """The operator quit with review on and `on_timeout = "reject"`: the reply would be
        written only to be rejected, so it is rejected unwritten (journaled `reviewed`)."""
        rejected = self._review.rejects_unseen(job.bot)
        if rejected is not None:
            self._review.announce(job, rejected)
        return rejected is not None

    # ------------------------------------------------------------- stages
    def stale(self, job: ReplyJob) -> str | None:
        """Before the delay: a random or bot-to-bot reply that has waited, or will have
        by the end of its delay, longer than `max_age` is skipped at once (a drain never
        sleeps through a backlog of them). Chiming in on a line from minutes ago reads as
        a glitch; mentions are never dropped this way (raid mode keeps them in time)."""
        max_age = self._settings.max_age
        if not max_age or job.priority is Priority.HIGH:
            return None
        waited = (job.started_at or job.created_at) - job.created_at
        return Reason.STALE if waited + job.delay > max_age else None

    def merge(self, job: ReplyJob) -> ReplyRequest:
        """Raid mode may let this reply answer waiting mentions too; the request for it,
        with the stream's game and title, and for a reaction what it reacts to."""
        trigger = job.context.message
        reaction = job.context.reaction
        return ReplyRequest(
            bot=job.bot,
            persona=self._personas[job.bot],
            message=trigger,
            history=self._conversation.recent(excluding=trigger),
            priority=job.priority,
            depth=job.context.depth,
            also=self._raid.carry(job),
            stream=self._stream.line() if self._stream is not None else "",
            event=reaction.render() if reaction is not None else None,
            event_kind=reaction.kind if reaction is not None else None,
        )

    def fixed_text(self, job: ReplyJob) -> str | None:
        """A reaction or timer configured with `text`: what it says, unwritten by the AI
        (None: the AI writes the reply)."""
        reaction = job.context.reaction
        return reaction.render() if reaction is not None and reaction.fixed else None

    def current(self, job: ReplyJob, request: ReplyRequest) -> bool:
        """Whether the request still stands: no line of its context removed since, and
        it answers exactly the viewers the job still carries."""
        carried = tuple(other.context.message for other in job.carried)
        if len(carried) != len(request.also) or any(
            a is not b for a, b in zip(carried, request.also, strict=True)
        ):
            return False
        return not self._conversation.removed_any(request.history)

    def rewrite(self, job: ReplyJob, request: ReplyRequest) -> ReplyRequest:
        """The request again, after moderators removed something it held: today's
        context, and only the viewers the job still carries."""
        return replace(
            request,
            history=self._conversation.recent(excluding=request.message),
            also=tuple(other.context.message for other in job.carried),
        )

    async def moderate(self, request: ReplyRequest) -> None:
        """The line itself, if moderation screens incoming lines (started at intake)."""
        try:
            await self._safety.check_incoming(request.message)
        except Blocked as blocked:
            raise JobSkipped(blocked.reason) from None

    async def generate(self, job: ReplyJob, request: ReplyRequest) -> Reply:
        """The responder's reply. A transient failure with waiting on (`outage_wait`)
        does not fail the job: the circuit opens and the job waits for it (see above)."""
        loop = asyncio.get_running_loop()
        circuit = self._circuit
        waiting = self._settings.outage_wait > 0
        while True:
            ticket = await self._wait_for_ai(job, waiting)
            started = loop.time()
            job.ai_calls += 1
            try:
                reply = await self._responder.reply(request)
            except ResponderError as error:
                job.ai_failed += 1
                self._usage.count(job, error.tokens_in, error.tokens_out)
                if not error.transient:
                    circuit.answered(ticket, error.fix)
                    raise JobFailed(error.reason) from None
                circuit.failed(ticket, error.reason, error.retry_after)
                if not waiting:
                    raise JobFailed(error.reason) from None
                continue
            except BaseException:
                circuit.abandoned(ticket)  # cancelled: another job may probe
                raise
            circuit.succeeded(ticket)
            self._usage.count(job, reply.tokens_in, reply.tokens_out)
            self._raid.note_generation(job.bot, loop.time() - started)
            return reply

    async def _wait_for_ai(self, job: ReplyJob, waiting: bool) -> Ticket:
        """At once while the AI server answers; while it is down, in phase `ai_wait` until
        this job's turn to try (ends the job when its wait runs out, or at once when a
        drain has ended the waiting); without `waiting`, the request goes at once."""
        circuit = self._circuit
        if not circuit.down or circuit.down_since is None:
            return Ticket(False)
        if circuit.waits_over():
            raise JobFailed(Reason.AI_UNAVAILABLE)
        if not waiting:
            return Ticket(False)
        since = max(job.created_at, circuit.down_since)
        until = since + self._settings.outage_wait
        max_age = self._settings.max_age
        stale_at = None
        if job.priority is not Priority.HIGH and max_age:
            stale_at = job.created_at + max_age
            until = min(until, stale_at)
        job.phase = Phase.AI_WAIT
        try:
            return await circuit.admit(until)
        except OutageTooLong:
            # Stale only if its own age ended the wait (not a drain ending everyone's).
            if stale_at is not None and until >= stale_at and not circuit.waits_over():
                raise JobSkipped(Reason.STALE) from None
            raise JobFailed(Reason.AI_UNAVAILABLE) from None
        finally:
            job.phase = Phase.GENERATING

    def shape(self, job: ReplyJob, request: ReplyRequest, text: str) -> str:
        address_to: str | list[str] | None = None
        reaction = job.context.reaction
        if reaction is not None:
            address_to = reaction.address or None  # who did it; nobody for a text or timer
        elif request.also:
            address_to = [address(line) for line in request.messages]
        elif job.priority is not Priority.NORMAL:
            address_to = address(request.message)
        try:
            return shape_reply(
                text,
                bot=job.bot,
                address=address_to,
                max_chars=self._settings.max_reply_chars,
            )
        except EmptyReplyError:
            raise JobFailed(Reason.EMPTY_REPLY) from None

    async def check_safety(self, request: ReplyRequest, text: str) -> None:
        try:
            await self._safety.check_reply(request.bot, request.persona, text)
        except Blocked as blocked:
            raise JobSkipped(blocked.reason) from None

    async def review(self, job: ReplyJob, request: ReplyRequest, text: str) -> str:
        """Hold the reply for the operator; the text to send, or JobSkipped (rejected).

        An edit is shaped and checked again like a written reply; one the gate refuses
        goes back to the operator with the reason, the reply still held.
        """
        note = None
        while True:
            decision = await self._review.review(job, text, note)
            if decision.verdict is Verdict.REJECTED:
                self._review.announce(job, decision)
                raise JobSkipped(Reason.REJECTED)
            if decision.verdict is Verdict.EDITED and decision.text is not None:
                try:
                    edited = self.shape(job, request, decision.text)
                    await self.check_safety(request, edited)
                except (JobSkipped, JobFailed) as refused:
                    note = f"edit not taken: {refused.reason}"
                    continue
                if edited != text:
                    self._review.announce(job, decision, edited)
                    return edited
            self._review.announce(job, Decision(Verdict.APPROVED, decision.by))
            if decision.recheck:  # released unread (review turned off): checked again
                await self.check_safety(request, text)
            return text

    async def send_once(self, job: ReplyJob, request: ReplyRequest, text: str) -> bool:
        """One attempt to send (through the limiter, if any); False, without sending, when
        moderators removed part of the request while it waited. A refusal propagates as
        `SendError`: when it says `retry_after` (a rate limit, the platform briefly
        unreachable), `run` tries again after that wait, at most `send_retries` more times,
        each attempt taking a limiter slot like any send (Twitch counts refused and dropped
        messages too)."""
        if self._limiter is None:
            await self.pass_gate(job)
            job.commit()
            await self.send(job, text)
            return True
        return await self.send_limited(job, request, text, self._limiter)

    async def wait_to_retry(self, job: ReplyJob, seconds: float) -> None:
        job.send_wait_until = asyncio.get_running_loop().time() + seconds  # shown as waiting
        await asyncio.sleep(seconds)
        job.send_wait_until = None

    async def send_limited(
        self, job: ReplyJob, request: ReplyRequest, text: str, limiter: SendLimiter
    ) -> bool:
        """Wait for the bot's send window (the job shows as sending, with the wait), then
        send; False, without sending, when moderators removed part of the request while
        it waited. Every reservation is settled: `sent` even when the send failed (Twitch
        may have counted it), `release` when the job ended before sending."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            text = await limiter.acquire(job.bot, text, on_wait=_show_wait(job))
        finally:
            job.send_wait = (job.send_wait or 0.0) + loop.time() - began
        try:
            await self.pass_gate(job)
        except BaseException:
            limiter.release(job.bot, text)  # stopped at the gate: nothing went out
            raise
        if not self.current(job, request):
            limiter.release(job.bot, text)
            return False
        try:
            job.commit()
        except (JobFailed, JobReturned):
            limiter.release(job.bot, text)  # nothing went out
            raise
        delivered = False
        try:
            await self.send(job, text)
            delivered = True
        finally:
            # Counted either way (Twitch may have); a duplicate only if viewers saw it.
            limiter.sent(job.bot, text, delivered=delivered)
        return True

    async def pass_gate(self, job: ReplyJob) -> None:
        """Right before the send begins: wait while the operator is asked to confirm an
        emergency stop (the job timeout paused meanwhile, as in review)."""
        if not self._gate.shut:
            return
        loop = asyncio.get_running_loop()
        job.hold_deadline(loop.time())
        try:
            await self._gate.passage()
        finally:
            job.release_deadline(loop.time())

    async def send(self, job: ReplyJob, text: str) -> None:
        """One attempt; SendError propagates (`run` decides whether to retry). A reply the
        platform holds for its moderators parks the job (see the module docstring)."""
        reply_to = None if job.context.manual else job.context.message.id
        try:
            job.result_id = await self._to_sink(job.bot, text, job.context.depth, reply_to)
        except SendHeld:
            if self._automod is None:
                raise
            job.result = text
            self._automod.held(job, text)
            raise JobParked() from None
        job.result = text

    async def _to_sink(self, bot: str, text: str, depth: int, reply_to: str | None) -> str:
        """The one place anything reaches the sink: the echo of what is being sent is
        expected at `depth` (so bots answer it only that deep); the message id."""
        outgoing = self._echoes.sending(bot, text, depth) if self._sink.echoes else None
        try:
            message_id = await self._sink.send(bot, text, reply_to=reply_to)
        except SendHeld:
            if outgoing is not None:
                self._echoes.held(outgoing)  # it comes back if the moderators approve it
            raise
        except BaseException:
            if outgoing is not None:
                self._echoes.failed(outgoing)
            raise
        if outgoing is not None:
            self._echoes.sent(outgoing, message_id)
        return message_id

    # ------------------------------------------------------------ botdeck's own lines
    async def announce(self, speakers: Sequence[str], text: str, depth: int) -> Said | None:
        """A line botdeck itself says in chat (the answer to `!botdeck status`), once, as
        the first of `speakers` whose send works; None when none could.

        Not a job, so it goes out whatever the router's state (a stopped router still
        answers status), but through the same last stages as a reply: the bot's send
        limit and duplicate guard, the stop gate (nothing leaves while the operator is
        asked to confirm a stop), the echo bookkeeping and the sink every send goes
        through. `depth` is the one no bot answers. Cancelling it (a stop) settles the
        send limit's reservation."""
        limiter = self._limiter
        for bot in speakers:
            said = await limiter.acquire(bot, text) if limiter is not None else text
            try:
                await self._gate.passage()
            except BaseException:
                if limiter is not None:
                    limiter.release(bot, said)  # stopped at the gate: nothing went out
                raise
            delivered = False
            try:
                message_id = await self._to_sink(bot, said, depth, None)
                delivered = True
            except SendError as error:
                log.warning("%s could not say %r: %s", bot, said, error.reason)
                continue
            except Exception:
                log.exception("%s could not say %r", bot, said)
                continue
            finally:
                if limiter is not None:  # also when it failed: the platform may count it
                    limiter.sent(bot, said, delivered=delivered)
            return Said(bot, said, message_id)
        return None


def _show_wait(job: ReplyJob) -> Callable[[float | None], None]:
    """Shows a job's wait for the send window on the job (for the dashboard)."""

    def show(until: float | None) -> None:
        job.send_wait_until = until

    return show


def reply_echo(job: ReplyJob, message_id: str, timestamp: float) -> ChatMessage:
    """A sent reply as the chat line it becomes (for sinks that do not echo)."""
    assert job.result is not None
    return ChatMessage(
        id=message_id,
        user=job.bot,
        text=job.result,
        timestamp=timestamp,
        is_bot=True,
        depth=job.context.depth,
    )
