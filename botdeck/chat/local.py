"""The local sink: replies stay in this process (demo, rehearsal). It never echoes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from botdeck.chat.base import ChatSink


@dataclass(slots=True)
class LocalSink(ChatSink):
    echoes: bool = False
    sent: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        self.sent += 1
        return f"local-{next(self._ids)}"
