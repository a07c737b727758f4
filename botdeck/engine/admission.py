"""Admission: a random or bot-to-bot reply is taken only if it can still be sent in time.

A viewer-role bot may send 20 messages per 30 s. At 100 chat lines a second and a 25%
reply chance, five bots would be offered 25 random replies a second against about three
they can send: the queue would fill with replies that go stale before their turn, and a
drain would spend minutes skipping them. So before a random or bot-to-bot reply becomes a
job, the send limiter forecasts when the bot's next message after everything it already
has queued could go out (the forecast raid mode uses; or, when the bot's concurrency is the tighter
limit, when a slot frees, counting each job ahead as long as this one's delay), plus the
reply's delay; past `max_age`, the line simply
gets no reply from that bot, and the card counts it. Mentions are never refused here.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping

from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.model.jobs import ReplyContext


class SendWindowAdmission:
    def __init__(
        self,
        scheduler: Scheduler[ReplyContext],
        limiter: SendLimiter | None,
        max_age: float | None,
    ) -> None:
        self._scheduler = scheduler
        self._limiter = limiter
        self._max_age = max_age
        self._passed: Counter[str] = Counter()

    @property
    def passed(self) -> Mapping[str, int]:
        """Random or bot-to-bot replies each bot did not take, its send window being full."""
        return self._passed

    def admits(self, bot: str, delay: float) -> bool:
        """Would a reply with this delay go out before it is `max_age` old?"""
        limiter, max_age = self._limiter, self._max_age
        if limiter is None or not max_age:
            return True
        ahead, at_once = self._scheduler.load(bot)
        now = asyncio.get_running_loop().time()
        window = limiter.send_times(bot, ahead + 1)[-1]  # when the window lets it out
        turns = now + (ahead // at_once) * delay  # when a slot is free for it, roughly
        if max(window, turns) + delay - now <= max_age:
            return True
        self._passed[bot] += 1
        return False
