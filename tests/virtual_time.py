"""An asyncio loop whose clock jumps to the next timer whenever nothing is ready.

Sleeps cost no real time and their order is exact, so timing claims ("starts at once",
"finishes at t=4") can be asserted precisely without sleeping-and-hoping. Only for code
that does no real I/O: a jump never waits for a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        # Called with the loop each time everything has settled, just before time jumps.
        self.on_settle: Callable[[], None] | None = None

    def time(self) -> float:
        return self._virtual_now

    def _run_once(self) -> None:
        if not self._ready and self._scheduled:  # type: ignore[attr-defined]
            pending = [h.when() for h in self._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
            if pending:
                if self.on_settle is not None:
                    self.on_settle()
                self._virtual_now = max(self._virtual_now, min(pending))
        super()._run_once()  # type: ignore[misc]


def run_virtual(main: Coroutine[Any, Any, T], on_settle: Callable[[], None] | None = None) -> T:
    """Run `main` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    loop.on_settle = on_settle
    try:
        return loop.run_until_complete(main)
    finally:
        # Like asyncio.run: cancel what is left so nothing is destroyed while pending.
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(_settle(leftovers))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _settle(tasks: set[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)


def now() -> float:
    return asyncio.get_running_loop().time()
