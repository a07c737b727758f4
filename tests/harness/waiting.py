"""Waiting without sleeping-and-hoping: poll a condition until it holds, or fail after a
deadline saying what was awaited.

`until` is for coroutines (on any loop: its deadline is the loop's clock, so on the
virtual clock it is virtual seconds); `wait_for` is for plain code (a subprocess, a
terminal, a file being written). The dashboard's own (`dashboard.wait_until`) waits
through Textual's pilot instead.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(
    predicate: Callable[[], T | Awaitable[T | None] | None],
    within: float = 10.0,
    what: str = "condition",
    *,
    every: float = 0.05,
) -> T:
    """Poll `predicate` (plain or async) every `every` s until it returns something true,
    and return that; fail after `within` s of the running loop's clock."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(every)


def wait_for(
    predicate: Callable[[], T | None],
    within: float,
    what: str = "condition",
    *,
    every: float = 0.05,
) -> T:
    """`until` for plain code: poll every `every` s of the wall clock, blocking."""
    deadline = time.monotonic() + within
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        time.sleep(every)
    return value
