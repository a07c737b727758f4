"""One bot's messages in Twitch's trailing send window, counted as the journal streams by.

A send at t counts during [t, t + window). The counter keeps only the sends still inside
the window (sends at the same time as one), so it holds a window's worth of them however
many the journal has: a bot within Twitch's limits has at most 100. A hostile journal
with more than `MAX_TIMES` distinct times in one window has them grouped by millisecond,
then by ten, and so on (each group leaves at its first send's time: the counts stay
exact, the edges move by less than the group). Sends out of time order count at the
latest time seen.
"""

from __future__ import annotations

from collections import deque

from botdeck.report.grid import Grid, StepMax

MAX_TIMES = 4_096  # distinct send times kept in one window


class SendWindow:
    """Messages in the window: its peak (first reached at), and per bin the most."""

    def __init__(self, window: float, grid: Grid) -> None:
        self.window = window
        self.count = 0
        self.peak = 0
        self.peak_at: float | None = None  # Unix seconds
        self.most = StepMax(grid)  # per grid bin, the most in the window during it
        self._grid = grid
        self._inside: deque[list[float]] = deque()  # [time, sends], oldest first
        self._group = 0.0  # seconds: sends within one group share an entry (0: same time)
        self._latest = 0.0

    def send(self, ts: float) -> None:
        ts = max(ts, self._latest)
        self._latest = ts
        self.leave_until(ts)
        inside = self._inside
        if inside and self._same(inside[-1][0], ts):
            inside[-1][1] += 1
        else:
            inside.append([ts, 1])
            if len(inside) > MAX_TIMES:
                self._regroup()
        self.count += 1
        self.most.set(self._grid.locate(ts), self.count)
        if self.count > self.peak:
            self.peak, self.peak_at = self.count, ts

    def leave_until(self, ts: float) -> None:
        """Sends whose window has closed by `ts` leave it (each at its own time)."""
        inside = self._inside
        while inside and inside[0][0] + self.window <= ts:
            at, sends = inside.popleft()
            self.count -= int(sends)
            self.most.set(self._grid.locate(at + self.window), self.count)

    def _same(self, first: float, ts: float) -> bool:
        group = self._group
        return ts <= first if not group else ts // group == first // group

    def _regroup(self) -> None:
        self._group = self._group * 10 or 0.001
        merged: deque[list[float]] = deque()
        for at, sends in self._inside:
            if merged and self._same(merged[-1][0], at):
                merged[-1][1] += sends
            else:
                merged.append([at, sends])
        self._inside = merged
        if len(merged) > MAX_TIMES:
            self._regroup()
