"""The router wires one chat channel to the bots: every line in, every reply out.

ChatSource -> handle(): journal the line, remember it as context, ask the orchestrator
who answers, submit one job per plan. Each job (run by the scheduler, after its delay):
responder -> shaping -> safety -> send as that bot. A sent reply re-enters the chat as a
bot line, which is how bots can answer each other within the orchestrator's depth limit.
Safety (`botdeck.ai.safety`) sees every reply from every responder; a refused reply, or a
reply to a line that moderation flagged, ends `skipped` with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass, replace

from botdeck.ai.base import ReplyRequest, Responder, ResponderError
from botdeck.ai.safety import Blocked, SafetyGate
from botdeck.ai.shaping import MIN_TEXT_CHARS, EmptyReplyError, names_length, shape_reply
from botdeck.chat.base import ChatMessage, ChatSink, SendError, SendLimiter
from botdeck.core.echoes import EchoDepths
from botdeck.core.jobs import Job, JobFailed, JobSkipped, Outcome, Phase, Priority
from botdeck.core.journal import Journal
from botdeck.core.metrics import BotUsage
from botdeck.core.orchestrator import Orchestrator, ReplyContext
from botdeck.core.scheduler import JobEvent, Scheduler

log = logging.getLogger(__name__)

ChatListener = Callable[[ChatMessage], None]
_SEEN_IDS = 4096  # how many message ids are remembered to drop duplicates
MAX_CARRIED = 12  # viewers one merged reply may answer besides its own (readability)


@dataclass(frozen=True, slots=True)
class RouterSettings:
    global_limit: int
    per_bot_limit: int
    job_timeout: float | None = 90.0
    context_lines: int = 20
    max_reply_chars: int = 450
    per_user_cap: int | None = 3  # waiting jobs per viewer and bot (None: no cap)
    ack_target: float | None = 60.0  # answer mentions within this; merge replies if not
    max_age: float | None = 120.0  # a random or bot-to-bot reply that waited longer is stale
    send_retries: int = 1  # more attempts for a send the sink says is worth retrying


@dataclass(slots=True)
class ChatCounts:
    lines: int = 0
    duplicates: int = 0
    mentions: int = 0  # high-priority jobs created
    mentions_answered: int = 0


class Router:
    def __init__(
        self,
        *,
        personas: Mapping[str, str],
        orchestrator: Orchestrator,
        responder: Responder,
        sink: ChatSink,
        journal: Journal,
        settings: RouterSettings,
        limiter: SendLimiter | None = None,
        safety: SafetyGate | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._personas = dict(personas)
        self._clock = clock  # wall time for the lines our replies add to the chat
        self._limiter = limiter
        self._safety = safety or SafetyGate()  # the defaults: built-in blocklist, leak guard
        self._orchestrator = orchestrator
        self._responder = responder
        self._sink = sink
        self._journal = journal
        self._settings = settings
        self.scheduler = Scheduler(
            self._personas,
            global_limit=settings.global_limit,
            per_bot_limit=settings.per_bot_limit,
            execute=self._execute,
            job_timeout=settings.job_timeout,
            viewer_cap=settings.per_user_cap or None,
        )
        # Journal first, so "sent" is written before the reply re-enters the chat.
        self.scheduler.add_job_listener(journal.job_event)
        self.scheduler.add_state_listener(journal.state)
        self.scheduler.add_job_listener(self._on_job)
        self._history: deque[ChatMessage] = deque(maxlen=max(1, settings.context_lines + 1))
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._echoes = EchoDepths()  # depth of our replies, for sinks that echo them back
        self._chat_listeners: list[ChatListener] = []
        self._usage: dict[str, BotUsage] = {bot: BotUsage() for bot in self._personas}
        self._generation: dict[str, float] = {}  # seconds a reply takes to write, per bot
        self.counts = ChatCounts()

    @property
    def responder(self) -> Responder:
        return self._responder

    @property
    def limiter(self) -> SendLimiter | None:
        return self._limiter

    @property
    def safety(self) -> SafetyGate:
        return self._safety

    @property
    def usage(self) -> Mapping[str, BotUsage]:
        """Tokens spent per bot so far, as reported by the responder."""
        return self._usage

    def add_chat_listener(self, listener: ChatListener) -> None:
        """Called with every accepted chat line (viewers' and bots'), e.g. by the dashboard."""
        self._chat_listeners.append(listener)

    async def run(self, source: AsyncIterable[ChatMessage]) -> None:
        """Feed every line of the source in until it ends."""
        async for message in source:
            self.handle(message)

    def handle(self, message: ChatMessage) -> list[Job]:
        """Take one chat line: journal it, keep it as context, submit the replies it calls for."""
        if message.id in self._seen:
            self.counts.duplicates += 1
            return []
        self._remember(message.id)
        if self._orchestrator.is_bot(message.user) and not message.is_bot:
            # Our own reply coming back from the channel: restore its depth.
            depth = self._echoes.depth_of(message.user, message.id, message.text)
            message = replace(message, is_bot=True, depth=depth)
        self.counts.lines += 1
        self._journal.chat(message)
        self._history.append(message)
        for listener in self._chat_listeners:
            try:
                listener(message)
            except Exception:
                log.exception("chat listener failed")
        jobs = []
        for plan in self._orchestrator.plan(message):
            context = ReplyContext(message, plan.depth)
            viewer = None if message.is_bot else message.user  # fairness is between viewers
            job = self.scheduler.submit(plan.bot, plan.priority, plan.delay, context, viewer)
            if plan.priority is Priority.HIGH:
                self.counts.mentions += 1
            jobs.append(job)
        if jobs:
            self._safety.screen(message)  # moderation of the line runs during the delay
        return jobs

    # ---------------------------------------------------------------- a job
    async def _execute(self, job: Job) -> None:
        context: ReplyContext = job.context
        trigger = context.message
        if self._is_stale(job):
            # Chiming in on a line from minutes ago reads as a glitch; mentions are never
            # dropped this way (raid mode is what keeps them in time).
            raise JobSkipped("stale")
        also = self._coalesce(job)
        request = ReplyRequest(
            bot=job.bot,
            persona=self._personas[job.bot],
            message=trigger,
            history=self._recent(excluding=trigger),
            priority=job.priority,
            depth=context.depth,
            also=also,
        )
        try:
            await self._safety.check_incoming(trigger)
        except Blocked as blocked:
            raise JobSkipped(blocked.reason) from None
        started = asyncio.get_running_loop().time()
        try:
            reply = await self._responder.reply(request)
        except ResponderError as error:
            self._count_usage(job, error.tokens_in, error.tokens_out)
            raise JobFailed(error.reason) from None
        self._count_usage(job, reply.tokens_in, reply.tokens_out)
        self._note_generation(job.bot, asyncio.get_running_loop().time() - started)
        address: str | list[str] | None = None
        if also:
            address = [_address(line) for line in request.messages]
        elif job.priority is not Priority.NORMAL:
            address = _address(trigger)
        try:
            text = shape_reply(
                reply.text, bot=job.bot, address=address, max_chars=self._settings.max_reply_chars
            )
        except EmptyReplyError:
            raise JobFailed("empty reply") from None
        try:
            await self._safety.check_reply(job.bot, request.persona, text)
        except Blocked as blocked:
            raise JobSkipped(blocked.reason) from None
        job.phase = Phase.SENDING
        text, message_id = await self._send_with_retries(job, text, trigger.id, context.depth)
        job.result = text
        job.result_id = message_id

    async def _send_with_retries(
        self, job: Job, text: str, reply_to: str, depth: int
    ) -> tuple[str, str]:
        """Send (through the limiter, if any): the text that went out and its message id.

        A refusal the sink says is worth retrying (`SendError.retry_after`: a rate limit,
        the platform briefly unreachable) is tried again after that wait, at most
        `send_retries` more times, each attempt taking a limiter slot like any send.
        """
        retries = self._settings.send_retries
        while True:
            try:
                return await self._send_once(job, text, reply_to, depth)
            except SendError as error:
                if error.retry_after is None or retries <= 0:
                    raise JobFailed(error.reason) from None
                retries -= 1
                wait = error.retry_after
            loop = asyncio.get_running_loop()
            job.send_wait_until = loop.time() + wait  # the dashboard shows the wait
            await asyncio.sleep(wait)
            job.send_wait_until = None

    async def _send_once(self, job: Job, text: str, reply_to: str, depth: int) -> tuple[str, str]:
        limiter = self._limiter
        if limiter is not None:
            # May wait for the bot's send window; the job shows as sending, with the wait.
            text = await self._acquire(job, text)
        try:
            job.check_live()
        except JobFailed:
            if limiter is not None:
                limiter.release(job.bot, text)  # nothing went out
            raise
        outgoing = self._echoes.sending(job.bot, text, depth) if self._sink.echoes else None
        try:
            message_id = await self._sink.send(job.bot, text, reply_to=reply_to)
        except BaseException:
            if outgoing is not None:
                self._echoes.failed(outgoing)
            raise
        finally:
            if limiter is not None:
                limiter.sent(job.bot, text)  # counted even when it failed: it may have landed
        if outgoing is not None:
            self._echoes.sent(outgoing, message_id)
        return text, message_id

    async def _acquire(self, job: Job, text: str) -> str:
        """The limiter's go-ahead, timed: the journal reports the wait as `send_wait`."""
        assert self._limiter is not None
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            return await self._limiter.acquire(job.bot, text, on_wait=_wait_until(job))
        finally:
            job.send_wait = loop.time() - began

    def _on_job(self, event: JobEvent, job: Job) -> None:
        if event is not JobEvent.FINISHED or job.outcome is not Outcome.SENT:
            return
        if job.priority is Priority.HIGH:
            self.counts.mentions_answered += 1
        if not self._sink.echoes:
            depth = job.context.depth
            echo = ChatMessage(
                id=job.result_id or f"reply-{job.id}",
                user=job.bot,
                text=job.result,
                timestamp=self._clock(),
                is_bot=True,
                depth=depth,
            )
            self.handle(echo)

    # ------------------------------------------------------------ raid mode
    def _coalesce(self, job: Job) -> tuple[ChatMessage, ...]:
        """Carry waiting mentions into this reply when they would miss `ack_target`.

        The limiter forecasts when each of the bot's next messages could go out. Only
        when the send window itself would push a waiting mention past `ack_target` (one
        message each) does this reply take the oldest waiting mentions (in the queue's
        fair order), as many as are needed to get back on track and as fit in one message
        with every name in it. A bot within its send budget never merges, even when busy:
        what it lacks is concurrency (raise `per_bot_concurrency`), not messages.
        """
        target = self._settings.ack_target
        if job.priority is not Priority.HIGH or self._limiter is None or not target:
            return ()
        waiting = [
            other
            for other in self.scheduler.waiting_jobs(job.bot, Priority.HIGH)
            if other.viewer is not None
        ]
        if not waiting:
            return ()
        ahead = sum(  # the bot's other replies still to be sent take slots first
            1
            for other in self.scheduler.running_jobs()
            if other.bot == job.bot and other is not job and other.result is None
        )
        times = self._limiter.send_times(job.bot, ahead + 1 + len(waiting))
        generation = self._generation.get(job.bot, 1.0)
        soonest = asyncio.get_running_loop().time() + generation

        def late(remaining: list[Job]) -> bool:
            """Would the send window make one of these miss a deadline it could still meet?"""
            return any(
                times[ahead + 1 + i] + generation > other.created_at + target >= soonest
                for i, other in enumerate(remaining)
            )

        if not late(waiting):
            return ()
        room = self._settings.max_reply_chars - MIN_TEXT_CHARS
        room -= names_length([_address(job.context.message)])
        chosen: list[Job] = []
        for other in waiting[:MAX_CARRIED]:
            cost = names_length([_address(other.context.message)])
            if cost > room:
                break
            chosen.append(other)
            room -= cost
            if not late(waiting[len(chosen) :]):
                break  # just enough: the rest get replies of their own in time
        picked = set(chosen)
        carried = self.scheduler.carry(job, len(chosen), accept=picked.__contains__)
        return tuple(other.context.message for other in carried)

    def _is_stale(self, job: Job) -> bool:
        """A random or bot-to-bot reply that waited in the queue longer than `max_age`."""
        max_age = self._settings.max_age
        waited = (job.started_at or job.created_at) - job.created_at
        return bool(max_age) and job.priority is not Priority.HIGH and waited > max_age

    def _note_generation(self, bot: str, seconds: float) -> None:
        """A moving average of how long replies take to write (raid mode's forecast)."""
        previous = self._generation.get(bot)
        self._generation[bot] = seconds if previous is None else 0.7 * previous + 0.3 * seconds

    # -------------------------------------------------------------- helpers
    def _count_usage(self, job: Job, tokens_in: int, tokens_out: int) -> None:
        """Tokens count whether or not the reply is usable: the provider bills them."""
        if tokens_in or tokens_out:
            job.tokens_in += tokens_in
            job.tokens_out += tokens_out
            spent = self._usage[job.bot]
            self._usage[job.bot] = BotUsage(
                spent.tokens_in + tokens_in, spent.tokens_out + tokens_out
            )

    def _recent(self, excluding: ChatMessage) -> tuple[ChatMessage, ...]:
        lines = [line for line in self._history if line is not excluding]
        limit = self._settings.context_lines
        return tuple(lines[-limit:]) if limit else ()

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)


def _wait_until(job: Job) -> Callable[[float | None], None]:
    """Shows a job's wait for the send window on the job (for the dashboard)."""

    def show(until: float | None) -> None:
        job.send_wait_until = until

    return show


def _address(message: ChatMessage) -> str:
    """How to @ the author: their display name when it is just their login re-cased."""
    name = message.display_name
    return name if name and name.lower() == message.user else message.user
