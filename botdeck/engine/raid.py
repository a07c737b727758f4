"""Raid mode: when the send window would make waiting mentions late, answer several at once.

A viewer-role account may send 20 messages per 30 s, so a raid of 100 mentions answered
one by one takes two and a half minutes. When a mention job starts writing, the planner
asks the limiter when the bot's next messages could go out; if the window itself would
push a waiting mention past `ack_target` (while one reply each could still meet it), this
reply carries the oldest waiting mentions (fair order) until the rest fit, at most
`MAX_CARRIED`, and only as many as leave room for words after every name.
"""

from __future__ import annotations

import asyncio

from botdeck.ai.shaping import MIN_TEXT_CHARS, names_length
from botdeck.core.jobs import Job
from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority, ReplyContext

MAX_CARRIED = 12  # viewers one merged reply may answer besides its own (readability)


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
        if job.priority is not Priority.HIGH or limiter is None or not target:
            return ()
        scheduler = self._scheduler
        waiting = [
            other
            for other in scheduler.waiting_jobs(job.bot, Priority.HIGH)
            if other.viewer is not None
        ]
        if not waiting:
            return ()
        ahead = sum(  # the bot's other replies still to be sent take slots first
            1
            for other in scheduler.running_jobs()
            if other.bot == job.bot and other is not job and other.result is None
        )
        times = limiter.send_times(job.bot, ahead + 1 + len(waiting))
        generation = self._generation.get(job.bot, 1.0)
        soonest = asyncio.get_running_loop().time() + generation

        def late(remaining: list[Job[ReplyContext]]) -> bool:
            """Would the send window make one of these miss a deadline it could still meet?"""
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
