"""A send limiter for tests: one message per `gap` seconds per bot, in FIFO order.

It speaks the `SendLimiter` protocol (and accepts the `on_wait` callback and `release`
that a fuller limiter may use), with times from the running loop, so it works on the
virtual clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from botdeck.model.chat import Role
from botdeck.model.snapshot import SendBudget


class SpacingLimiter:
    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._next: dict[str, float] = {}
        self.acquired: list[tuple[str, float]] = []

    async def acquire(
        self, bot: str, text: str, *, on_wait: Callable[[float | None], None] | None = None
    ) -> str:
        loop = asyncio.get_running_loop()
        at = max(loop.time(), self._next.get(bot, 0.0))
        self._next[bot] = at + self.gap
        if at > loop.time():
            if on_wait is not None:
                on_wait(at)
            await asyncio.sleep(at - loop.time())
            if on_wait is not None:
                on_wait(None)
        self.acquired.append((bot, loop.time()))
        return text

    def sent(self, bot: str, text: str, *, delivered: bool = True) -> None:
        pass

    def release(self, bot: str, text: str) -> None:
        pass

    def send_times(self, bot: str, count: int) -> list[float]:
        first = max(asyncio.get_running_loop().time(), self._next.get(bot, 0.0))
        return [first + i * self.gap for i in range(count)]

    def budget(self, bot: str) -> SendBudget:
        return SendBudget(used=0, limit=1, window=self.gap, next_free_in=0.0)

    def observe_role(self, bot: str, role: Role) -> None:
        pass

    def role(self, bot: str) -> Role:
        return Role.VIEWER

    def set_slow_mode(self, seconds: float) -> None:
        self.gap = max(self.gap, seconds)
