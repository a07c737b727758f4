"""Replay of a recorded chat log, as a finite chat source.

A line at log time `t` plays `(t - start) / speed` seconds after the replay begins (the
log is read and checked beforehand by `botdeck.chat.replay_log`); the order is kept.
Lines by one of the configured bots come in as that bot's own lines, as they would from
Twitch. The source ends after the last line.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable

from botdeck.chat.base import ChatSource
from botdeck.chat.replay_log import ReplayLine, ReplayLog
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus


class ReplayChat(ChatSource):
    """Plays a checked log at its own pace divided by `speed`; ends after the last line."""

    def __init__(
        self,
        log: ReplayLog,
        *,
        bots: Iterable[str] = (),
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError(f"speed must be > 0, got {speed}")
        self.log = log
        self._bots = frozenset(bot.lower() for bot in bots)
        self._speed = speed
        self._clock = clock
        self.played = 0
        self._connection = ConnectionState(ConnectionStatus.REPLAY)

    @property
    def connection(self) -> ConnectionState:
        return self._connection

    @property
    def notices(self) -> tuple[str, ...]:
        """What was left out of the log, for the dashboard and the summary."""
        if not self.log.warnings:
            return ()
        parts = [f"{self.log.skipped} unusable lines skipped"] if self.log.skipped else []
        if len(self.log.warnings) > self.log.skipped:
            parts.append("lines out of time order played in time order")
        return (f"replay {self.log.path.name}: {'; '.join(parts)} (see the log)",)

    async def __aiter__(self) -> AsyncIterator[ChatMessage]:
        loop = asyncio.get_running_loop()
        begun = loop.time()
        origin, speed = self.log.start, self._speed
        for line in self.log.lines:
            wait = begun + (line.at - origin) / speed - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.played += 1
            yield self._message(line)
        self._connection = ConnectionState(ConnectionStatus.ENDED)

    def _message(self, line: ReplayLine) -> ChatMessage:
        return ChatMessage(
            id=f"replay-{line.where}",
            user=line.user,
            display_name=line.display_name,
            text=line.text,
            timestamp=self._clock(),
            is_bot=line.user in self._bots,
        )
