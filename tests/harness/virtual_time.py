"""The virtual-time loop for tests (it lives in `botdeck.core.virtual_time`, which
offline rehearsals run on): sleeps are free and exact, so timing claims ("starts at
once", "finishes at t=4") can be asserted precisely without sleeping-and-hoping."""

from __future__ import annotations

import asyncio

from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual

__all__ = ["VirtualTimeLoop", "now", "run_virtual"]


def now() -> float:
    return asyncio.get_running_loop().time()
