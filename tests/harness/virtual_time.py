"""The virtual-time loop for tests (it lives in `botdeck.core.virtual_time`, which
offline rehearsals run on): sleeps are free and exact, so timing claims ("starts at
once", "finishes at t=4") can be asserted precisely without sleeping-and-hoping.

`ThreadsVirtualTimeLoop` is for code that hands work to a thread on the way, as the
OpenAI SDK does on its first request (it reads the platform with `asyncio.to_thread`):
the plain loop would jump to the next timer while the thread runs, and a 2 s deadline
would pass in no time at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual

__all__ = ["ThreadsVirtualTimeLoop", "VirtualTimeLoop", "now", "run_virtual"]

T = TypeVar("T")


def now() -> float:
    return asyncio.get_running_loop().time()


class ThreadsVirtualTimeLoop(VirtualTimeLoop):
    """A virtual-time loop whose clock stands still while work it handed to a thread
    (`run_in_executor`, `asyncio.to_thread`) is under way: it waits for the thread as an
    ordinary loop waits for a socket, then jumps again."""

    def __init__(self) -> None:
        super().__init__()
        self.in_threads = 0

    def run_in_executor(  # type: ignore[override]
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.in_threads += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: asyncio.Future[Any]) -> None:
        self.in_threads -= 1

    def _run_once(self) -> None:
        if self.in_threads:
            # The clock stands still; wait (really) for the thread's result or a socket.
            asyncio.SelectorEventLoop._run_once(self)  # type: ignore[attr-defined]
        else:
            super()._run_once()
