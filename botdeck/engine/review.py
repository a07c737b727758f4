"""Review mode: a written reply waits for the operator before it may be sent.

The pipeline hands each reply of a reviewed bot to `ReviewDesk.review`, which holds it
(phase `review`) until the operator approves, edits or rejects it, or `[review] timeout`
passes and `on_timeout` decides. The job keeps its slots meanwhile: the bot writes no
further replies that would only queue up behind the operator, and raid mode counts the
held reply among the bot's coming sends. The job timeout does not run while a person is
deciding. Edited text is the pipeline's to shape and check again (`ReplyPipeline.review`).

Turning review off for a bot releases its held replies: approved by `review_off`, they
pass the safety gate again (nobody read them) and go on to their send.

When the operator quits, nobody is left to decide: `settle` applies `on_timeout` at once to
every held reply and to every later one (`by` = "quit"), so a quit with review mode on
drains in seconds, not `timeout` per pair of held replies. `reopen` undoes it (the
operator started again instead).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from botdeck.core.jobs import Job
from botdeck.engine.events import EventHub
from botdeck.model.events import BotChanged, Reviewed
from botdeck.model.jobs import Phase, ReplyContext
from botdeck.model.review import OPERATOR, REVIEW_OFF, TIMEOUT, PendingReview, Verdict

ReplyJob = Job[ReplyContext]
EVERY_BOT = "*"


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """`[review]`: which bots' replies wait for the operator, and for how long."""

    bots: frozenset[str]  # "*" for every bot
    timeout: float
    send_on_timeout: bool  # `on_timeout = "send"`; else the reply is rejected


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    by: str = OPERATOR
    text: str | None = None  # the operator's text, for EDITED
    recheck: bool = False  # nobody read it (review was turned off): the safety gate again


@dataclass(eq=False, slots=True)
class _Held:
    job: ReplyJob
    text: str
    deadline: float  # loop time
    note: str | None
    decided: asyncio.Future[Decision] = field(repr=False)


class ReviewDesk:
    def __init__(self, bots: Iterable[str], settings: ReviewSettings, events: EventHub) -> None:
        self._bots = tuple(bots)
        self._settings = settings
        self._events = events
        every = EVERY_BOT in settings.bots
        self._reviewing = set(self._bots) if every else set(settings.bots) & set(self._bots)
        self._held: dict[int, _Held] = {}  # job id -> held reply, oldest first
        self._settled_by: str | None = None  # set: nobody decides any more (see `settle`)

    # ------------------------------------------------------------- mode
    def wants(self, bot: str) -> bool:
        return bot in self._reviewing

    @property
    def reviewing(self) -> frozenset[str]:
        return frozenset(self._reviewing)

    def set_review(self, bot: str, on: bool) -> bool:
        """Review this bot's replies from now on (or not); False if nothing changed.
        Turning it off releases the bot's held replies to be sent as if review had never
        held them: approved (by `review_off`), through the safety gate again, since nobody
        read them."""
        if bot not in self._bots:
            raise ValueError(f"unknown bot {bot!r}")
        if (bot in self._reviewing) == on:
            return False
        if on:
            self._reviewing.add(bot)
        else:
            self._reviewing.discard(bot)
            for held in self._held.values():
                if held.job.bot == bot and not held.decided.done():
                    held.decided.set_result(Decision(Verdict.APPROVED, REVIEW_OFF, recheck=True))
        self._events.publish(BotChanged(bot))
        return True

    # ------------------------------------------------------------ holding
    def settled(self) -> Decision | None:
        """The decision every reply gets now that nobody reviews (see `settle`), or None."""
        if self._settled_by is None:
            return None
        return Decision(self._on_timeout(), self._settled_by)

    def rejects_unseen(self, bot: str) -> Decision | None:
        """The rejection a reply of this bot would get without being read (settled with
        `on_timeout = "reject"`): no need to write it. None: write it."""
        settled = self.settled() if self.wants(bot) else None
        return settled if settled is not None and settled.verdict is Verdict.REJECTED else None

    def settle(self, by: str) -> int:
        """Nobody will decide any more: `on_timeout`'s verdict for every held reply now,
        and for every reply that comes to review from now on. How many were held."""
        self._settled_by = by
        decided = 0
        for held in self._held.values():
            if not held.decided.done():
                held.decided.set_result(Decision(self._on_timeout(), by))
                decided += 1
        return decided

    def reopen(self) -> None:
        """Replies wait for the operator again (after `settle`)."""
        self._settled_by = None

    async def review(self, job: ReplyJob, text: str, note: str | None = None) -> Decision:
        """Hold `text` until someone decides; the decision (the timeout's, if nobody)."""
        if (settled := self.settled()) is not None:
            return settled
        loop = asyncio.get_running_loop()
        now = loop.time()
        held = _Held(job, text, now + self._settings.timeout, note, loop.create_future())
        self._held[job.id] = held
        job.phase = Phase.REVIEW
        job.hold_deadline(now)
        timer = loop.call_later(self._settings.timeout, self._expire, held)
        try:
            return await held.decided
        finally:
            timer.cancel()
            self._held.pop(job.id, None)
            job.release_deadline(loop.time())

    def decide(self, job_id: int, verdict: Verdict, text: str | None = None) -> bool:
        """The operator's verdict on a held reply; False if it is not held (any more)."""
        held = self._held.get(job_id)
        if held is None or held.decided.done():
            return False
        if verdict is Verdict.EDITED and text is None:
            raise ValueError("an edit needs its text")
        held.decided.set_result(Decision(verdict, OPERATOR, text))
        return True

    def announce(self, job: ReplyJob, decision: Decision, edited: str | None = None) -> None:
        """The decision took effect (the journal's `reviewed`)."""
        self._events.publish(Reviewed(job, decision.verdict, decision.by, edited))

    def pending(self) -> list[PendingReview]:
        """Replies waiting for a verdict, oldest first."""
        now = asyncio.get_running_loop().time()
        on_timeout = self._on_timeout()
        views = []
        for held in self._held.values():
            if held.decided.done():
                continue
            message = held.job.context.message
            views.append(
                PendingReview(
                    job=held.job.id,
                    bot=held.job.bot,
                    viewer="" if message.is_bot else message.author,
                    line=message.text,
                    text=held.text,
                    seconds_left=max(0.0, held.deadline - now),
                    on_timeout=on_timeout,
                    note=held.note,
                )
            )
        return views

    def __len__(self) -> int:
        return len(self._held)

    def _on_timeout(self) -> Verdict:
        return Verdict.APPROVED if self._settings.send_on_timeout else Verdict.REJECTED

    def _expire(self, held: _Held) -> None:
        if not held.decided.done():
            held.decided.set_result(Decision(self._on_timeout(), TIMEOUT))
