"""Replay of a recorded chat log, as a finite chat source.

A line at log time `t` plays `(t - start) / speed` seconds after the replay begins (the
log is read and checked beforehand by `botdeck.chat.replay_log`); the order is kept.
Its text is cut to `MAX_LINE_CHARS` for display and the journal, after the mentions of
our bots were found on the whole line.
Lines by one of the configured bots come in as that bot's own lines, as they would from
Twitch; event lines (a moderator's action, chat settings) come in as those events. The
source ends after the last line, or when the router drains (`stop_playing`): a
rehearsal's `--duration` covers that much of the log, and the lines after it would only
be journaled with their replies refused (`skipped: draining`), as if they were missed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable

from botdeck.chat.base import ChatSource
from botdeck.chat.replay_log import MAX_GAP, ReplayLine, ReplayLog
from botdeck.core.mentions import MentionFinder
from botdeck.core.text import cut_text
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus


class ReplayChat(ChatSource):
    """Plays a checked log at its own pace divided by `speed`; ends after the last line."""

    def __init__(
        self,
        log: ReplayLog,
        *,
        bots: Iterable[str] = (),
        speed: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError(f"speed must be > 0, got {speed}")
        self.log = log
        self._bots = frozenset(bot.lower() for bot in bots)
        self._mentions = MentionFinder(self._bots)
        self._speed = speed
        self._clock = clock
        self.played = 0
        self._connection = ConnectionState(ConnectionStatus.REPLAY)
        self._stopped = False
        self._waking: asyncio.Future[None] | None = None  # the wait for the next line

    @property
    def connection(self) -> ConnectionState:
        return self._connection

    @property
    def notices(self) -> tuple[str, ...]:
        """What was left out of the log, for the dashboard and the summary."""
        log = self.log
        parts = [f"{log.skipped:,} unusable lines skipped"] if log.skipped else []
        if log.reordered:
            parts.append("lines out of time order played in time order")
        if log.gaps:
            parts.append(f"silences over {MAX_GAP:g} s shortened")
        if not parts:
            return ()
        return (f"replay {log.path.name}: {'; '.join(parts)} (see the log)",)

    def stop_playing(self) -> None:
        """Play no more lines: the iteration ends now (at the wait for the next line)."""
        self._stopped = True
        if self._waking is not None and not self._waking.done():
            self._waking.set_result(None)

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        loop = asyncio.get_running_loop()
        begun = loop.time()
        origin, speed = self.log.start, self._speed
        for line in self.log.lines:
            wait = begun + (line.at - origin) / speed - loop.time()
            if wait > 0 and not self._stopped:
                await self._sleep(loop, wait)
            if self._stopped:
                break
            self.played += 1
            yield line.event if line.event is not None else self._message(line)
        self._connection = ConnectionState(ConnectionStatus.ENDED)

    async def _sleep(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """`asyncio.sleep`, cut short by `stop_playing` (as cheap: one future, one timer)."""
        self._waking = waking = loop.create_future()
        timer = loop.call_later(seconds, _wake, waking)
        try:
            await waking
        finally:
            timer.cancel()
            self._waking = None

    def _message(self, line: ReplayLine) -> ChatMessage:
        text = cut_text(line.text)
        return ChatMessage(
            id=f"synthetic-{line.where}" if line.synthetic else f"replay-{line.where}",
            user=line.user,
            display_name=line.display_name,
            text=text,
            timestamp=self._clock(),
            # Mentions past the cut are still mentions: found on the whole line.
            mentions=tuple(self._mentions.find(line.text)) if text != line.text else (),
            is_bot=line.user in self._bots,
            badges=line.badges,
            emotes=line.emotes,
            synthetic=line.synthetic,
        )


def _wake(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)
