"""Timers: a bot's line every `interval` seconds, by Nightbot's rule.

A timer speaks when its interval has passed since it last spoke and the viewers said at
least `min_lines` chat lines since then (a quiet chat is not talked over); while the
stream is offline (as the platform said), the router is not running, or the timer's bot
cannot talk (a chat mode holds it, it is muted or paused), it waits and looks again
every `RECHECK` seconds. A timer's line is a job like any reply (`Reactions.timer_job`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from botdeck.core.clock import loop_time
from botdeck.engine.reactions import TimerSettings

log = logging.getLogger(__name__)

RECHECK = 30.0  # seconds between looks while a timer may not speak


class Timers:
    def __init__(
        self,
        timers: Sequence[TimerSettings],
        *,
        fire: Callable[[TimerSettings, int, int], object],
        may_talk: Callable[[str], bool],
        live: Callable[[], bool | None],
        lines: Callable[[], int],
        running: Callable[[], bool],
        now: Callable[[], float] = loop_time,
    ) -> None:
        """`fire(timer, index, number)` makes its line; `may_talk(bot)` ("any" and
        "rotate": any bot); `lines()` counts the viewers' chat lines so far."""
        self._timers = tuple(timers)
        self._fire = fire
        self._may_talk = may_talk
        self._live = live
        self._lines = lines
        self._running = running
        self._now = now
        self.fired = [0] * len(self._timers)

    def paused(self, timer: TimerSettings) -> str | None:
        """Why the timer may not speak now, whatever its interval (None: it may)."""
        if self._live() is False:
            return "the stream is offline"
        if not self._running():
            return "the router is not running"
        if not self._may_talk(timer.bot):
            return f"{timer.bot} cannot talk"
        return None

    async def run(self) -> None:
        """Until cancelled (the run's chat ends)."""
        if not self._timers:
            return
        start = self._now()
        due = [start + timer.interval for timer in self._timers]
        said = [self._lines()] * len(self._timers)  # lines counted when each last spoke
        while True:
            await asyncio.sleep(max(0.0, min(due) - self._now()))
            now = self._now()
            for index, timer in enumerate(self._timers):
                if now < due[index]:
                    continue
                lines = self._lines()
                if self.paused(timer) is None and lines - said[index] >= timer.min_lines:
                    self.fired[index] += 1
                    self._fire(timer, index, self.fired[index])
                    said[index] = lines
                    due[index] = now + timer.interval
                else:
                    due[index] = now + min(timer.interval, RECHECK)
