"""Answered mentions as dots on the latency chart, at most a fixed number of them.

Every mention is a dot while there are at most `POINTS_EXACT`. Past that, the journal's
time is cut into at most `POINT_BINS` slices (a `Grid` of its own, widening twofold) and
each bot keeps its slowest mention in each slice: the dots a reader looks for (the late
ones) stay, and the page stays small.
"""

from __future__ import annotations

from botdeck.report.grid import Grid
from botdeck.report.model import LatencyPoint

POINTS_EXACT = 1_000
POINT_BINS = 512


class Points:
    def __init__(self) -> None:
        self.grid = Grid(POINT_BINS, 2)
        self.grid.attach(self)
        self._all: list[tuple[float, float, str]] | None = []
        self._slowest: dict[tuple[int, str], tuple[float, float]] = {}  # (bin, bot) -> (ts, s)

    @property
    def exact(self) -> bool:
        return self._all is not None

    def add(self, ts: float, latency: float, bot: str) -> None:
        if self._all is not None:
            self._all.append((ts, latency, bot))
            if len(self._all) <= POINTS_EXACT:
                return
            kept, self._all = self._all, None
            for point in kept:
                self._keep(*point)
            return
        self._keep(ts, latency, bot)

    def _keep(self, ts: float, latency: float, bot: str) -> None:
        key = (self.grid.locate(ts)[0], bot)
        held = self._slowest.get(key)
        if held is None or latency > held[1]:
            self._slowest[key] = (ts, latency)

    def merge(self, factor: int) -> None:
        merged: dict[tuple[int, str], tuple[float, float]] = {}
        for (index, bot), point in self._slowest.items():
            key = (index // factor, bot)
            held = merged.get(key)
            if held is None or point[1] > held[1]:
                merged[key] = point
        self._slowest = merged

    def points(self, first: float) -> list[LatencyPoint]:
        """In order of sending, times from `first` (the journal's first event)."""
        if self._all is not None:
            chosen = self._all
        else:
            chosen = sorted((ts, s, bot) for (_, bot), (ts, s) in self._slowest.items())
        return [LatencyPoint(round(ts - first, 3), latency, bot) for ts, latency, bot in chosen]
