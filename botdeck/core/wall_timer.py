"""A callback when the wall clock reaches a time: a timeout's end, a follow old enough.

The loop's timers run on a monotonic clock, which drifts from the wall clock over hours
(a laptop suspended, NTP stepping the clock) while Twitch dates things in wall time. So
the alarm looks at the wall clock it is given at least every `every` seconds and fires
once it has reached `at` (the clock may also be a rehearsal's, or a test's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class WallAlarm:
    def __init__(
        self,
        wall: Callable[[], float],
        at: float,
        callback: Callable[[], None],
        *,
        every: float = 1.0,
    ) -> None:
        self._wall = wall
        self.at = at
        self._callback = callback
        self._every = every
        self._handle: asyncio.TimerHandle | None = None
        self._look()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _look(self) -> None:
        self._handle = None
        left = self.at - self._wall()
        if left <= 0:
            self._callback()
            return
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(min(left, self._every), self._look)
