"""Raid mode: when the send window would make waiting mentions late, answer several at once.

A viewer-role account may send 20 messages per 30 s, so a raid of 100 mentions answered
one by one takes two and a half minutes. When a mention job starts writing, the planner
asks the limiter when the bot's next messages could go out; if the window itself would
push a waiting mention past `ack_target` (while one reply each could still meet it), this
reply carries the oldest waiting mentions (fair order) until the rest fit, at most
`MAX_CARRIED`, and only as many as leave room for words after every name.

A raid the platform announces (`channel.raid`, before its viewers arrive) arms raid mode
(`arm`): for `ARMED_FOR` seconds the forecast also counts the mentions still to come (as
many as the raid brought viewers, shared between the bots, less those already here), so
merging starts with the first mention instead of after the window is spent on the first
twenty. The raid's greeting goes first: a mention reply that is ready waits for it to end
(at most `GREETING_WAIT`) before its send. Reactions (a greeting, a paid question) are
never merged, either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass, field

from botdeck.ai.shaping import MIN_TEXT_CHARS, names_length
from botdeck.core.jobs import Job
from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority, ReplyContext
from botdeck.model.snapshot import RaidSnapshot

MAX_CARRIED = 12  # viewers one merged reply may answer besides its own (readability)
ARMED_FOR = 90.0  # seconds after a raid's event that its wave is planned for
GREETING_WAIT = 10.0  # the longest a mention reply waits for the raid's greeting to go first


@dataclass(slots=True)
class _Raid:
    channel: str
    viewers: int
    since: float  # loop time
    mentions: int = 0  # mentions of the bots since
    greeting: Job[ReplyContext] | None = None
    greeted: asyncio.Event = field(default_factory=asyncio.Event)


def is_mention(job: Job[ReplyContext]) -> bool:
    """A viewer's mention (raid mode's business), not a reaction or a bot's line."""
    return job.priority is Priority.HIGH and job.viewer is not None and not job.context.reaction


def address(message: ChatMessage) -> str:
    """How to @ the author: their display name when it is just their login re-cased."""
    name = message.display_name
    return name if name and name.lower() == message.user else message.user


class RaidPlanner:
    def __init__(
        self,
        scheduler: Scheduler[ReplyContext],
        limiter: SendLimiter | None,
        *,
        ack_target: float | None,
        max_reply_chars: int,
    ) -> None:
        self._scheduler = scheduler
        self._limiter = limiter
        self._ack_target = ack_target
        self._max_chars = max_reply_chars
        self._generation: dict[str, float] = {}  # seconds a reply takes to write, per bot
        self._raid: _Raid | None = None

    # ------------------------------------------------------------- a raid announced
    def arm(self, channel: str, viewers: int, now: float) -> None:
        """A raid arrived (its viewers follow): plan for their mentions from now on."""
        self._raid = _Raid(channel, max(0, viewers), now)

    def armed(self, now: float) -> bool:
        raid = self._raid
        return raid is not None and now < raid.since + ARMED_FOR

    def noted_mention(self, now: float) -> None:
        """A viewer mentioned a bot: one fewer of the raid's mentions still to come."""
        if self._raid is not None and self.armed(now):
            self._raid.mentions += 1

    def expected(self, now: float) -> int:
        """Mentions of one bot the armed raid may still bring (0 when not armed)."""
        raid = self._raid
        if raid is None or not self.armed(now):
            return 0
        bots = max(1, len(self._scheduler.bots))
        return math.ceil(max(0, raid.viewers - raid.mentions) / bots)

    def greet(self, job: Job[ReplyContext]) -> None:
        """The raid's greeting: mention replies ready before it has ended wait for it."""
        if self._raid is not None:
            self._raid.greeting = job
            if job.done:
                self._raid.greeted.set()

    def job_ended(self, job: Job[ReplyContext]) -> None:
        raid = self._raid
        if raid is not None and raid.greeting is job:
            raid.greeted.set()

    async def after_greeting(self, job: Job[ReplyContext]) -> None:
        """Before a mention reply's send: let the raid's greeting go first (bounded)."""
        raid = self._raid
        if raid is None or raid.greeting is None or raid.greeted.is_set() or not is_mention(job):
            return
        # A greeting held for review or waiting out the AI does not hold the mentions up.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(raid.greeted.wait(), GREETING_WAIT)

    def snapshot(self, now: float) -> RaidSnapshot | None:
        """The raid for the header while raid mode plans for it."""
        raid = self._raid
        if raid is None or not self.armed(now):
            return None
        return RaidSnapshot(raid.channel, raid.viewers, now - raid.since, raid.mentions)

    def note_generation(self, bot: str, seconds: float) -> None:
        """A moving average of how long replies take to write (the forecast uses it)."""
        previous = self._generation.get(bot)
        self._generation[bot] = seconds if previous is None else 0.7 * previous + 0.3 * seconds

    def carry(self, job: Job[ReplyContext]) -> tuple[ChatMessage, ...]:
        """The lines of the waiting mentions this reply should answer too (often none).

        A bot within its send budget never merges, even when busy: what it lacks then is
        concurrency (raise `per_bot_concurrency`), not messages.
        """
        target, limiter = self._ack_target, self._limiter
        if not is_mention(job) or limiter is None or not target:
            return ()
        scheduler = self._scheduler
        waiting = [
            other for other in scheduler.waiting_jobs(job.bot, Priority.HIGH) if is_mention(other)
        ]
        if not waiting:
            return ()
        ahead = sum(  # the bot's other replies still to be sent take slots first
            1
            for other in scheduler.running_jobs()
            if other.bot == job.bot and other is not job and other.result is None
        )
        now = asyncio.get_running_loop().time()
        coming = self.expected(now)  # an armed raid's mentions still to arrive
        times = limiter.send_times(job.bot, ahead + 1 + len(waiting) + coming)
        generation = self._generation.get(job.bot, 1.0)
        soonest = now + generation

        def late(remaining: list[Job[ReplyContext]]) -> bool:
            """Would the send window make one of these (or of the mentions still to come)
            miss a deadline it could still meet?"""
            if coming and times[ahead + len(remaining) + coming] + generation > now + target:
                return True
            return any(
                times[ahead + 1 + i] + generation > other.created_at + target >= soonest
                for i, other in enumerate(remaining)
            )

        if not late(waiting):
            return ()
        room = self._max_chars - MIN_TEXT_CHARS - names_length([address(job.context.message)])
        chosen: list[Job[ReplyContext]] = []
        for other in waiting[:MAX_CARRIED]:
            cost = names_length([address(other.context.message)])
            if cost > room:
                break
            chosen.append(other)
            room -= cost
            if not late(waiting[len(chosen) :]):
                break  # just enough: the rest get replies of their own in time
        picked = set(chosen)
        carried = scheduler.carry(job, len(chosen), accept=picked.__contains__)
        return tuple(other.context.message for other in carried)
