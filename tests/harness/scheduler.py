"""A scheduler for tests: job bodies that sleep (on the virtual clock: exactly)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler

Body = Callable[[Job[Any]], Awaitable[None]]


def sleeping(seconds: float) -> Body:
    """A job body that takes `seconds`."""

    async def body(job: Job[Any]) -> None:
        await asyncio.sleep(seconds)

    return body


def make_scheduler(
    bots: Sequence[str] = ("a", "b"), g: int = 5, b: int = 2, body: Body | None = None, **kw: Any
) -> Scheduler[Any]:
    """`g` jobs at a time overall, `b` per bot; each job runs `body` (1 s of sleep)."""
    return Scheduler(bots, global_limit=g, per_bot_limit=b, execute=body or sleeping(1), **kw)
