"""The send gate: while it is shut, no reply begins its send.

The operator pressed the emergency stop and is being asked to confirm: from the key on,
nothing more may leave, whatever the answer will be. Replies that reach their send wait
at the gate (their job timeout paused, as while a person reviews one); `y` stops them all,
`n` opens the gate and they go on in order.
"""

from __future__ import annotations

import asyncio


class SendGate:
    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()

    @property
    def shut(self) -> bool:
        return not self._open.is_set()

    def shut_now(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def passage(self) -> None:
        """Return at once while the gate is open; while shut, when it opens."""
        if not self._open.is_set():
            await self._open.wait()
