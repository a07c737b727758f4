"""An event loop whose clock jumps to the next timer whenever nothing is ready.

Sleeps cost no real time and their order is exact. `botdeck rehearse` runs offline
rehearsals on it, so an hour of replayed chat, with every reply delay, timeout and send
window as it would be live, takes seconds; the tests use it to assert exact times. Only
for code that does no real I/O while it waits: a jump never waits for a socket or a
thread (the offline responder and local sink do none).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self._base_resolution: float = self._clock_resolution
        # Called with the loop each time everything has settled, just before time jumps.
        self.on_settle: Callable[[], None] | None = None

    def time(self) -> float:
        return self._virtual_now

    def _run_once(self) -> None:
        if not self._ready and self._scheduled:  # type: ignore[attr-defined]
            pending = [h.when() for h in self._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
            due = min(pending, default=math.inf)
            if math.isinf(due) and pending:
                raise RuntimeError("virtual clock: every timer left is at infinity")
            if pending:
                if self.on_settle is not None:
                    self.on_settle()
                self._virtual_now = max(self._virtual_now, due)
                # asyncio runs the timers due before now + resolution. Past 2**24 s, adding
                # 1 ns no longer changes a float, the timer at `now` would never count as
                # due and the loop would spin: the resolution grows with the clock.
                self._clock_resolution = max(self._base_resolution, 2 * math.ulp(due))
        super()._run_once()  # type: ignore[misc]


def wall_clock(loop: asyncio.AbstractEventLoop, start: float | None = None) -> Callable[[], float]:
    """Unix time as the loop sees it: `start` (now) plus the loop's elapsed time, for the
    journal's timestamps on a virtual clock."""
    origin = time.time() if start is None else start
    began = loop.time()
    return lambda: origin + (loop.time() - began)


def run_virtual(
    main: Coroutine[Any, Any, T],
    on_settle: Callable[[], None] | None = None,
    *,
    loop: VirtualTimeLoop | None = None,
) -> T:
    """Run `main` to completion on a virtual-time loop (a fresh one unless given), then
    close it as `asyncio.run` would."""
    loop = loop or VirtualTimeLoop()
    loop.on_settle = on_settle
    try:
        return loop.run_until_complete(main)
    finally:
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(_settle(leftovers))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _settle(tasks: set[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
