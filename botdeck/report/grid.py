"""Time in bins of fixed number: the report's series over a journal of any length.

A `Grid` counts seconds from the journal's first event in at most `capacity` bins. When
an event falls past the last bin, every bin widens `factor`-fold and the series on the
grid merge their bins to match, so a minute of chat and a year of it take the same
memory. The timeline's grid starts at 1 s bins and widens 60-fold (1 s, 1 min, 1 h, ...),
so the report's column width (`BUCKETS`: 1 s ... 1 day) is always a whole number of bins
and the columns come out exactly as if every event had been kept.
"""

from __future__ import annotations

import math
from typing import Protocol

BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
MAX_COLUMNS = 60  # a timeline never has more columns than this


class Merges(Protocol):
    def merge(self, factor: int) -> None: ...


class Grid:
    """Seconds from `origin` in bins of `width` (1 s to start), at most `capacity`."""

    def __init__(self, capacity: int, factor: int) -> None:
        self.capacity = capacity
        self.factor = factor
        self.width = 1.0
        self.origin: float | None = None
        self._series: list[Merges] = []

    def attach(self, series: Merges) -> None:
        self._series.append(series)

    def locate(self, ts: float) -> tuple[int, bool]:
        """The bin `ts` falls in, widening the bins until it fits; and whether `ts` is the
        bin's very beginning. Times before the origin count in the first bin."""
        if self.origin is None:
            self.origin = ts
        offset = ts - self.origin
        if offset <= 0:
            return 0, offset == 0
        index = int(offset // self.width)
        while index >= self.capacity:
            self.width *= self.factor
            for series in self._series:
                series.merge(self.factor)
            index = int(offset // self.width)
        return index, offset == index * self.width

    def column_width(self, span: float) -> float:
        """The timeline's column width for `span` seconds: the first of `BUCKETS` that
        fits it in `MAX_COLUMNS` and is a whole number of bins; else the fewest whole
        bins that do."""
        for bucket in BUCKETS:
            if span / bucket <= MAX_COLUMNS and bucket % self.width == 0:
                return float(bucket)
        return math.ceil(span / MAX_COLUMNS / self.width) * self.width


class Sums:
    """A count per bin (replies sent, chat lines)."""

    __slots__ = ("values",)

    def __init__(self, grid: Grid) -> None:
        self.values: list[int] = []
        grid.attach(self)

    def add(self, index: int, count: int = 1) -> None:
        if index >= len(self.values):
            self.values.extend([0] * (index + 1 - len(self.values)))
        self.values[index] += count

    def merge(self, factor: int) -> None:
        old = self.values
        self.values = [sum(old[i : i + factor]) for i in range(0, len(old), factor)]

    def columns(self, per_column: int, count: int) -> list[int]:
        old = self.values
        return [sum(old[c * per_column : (c + 1) * per_column]) for c in range(count)]


class StepMax:
    """The most a step function (a backlog, messages in a window) reached in each bin,
    counting the value it has as the bin begins: a change at the very beginning of a bin
    replaces that value rather than adding to it."""

    __slots__ = ("_fresh", "level", "values")

    def __init__(self, grid: Grid) -> None:
        self.values: list[int] = []
        self.level = 0  # the value now, held by every bin after the last change
        self._fresh = False  # every change in the last bin came at its very beginning
        grid.attach(self)

    def set(self, where: tuple[int, bool], value: int) -> None:
        index, at_start = where
        values = self.values
        last = len(values) - 1
        if index > last:
            values.extend([self.level] * (index - last))
            values[index] = value if at_start else max(self.level, value)
            self._fresh = at_start
        elif index == last and at_start and self._fresh:
            values[index] = value
        else:  # within the last bin (or, out of order, an earlier one)
            values[index] = max(values[index], value)
            self._fresh = self._fresh and index < last
        self.level = value

    def merge(self, factor: int) -> None:
        old = self.values
        if old:
            self._fresh = self._fresh and (len(old) - 1) % factor == 0
        self.values = [max(old[i : i + factor]) for i in range(0, len(old), factor)]

    def columns(self, per_column: int, count: int) -> list[int]:
        values = self.values + [self.level] * max(0, per_column * count - len(self.values))
        return [max(values[c * per_column : (c + 1) * per_column]) for c in range(count)]
