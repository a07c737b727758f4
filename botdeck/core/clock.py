"""The one clock every mechanism measures intervals with: the running loop's."""

from __future__ import annotations

import asyncio
import time


def loop_time() -> float:
    """The running event loop's time (virtual in rehearsals and tests); the monotonic
    clock when no loop runs (a summary after the run)."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()
